import LadingConfiguration
import LadingReaders
import LadingStore

extension ColumnType {
    /// The declared type in `CREATE TABLE`, which gives SQLite the matching affinity.
    var sqlType: String {
        switch self {
        case .text, .date, .timestamp: return "TEXT"
        case .integer, .boolean: return "INTEGER"
        case .real: return "REAL"
        }
    }
}

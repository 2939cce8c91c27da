/// The column types of SPEC §3. SQLite stores `date` and `timestamp` as ISO-8601 text
/// and `boolean` as 1/0.
public enum ColumnType: String, Sendable, CaseIterable, Codable {
    case text
    case integer
    case real
    case boolean
    case date
    case timestamp

    /// The declared type in `CREATE TABLE`, which gives SQLite the matching affinity.
    public var sqlType: String {
        switch self {
        case .text, .date, .timestamp: return "TEXT"
        case .integer, .boolean: return "INTEGER"
        case .real: return "REAL"
        }
    }
}

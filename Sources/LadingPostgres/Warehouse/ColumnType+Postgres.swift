import LadingConfiguration

extension ColumnType {
    /// SPEC §9: the PostgreSQL type of a lading column type.
    var postgresType: String {
        switch self {
        case .text: return "text"
        case .integer: return "bigint"
        case .real: return "double precision"
        case .boolean: return "boolean"
        case .date: return "date"
        case .timestamp: return "timestamptz"
        }
    }
}

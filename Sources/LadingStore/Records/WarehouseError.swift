import LadingSupport
import LadingConfiguration
import LadingReaders

/// Warehouse problems that are not plain database errors.
public enum WarehouseError: LadingError {
    case integrityCheckFailed(path: String, problems: [String])
    case tooManyColumns(table: String, count: Int, limit: Int)
    /// SPEC §9: PostgreSQL cuts names at 63 bytes without an error.
    case columnNameTooLong(table: String, column: String, limit: Int)

    public var message: String {
        switch self {
        case .integrityCheckFailed(let path, let problems):
            return "the warehouse \(path) fails SQLite's integrity check (\(problems.prefix(3).joined(separator: "; "))); nothing was changed: restore it from a backup"
        case .tooManyColumns(let table, let count, let limit):
            return "table '\(table)' would need \(count) columns (with lading's 3 audit columns), above the warehouse's limit of \(limit)"
        case .columnNameTooLong(let table, let column, let limit):
            return "table '\(table)': the column name '\(column)' is \(column.utf8.count) bytes, above PostgreSQL's limit of \(limit); rename it in the file (or declare the table's columns) and load it again"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .integrityCheckFailed: return .internalError
        case .tooManyColumns, .columnNameTooLong: return .completedWithFailures
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .integrityCheckFailed: return .system
        case .tooManyColumns, .columnNameTooLong: return .data
        }
    }
}

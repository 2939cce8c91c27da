import LadingSupport
import LadingConfiguration
import LadingReaders

/// Warehouse problems that are not plain SQLite errors.
public enum WarehouseError: LadingError {
    case integrityCheckFailed(path: String, problems: [String])
    case tooManyColumns(table: String, count: Int, limit: Int)

    public var message: String {
        switch self {
        case .integrityCheckFailed(let path, let problems):
            return "the warehouse \(path) fails SQLite's integrity check (\(problems.prefix(3).joined(separator: "; "))); nothing was changed: restore it from a backup"
        case .tooManyColumns(let table, let count, let limit):
            return "table '\(table)' would need \(count) columns (with lading's 3 audit columns), above SQLite's limit of \(limit)"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .integrityCheckFailed: return .internalError
        case .tooManyColumns: return .completedWithFailures
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .integrityCheckFailed: return .system
        case .tooManyColumns: return .data
        }
    }
}

import LadingSupport
import LadingConfiguration
import LadingReaders

/// Warehouse problems that are not plain database errors.
public enum WarehouseError: LadingError {
    case integrityCheckFailed(path: String, problems: [String])
    case tooManyColumns(table: String, count: Int, limit: Int)
    /// SPEC §9: PostgreSQL cuts names at 63 bytes without an error.
    case columnNameTooLong(table: String, column: String, limit: Int)
    /// The database ended a group of small files' transaction by itself (SQLite rolls
    /// back on a full disk or an I/O error): none of its files was committed.
    case groupRolledBack(files: Int)

    public var message: String {
        switch self {
        case .integrityCheckFailed(let path, let problems):
            return "the warehouse \(path) fails SQLite's integrity check (\(problems.prefix(3).joined(separator: "; "))); nothing was changed: restore it from a backup"
        case .tooManyColumns(let table, let count, let limit):
            return "table '\(table)' would need \(count) columns (with lading's 3 audit columns), above the warehouse's limit of \(limit)"
        case .columnNameTooLong(let table, let column, let limit):
            return "table '\(table)': the column name '\(column)' is \(column.utf8.count) bytes, above PostgreSQL's limit of \(limit); rename it in the file (or declare the table's columns) and load it again"
        case .groupRolledBack(let files):
            return "the warehouse rolled back the transaction holding \(files) small file(s) (an earlier I/O error or a full disk); nothing of them was written and they stay PENDING for the next run"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .integrityCheckFailed: return .internalError
        case .groupRolledBack: return .ioError
        case .tooManyColumns, .columnNameTooLong: return .completedWithFailures
        }
    }

    /// The group's rollback is a disk or I/O failure behind it: the run stops (exit 74).
    public var isIOFailure: Bool {
        if case .groupRolledBack = self { return true }
        return false
    }

    public var kind: ErrorKind {
        switch self {
        case .integrityCheckFailed, .groupRolledBack: return .system
        case .tooManyColumns, .columnNameTooLong: return .data
        }
    }
}

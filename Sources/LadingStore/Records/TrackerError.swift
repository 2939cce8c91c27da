import LadingSupport
import LadingConfiguration
import LadingReaders

/// Tracker failures that are not plain SQLite errors.
public enum TrackerError: LadingError {
    /// A state change the state machine does not allow (a bug in the caller, or a
    /// fencing refusal: another run owns the file now).
    case illegalTransition(table: String, file: String, from: FileStatus?, to: FileStatus, detail: String)
    /// The tracker file is not a usable SQLite database.
    case corrupt(path: String, detail: String)
    /// Written by a newer lading with a schema this one does not know.
    case newerSchema(path: String, found: Int, supported: Int)

    public var message: String {
        switch self {
        case .illegalTransition(let table, let file, let from, let to, let detail):
            return "tracker refused \(from?.rawValue ?? "absent") → \(to.rawValue) for \(file) (table \(table)): \(detail)"
        case .corrupt(let path, let detail):
            return "the tracker \(path) is not a usable SQLite database (\(detail)); 'lading run' or 'lading reset-state' rebuilds it from the warehouse ledger"
        case .newerSchema(let path, let found, let supported):
            return "the tracker \(path) has schema version \(found), newer than this lading supports (\(supported)); upgrade lading"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .illegalTransition: return .internalError
        case .corrupt: return .internalError
        case .newerSchema: return .configuration
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .illegalTransition: return .unknown
        case .corrupt: return .system
        case .newerSchema: return .configuration
        }
    }
}

extension TrackerError {
    /// A guarded transition that changed no row: the file is in a state the transition
    /// may not start from, or it belongs to another run (the fencing token).
    public static func refused(table: String, file: String, to target: FileStatus, allowed: [FileStatus], current: FileRecord?) -> TrackerError {
        let detail: String
        if let current, allowed.contains(current.status) {
            detail = "the file belongs to run \(current.runID ?? "none"), not this one"
        } else {
            detail = "allowed only from \(allowed.map(\.rawValue).joined(separator: " or "))"
        }
        return .illegalTransition(table: table, file: file, from: current?.status, to: target, detail: detail)
    }
}

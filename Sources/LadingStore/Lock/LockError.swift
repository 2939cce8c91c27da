/// Why the run lock could not be taken or released.
public enum LockError: LadingError {
    /// Another live run holds the lock (exit 75: try again later).
    case heldByLiveRun(LockInfo, path: String)
    /// The lock file exists but is not readable JSON and is younger than the timeout,
    /// so its writer may still be alive.
    case unreadableAndRecent(path: String, detail: String)
    /// The lock file or its folder could not be created or written.
    case io(path: String, operation: String, errno: Int32)
    /// The lock this run held is gone (its session ended: `force-unlock`, a terminated
    /// session, a server restart): the run stops before committing anything more, and
    /// leaves its files to whoever holds the lock now (fencing, SPEC §9).
    case lost(path: String, detail: String)
    /// Several workers (SPEC §9): this worker's lease on a file expired and another worker
    /// took the file over, so this one may not commit anything more of it.
    case leaseLost(table: String, file: String, detail: String)

    public var message: String {
        switch self {
        case .heldByLiveRun(let info, let path):
            return "another run holds the lock \(path): \(info.holderDescription), until \(info.timeoutAt); try again later, or if that process is gone use 'lading force-unlock'"
        case .unreadableAndRecent(let path, let detail):
            return "the lock file \(path) is not a valid lading lock (\(detail)) and is younger than timeout_minutes, so a run may still be starting; try again later, or remove it with 'lading force-unlock' if no run is active"
        case .io(let path, let operation, let code):
            return "cannot \(operation) the lock file \(path): \(String(cString: strerror(code)))"
        case .lost(let path, let detail):
            return "lock lost: this run no longer holds \(path) (\(detail)); it committed nothing more and stopped, and the next run (or the one holding the lock now) takes its files over"
        case .leaseLost(let table, let file, let detail):
            return "lease lost: table \(table), file \(file): \(detail); this worker committed nothing more of it and stopped, and the worker holding the lease now finishes the file"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .heldByLiveRun, .unreadableAndRecent: return .lockHeld
        case .io: return .ioError
        case .lost, .leaseLost: return .completedWithFailures
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .heldByLiveRun, .unreadableAndRecent: return .transient
        case .io, .lost, .leaseLost: return .system
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders

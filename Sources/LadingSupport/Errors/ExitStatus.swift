/// The process exit codes of SPEC §2, in one place so every command agrees.
public enum ExitStatus: Int32, Sendable {
    /// Success: nothing inconsistent, nothing failed.
    case success = 0
    /// Finished, but some files failed or validation found inconsistencies.
    case completedWithFailures = 1
    /// Bad command line (swift-argument-parser's validation exit).
    case usage = 64
    /// An internal error: a bug, never a property of the input.
    case internalError = 70
    /// I/O error on the state folder or the warehouse (disk full, read-only, permission):
    /// the message names the path; nothing half-written.
    case ioError = 74
    /// The lock is held by another live run: try again later.
    case lockHeld = 75
    /// Configuration error, also a missing or unreadable config file.
    case configuration = 78
    /// Stopped by SIGINT (128 + 2) after recording state and releasing the lock.
    case interrupted = 130
    /// Stopped by SIGTERM (128 + 15) after recording state and releasing the lock.
    case terminated = 143
}

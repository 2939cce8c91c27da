/// A held run lock (SPEC §4, I5): one writer at a time, released when the command ends.
/// The embedded backend uses a lock file; PostgreSQL a session advisory lock.
public protocol RunGuard: AnyObject {
    /// The stale lock this one replaced (its run died), reported by the command.
    var replaced: LockInfo? { get }
    func release()
}

extension RunLock: RunGuard {}

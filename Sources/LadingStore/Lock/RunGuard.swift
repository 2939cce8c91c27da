/// A held run lock (SPEC §4, I5), released when the command ends. The embedded backend
/// uses a lock file: one writer at a time. PostgreSQL uses a session advisory lock that
/// runs hold shared (several workers, SPEC §9) and recovery commands exclusively.
public protocol RunGuard: AnyObject {
    /// The stale lock this one replaced (its run died), reported by the command.
    var replaced: LockInfo? { get }
    /// Takes the right to apply an ordered table's files (SPEC §9: one worker at a time
    /// per scd2 table); false when another worker has it now. Never waits.
    func tryTakeOrderedTable(_ table: String) throws -> Bool
    /// Gives the table back once this worker applied what it could.
    func releaseOrderedTable(_ table: String)
    /// Runs `body` with no other run beside it (a damaged tracker's rebuild): with
    /// several workers, throws `LockError.heldByLiveRun` when another one holds the lock.
    func alone<T>(_ body: () throws -> T) throws -> T
    func release()
}

extension RunGuard {
    /// A lock that admits one run at a time already gives it every table.
    public func tryTakeOrderedTable(_ table: String) throws -> Bool { true }
    public func releaseOrderedTable(_ table: String) {}
    /// A lock that admits one run at a time is already alone.
    public func alone<T>(_ body: () throws -> T) throws -> T { try body() }
}

/// What a command takes the run lock for.
public enum LockPurpose: Sendable {
    /// `lading run`: with a backend that supports several workers, beside other runs.
    case run
    /// Recovery and other state-changing commands: alone, no run beside them (exit 75).
    case exclusive
}

extension RunLock: RunGuard {}

import Foundation
import LadingStore

/// The fencing token of a run on PostgreSQL (SPEC §9, I5): the run lock is a session
/// advisory lock on a connection of its own, which can end under a live run
/// (`force-unlock`, a terminated session, a server restart). Every writing transaction
/// of the warehouse and the tracker therefore checks, just before it commits, that the
/// lock session still holds the lock, while it holds a second advisory lock (the fence)
/// in shared mode; a new holder takes the fence exclusively before it writes anything,
/// so it waits for a transaction that passed the check and never runs beside one.
final class PostgresFence: @unchecked Sendable {
    let lockPID: String
    let key: (Int32, Int32)
    let fenceKey: (Int32, Int32)
    let location: String

    init(lockPID: String, key: (Int32, Int32), location: String) {
        self.lockPID = lockPID
        self.key = key
        fenceKey = (key.0, key.1 ^ 0x5F5F)
        self.location = location
    }

    /// Inside the transaction about to commit; throws `LockError.lost` when the lock is gone.
    func check(_ db: PGConnection) throws {
        _ = try db.rows("SELECT pg_advisory_xact_lock_shared($1::int4, $2::int4)", [String(fenceKey.0), String(fenceKey.1)])
        guard try isHeld(db) else { throw lost }
    }

    private var lost: LockError { .lost(path: location, detail: "its lock session \(lockPID) no longer holds it") }

    private func isHeld(_ db: PGConnection) throws -> Bool {
        try db.rows("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                AND classid = $1::int8::oid AND objid = $2::int8::oid AND pid = $3::int
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
            """, [String(key.0), String(key.1), lockPID]).first?.first == "t"
    }

    /// Outside a transaction, after one failed: throws `LockError.lost` when the lock is
    /// gone (a failed check itself is ignored: the original error is the one to report).
    func checkStillHeld(_ db: PGConnection) throws {
        if (try? isHeld(db)) == false { throw lost }
    }

    /// A new holder waits for every transaction that passed an earlier holder's check.
    static func drain(_ db: PGConnection, key: (Int32, Int32)) throws {
        let fence = [String(key.0), String(key.1 ^ 0x5F5F)]
        _ = try db.rows("SELECT pg_advisory_lock($1::int4, $2::int4)", fence)
        _ = try db.rows("SELECT pg_advisory_unlock($1::int4, $2::int4)", fence)
    }

    // MARK: - The fences of this process's held locks

    private static let lock = NSLock()
    nonisolated(unsafe) private static var held: [String: PostgresFence] = [:]

    static func register(_ fence: PostgresFence, for identity: String) {
        lock.lock(); defer { lock.unlock() }
        held[identity] = fence
    }

    static func unregister(_ identity: String) {
        lock.lock(); defer { lock.unlock() }
        held[identity] = nil
    }

    static func current(for identity: String) -> PostgresFence? {
        lock.lock(); defer { lock.unlock() }
        return held[identity]
    }
}

/// The transactions of one fenced connection (the warehouse's or the tracker's): the
/// outermost one checks the fence just before it commits, and a failure inside a run
/// that lost its lock is reported as the lost lock it comes from (its staging dropped
/// by the run that took its files over, a transition refused).
final class PostgresTransactions {
    private let db: PGConnection
    /// Nil for read-only opens: nothing to fence.
    private let fence: PostgresFence?
    private var depth = 0

    init(db: PGConnection, fence: PostgresFence?) {
        self.db = db
        self.fence = fence
    }

    func run<T>(_ body: () throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        let outermost = depth == 1
        do {
            return try db.transaction {
                let result = try body()
                if outermost { try fence?.check(db) }
                return result
            }
        } catch let error as LockError {
            throw error
        } catch {
            if outermost, let fence { try fence.checkStillHeld(db) }
            throw error
        }
    }
}

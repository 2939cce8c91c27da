import Foundation
import LadingStore

/// The fencing token of a run on PostgreSQL (SPEC §9, I5): the run lock is a session
/// advisory lock on a connection of its own, which can end under a live run
/// (`force-unlock`, a terminated session, a server restart). Every writing transaction
/// of the warehouse and the tracker therefore checks, just before it commits, that the
/// lock session still holds the lock, while it holds a second advisory lock (the fence)
/// in shared mode; a new holder takes the fence exclusively before it writes anything,
/// so it waits for a transaction that passed the check and never runs beside one.
///
/// With several workers the token is also per file: while a worker loads a file it holds
/// a lease on the file's tracker row, and each warehouse commit of the file first renews
/// that lease on the row, inside its transaction. A worker whose lease another worker took
/// over finds the row no longer its own and commits nothing (`LockError.leaseLost`); the
/// row lock it takes makes a take-over wait for a commit that passed the check.
final class PostgresFence: @unchecked Sendable {
    let lockPID: String
    let key: (Int32, Int32)
    let fenceKey: (Int32, Int32)
    let location: String
    let stateSchema: String
    let leaseSeconds: Double

    /// The file this process is loading under its lease.
    struct Claim: Equatable {
        var table: String
        var file: String
        var runID: String
    }
    private let claimLock = NSLock()
    private var claim: Claim?

    init(lockPID: String, key: (Int32, Int32), location: String, stateSchema: String, leaseSeconds: Double) {
        self.lockPID = lockPID
        self.key = key
        fenceKey = (key.0, key.1 ^ 0x5F5F)
        self.location = location
        self.stateSchema = stateSchema
        self.leaseSeconds = leaseSeconds
    }

    func hold(_ claim: Claim) {
        claimLock.lock(); defer { claimLock.unlock() }
        self.claim = claim
    }

    func drop(table: String, file: String) {
        claimLock.lock(); defer { claimLock.unlock() }
        if claim?.table == table && claim?.file == file { claim = nil }
    }

    private var currentClaim: Claim? {
        claimLock.lock(); defer { claimLock.unlock() }
        return claim
    }

    /// Inside the transaction about to commit; throws `LockError.lost` when the lock is
    /// gone, and with `lease`, `LockError.leaseLost` when the file being loaded is no
    /// longer this worker's.
    func check(_ db: PGConnection, lease: Bool) throws {
        _ = try db.rows("SELECT pg_advisory_xact_lock_shared($1::int4, $2::int4)", [String(fenceKey.0), String(fenceKey.1)])
        guard try isHeld(db) else { throw lost }
        guard lease, let claim = currentClaim else { return }
        let renewed = try db.run("""
            UPDATE \(PGName.qualified(stateSchema, "file_processing_tracker")) SET lease_until = clock_timestamp() + make_interval(secs => $1::float8)
            WHERE table_name = $2 AND file_path = $3 AND run_id = $4 AND status = 'PROCESSING'
            """, [String(leaseSeconds), claim.table, claim.file, claim.runID])
        guard renewed == 1 else {
            throw LockError.leaseLost(table: claim.table, file: claim.file,
                                      detail: "its lease ran out (no heartbeat for lease_seconds = \(leaseSeconds)) and another worker or run took the file over")
        }
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
    /// gone, and with `lease`, `LockError.leaseLost` when the file being loaded went to
    /// another worker (whose commit may be why this one failed: its staging table gone).
    /// A failed check itself is ignored: the original error is the one to report.
    func checkStillHeld(_ db: PGConnection, lease: Bool) throws {
        if (try? isHeld(db)) == false { throw lost }
        guard lease, let claim = currentClaim else { return }
        let owned = try? db.rows("""
            SELECT EXISTS (SELECT 1 FROM \(PGName.qualified(stateSchema, "file_processing_tracker"))
                WHERE table_name = $1 AND file_path = $2 AND run_id = $3 AND status = 'PROCESSING')
            """, [claim.table, claim.file, claim.runID]).first?.first
        if owned == "f" {
            throw LockError.leaseLost(table: claim.table, file: claim.file, detail: "another worker or run took the file over")
        }
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
    /// The warehouse's commits also check the file lease; the tracker's transitions carry
    /// their own `run_id` guard instead (they change the very row the lease is on).
    private let checksLease: Bool
    private var depth = 0

    init(db: PGConnection, fence: PostgresFence?, checksLease: Bool) {
        self.db = db
        self.fence = fence
        self.checksLease = checksLease
    }

    func run<T>(_ body: () throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        let outermost = depth == 1
        do {
            return try db.transaction {
                let result = try body()
                if outermost { try fence?.check(db, lease: checksLease) }
                return result
            }
        } catch let error as LockError {
            throw error
        } catch {
            if outermost, let fence { try fence.checkStillHeld(db, lease: checksLease) }
            throw error
        }
    }
}

import Foundation
import Logging
import LadingStore
import LadingSupport

/// The run lock on PostgreSQL (SPEC §9, I5): a session advisory lock held by a
/// connection of its own for the whole command. The server releases it when that
/// session ends, so a killed run never leaves a stale lock behind.
///
/// Runs hold it shared, so several workers run at once; each one has a row in
/// `state_schema.workers` kept alive by its heartbeat. Recovery commands hold it
/// exclusively (exit 75 while any worker holds it, and a run started meanwhile exits
/// 75), with their identity in `state_schema.run_lock`.
final class PostgresRunLock: RunGuard {
    let replaced: LockInfo? = nil
    private let db: PGConnection
    private let key: (Int32, Int32)
    private let logger: Logger
    private let identity: String
    private let shared: Bool
    private let runID: String
    private let stateSchema: String
    private let heartbeat: PostgresHeartbeat?
    private var orderedTables: Set<String> = []
    private let hostname: String
    private let pidText: String
    private let leaseSeconds: Double

    /// The two 32-bit halves of the lock: a constant for lading, a hash of the schema.
    static func key(for stateSchema: String) -> (Int32, Int32) {
        var hash: UInt32 = 2_166_136_261
        for byte in ("lading run " + stateSchema).utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return (0x4C41, Int32(bitPattern: hash & 0x7FFF_FFFF))
    }

    static func acquire(connection: PGConnection, connect: @escaping () throws -> PGConnection, identity: String, stateSchema: String,
                        location: String, runID: String, purpose: LockPurpose, leaseSeconds: Double, timeoutMinutes: Double,
                        environment: Environment, logger: Logger) throws -> PostgresRunLock {
        let key = Self.key(for: stateSchema)
        let shared = purpose == .run
        // The lock session sits idle for the whole run: a server-wide (or database)
        // idle_session_timeout must not end it, and with it the lock. (PostgreSQL
        // before 14 has no such setting; the failed SET changes nothing.)
        try? connection.execute("SET idle_session_timeout = 0")
        try? connection.execute("SET idle_in_transaction_session_timeout = 0")
        try PostgresSession.createSchema(stateSchema, on: connection, statements: [Self.holderTable(stateSchema), Self.workersTable(stateSchema)])
        let take = shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock"
        let taken = try connection.rows("SELECT \(take)($1::int4, $2::int4)", [String(key.0), String(key.1)]).first?.first == "t"
        guard taken else {
            // No holder row: its schema was just set aside by a worker rebuilding a damaged
            // tracker alone (the row went with it), or a recovery command is starting.
            let holder = try Self.holder(on: connection, stateSchema: stateSchema)
                ?? LockInfo(pid: 0, hostname: "?", acquiredAt: "?", timeoutAt: "?", lockName: location,
                            runID: "? (a worker rebuilding a damaged tracker alone, or a recovery command starting)")
            throw LockError.heldByLiveRun(holder, path: location)
        }
        let now = environment.clock.now()
        let pid = String(environment.process.processID)
        let sessionPID = try connection.rows("SELECT pg_backend_pid()").first?.first.flatMap { $0 } ?? ""
        var heartbeat: PostgresHeartbeat?
        if shared {
            // The lock session's server pid: a worker whose session ended (killed, cut off)
            // is dead at once, without waiting for its lease to run out.
            try connection.run("""
                INSERT INTO \(PGName.qualified(stateSchema, "workers")) (run_id, hostname, pid, started_at, heartbeat_until, lease_seconds, lock_pid)
                VALUES ($1, $2, $3, now(), clock_timestamp() + make_interval(secs => $4::float8), $4::float8, $5::int)
                ON CONFLICT (run_id) DO UPDATE SET heartbeat_until = excluded.heartbeat_until, lock_pid = excluded.lock_pid
                """, [runID, environment.process.hostname, pid, String(leaseSeconds), sessionPID])
            // Rows of workers gone for a day are history nobody reads.
            try connection.run("DELETE FROM \(PGName.qualified(stateSchema, "workers")) WHERE heartbeat_until < now() - interval '1 day'")
            heartbeat = PostgresHeartbeat(connect: connect, stateSchema: stateSchema, runID: runID, leaseSeconds: leaseSeconds, logger: logger)
        } else {
            try connection.run("""
                INSERT INTO \(PGName.qualified(stateSchema, "run_lock")) (id, pid, hostname, acquired_at, timeout_at, run_id) VALUES (1, $1, $2, $3, $4, $5)
                ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, acquired_at = excluded.acquired_at,
                    timeout_at = excluded.timeout_at, run_id = excluded.run_id
                """, [pid, environment.process.hostname, Timestamp.iso8601(now),
                      Timestamp.iso8601(now.addingTimeInterval(timeoutMinutes * 60)), runID])
            // Transactions of an earlier holder that passed their fence check finish first.
            try PostgresFence.drain(connection, key: key)
        }
        PostgresFence.register(PostgresFence(lockPID: sessionPID, key: key, location: location, stateSchema: stateSchema, leaseSeconds: leaseSeconds),
                               for: identity)
        heartbeat?.start()
        FaultPoint.afterLockWritten.hit()
        return PostgresRunLock(db: connection, key: key, logger: logger, identity: identity, shared: shared, runID: runID,
                               stateSchema: stateSchema, heartbeat: heartbeat, hostname: environment.process.hostname, pidText: pid,
                               leaseSeconds: leaseSeconds)
    }

    private init(db: PGConnection, key: (Int32, Int32), logger: Logger, identity: String, shared: Bool, runID: String, stateSchema: String,
                 heartbeat: PostgresHeartbeat?, hostname: String, pidText: String, leaseSeconds: Double) {
        self.hostname = hostname
        self.pidText = pidText
        self.leaseSeconds = leaseSeconds
        self.db = db
        self.key = key
        self.logger = logger
        self.identity = identity
        self.shared = shared
        self.runID = runID
        self.stateSchema = stateSchema
        self.heartbeat = heartbeat
    }

    /// The key of an ordered table's advisory lock, beside the run lock's.
    private func tableKey(_ table: String) -> (Int32, Int32) {
        let hashed = Self.key(for: stateSchema + "\u{1F}" + table)
        return (key.0 + 1, hashed.1)
    }

    func tryTakeOrderedTable(_ table: String) throws -> Bool {
        // Alone (a recovery command) every table is this command's already.
        guard shared else { return true }
        let k = tableKey(table)
        let taken = try db.rows("SELECT pg_try_advisory_lock($1::int4, $2::int4)", [String(k.0), String(k.1)]).first?.first == "t"
        if taken { orderedTables.insert(table) }
        return taken
    }

    func releaseOrderedTable(_ table: String) {
        guard orderedTables.remove(table) != nil else { return }
        let k = tableKey(table)
        _ = try? db.rows("SELECT pg_advisory_unlock($1::int4, $2::int4)", [String(k.0), String(k.1)])
    }

    /// A worker gives up its shared hold and takes the run lock alone for as long as
    /// `body` runs (a damaged tracker is set aside and rebuilt only when no other worker
    /// uses it), waiting up to `aloneWaitSeconds` for the others to end; then it holds
    /// the lock shared again. Its worker row, gone aside with the old schema, is written
    /// again in the rebuilt one.
    func alone<T>(_ body: () throws -> T) throws -> T {
        guard shared else { return try body() }
        let lockKey = [String(key.0), String(key.1)]
        _ = try db.rows("SELECT pg_advisory_unlock_shared($1::int4, $2::int4)", lockKey)
        do {
            try db.execute("SET lock_timeout = '\(Int(Self.aloneWaitSeconds * 1000))ms'")
            defer { try? db.execute("SET lock_timeout = 0") }
            _ = try db.rows("SELECT pg_advisory_lock($1::int4, $2::int4)", lockKey)
        } catch {
            _ = try? db.rows("SELECT pg_advisory_lock_shared($1::int4, $2::int4)", lockKey)
            logger.error("the tracker is damaged, and rebuilding it needs every other worker stopped: try again when they have ended")
            let holder = (try? Self.holder(on: db, stateSchema: stateSchema)).flatMap { $0 }
                ?? LockInfo(pid: 0, hostname: "?", acquiredAt: "?", timeoutAt: "?", lockName: "database advisory lock (shared by workers)", runID: "?")
            throw LockError.heldByLiveRun(holder, path: "the run lock of schema \"\(stateSchema)\" (a damaged tracker is rebuilt by a worker alone)")
        }
        defer {
            _ = try? db.rows("SELECT pg_advisory_lock_shared($1::int4, $2::int4)", lockKey)
            _ = try? db.rows("SELECT pg_advisory_unlock($1::int4, $2::int4)", lockKey)
        }
        // Whoever meets the lock meanwhile (exit 75) is told which worker holds it alone.
        _ = try? db.run("""
            INSERT INTO \(PGName.qualified(stateSchema, "run_lock")) (id, pid, hostname, acquired_at, timeout_at, run_id)
            VALUES (1, $1, $2, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char((now() + interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), $3)
            ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, acquired_at = excluded.acquired_at,
                timeout_at = excluded.timeout_at, run_id = excluded.run_id
            """, [pidText, hostname, runID])
        let result = try body()
        try registerWorker()
        return result
    }

    /// How long a worker waits for the others before a tracker rebuild (then exit 75).
    static let aloneWaitSeconds = 20.0

    /// This worker's row in `workers` (again, after a rebuild).
    private func registerWorker() throws {
        try PostgresSession.createSchema(stateSchema, on: db, statements: [Self.workersTable(stateSchema)])
        try db.run("""
            INSERT INTO \(PGName.qualified(stateSchema, "workers")) (run_id, hostname, pid, started_at, heartbeat_until, lease_seconds, lock_pid)
            VALUES ($1, $2, $3, now(), clock_timestamp() + make_interval(secs => $4::float8), $4::float8, pg_backend_pid())
            ON CONFLICT (run_id) DO UPDATE SET heartbeat_until = excluded.heartbeat_until, lock_pid = excluded.lock_pid
            """, [runID, hostname, pidText, String(leaseSeconds)])
    }

    func release() {
        heartbeat?.stop()
        PostgresFence.unregister(identity)
        FaultPoint.beforeLockRelease.hit()
        do {
            for table in orderedTables { releaseOrderedTable(table) }
            if shared {
                // A file this worker still holds (it stopped on a lost lock) goes to the next
                // worker now rather than when its lease runs out; it was never committed.
                try db.run("""
                    UPDATE \(PGName.qualified(stateSchema, "file_processing_tracker")) SET lease_until = now() - interval '1 second'
                    WHERE run_id = $1 AND status = 'PROCESSING'
                    """, [runID])
                try db.run("DELETE FROM \(PGName.qualified(stateSchema, "workers")) WHERE run_id = $1", [runID])
            }
            let unlock = shared ? "pg_advisory_unlock_shared" : "pg_advisory_unlock"
            _ = try db.rows("SELECT \(unlock)($1::int4, $2::int4)", [String(key.0), String(key.1)])
        } catch {
            logger.warning("could not release the database run lock; it goes with the session", metadata: ["error": "\(error)"])
        }
        db.close()
    }

    static func workersTable(_ stateSchema: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(PGName.qualified(stateSchema, "workers")) (
            run_id text PRIMARY KEY, hostname text NOT NULL, pid integer NOT NULL, started_at timestamptz NOT NULL,
            heartbeat_until timestamptz NOT NULL, lease_seconds double precision NOT NULL, lock_pid integer)
        """
    }

    static func holderTable(_ stateSchema: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(PGName.qualified(stateSchema, "run_lock")) (
            id integer PRIMARY KEY CHECK (id = 1), pid integer NOT NULL, hostname text NOT NULL,
            acquired_at text NOT NULL, timeout_at text NOT NULL, run_id text NOT NULL)
        """
    }

    /// The server process ids of sessions holding the lock in this database.
    static func holderSessions(on db: PGConnection, stateSchema: String) throws -> [String] {
        let key = Self.key(for: stateSchema)
        return try db.rows("""
            SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                AND classid = $1::int8::oid AND objid = $2::int8::oid
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [String(key.0), String(key.1)]).compactMap { $0[0] }
    }

    /// Who holds the lock: the recovery command holding it alone, else the worker with
    /// the latest heartbeat.
    static func holder(on db: PGConnection, stateSchema: String) throws -> LockInfo? {
        let key = Self.key(for: stateSchema)
        let exclusive = try db.rows("""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND mode = 'ExclusiveLock'
                AND classid = $1::int8::oid AND objid = $2::int8::oid
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
            """, [String(key.0), String(key.1)]).first?.first == "t"
        // Live workers come first in the list; else the one that beat last (paused or cut off).
        if !exclusive, let worker = try PostgresWorkers.list(on: db, stateSchema: stateSchema).first {
            return LockInfo(pid: worker.pid, hostname: worker.hostname, acquiredAt: worker.startedAt, timeoutAt: worker.heartbeatUntil ?? "",
                            lockName: "database advisory lock (shared by workers)", runID: worker.runID)
        }
        let table = PGName.qualified(stateSchema, "run_lock")
        guard try db.rows("SELECT to_regclass($1) IS NOT NULL", [table]).first?.first == "t" else { return nil }
        guard let row = try db.rows("SELECT pid, hostname, acquired_at, timeout_at, run_id FROM \(table) WHERE id = 1").first else { return nil }
        return LockInfo(pid: Int32(row[0] ?? "") ?? 0, hostname: row[1] ?? "", acquiredAt: row[2] ?? "", timeoutAt: row[3] ?? "",
                        lockName: "database advisory lock", runID: row[4] ?? "")
    }
}

import Foundation
import Logging
import LadingStore
import LadingSupport

/// The run lock on PostgreSQL (SPEC §9, I5): a session advisory lock held by a
/// connection of its own for the whole command. The server releases it when that
/// session ends, so a killed run never leaves a stale lock behind; the holder's identity
/// sits in `state_schema.run_lock` for `status` and the refusal message.
final class PostgresRunLock: RunGuard {
    let replaced: LockInfo? = nil
    private let db: PGConnection
    private let key: (Int32, Int32)
    private let logger: Logger
    private let identity: String

    /// The two 32-bit halves of the lock: a constant for lading, a hash of the schema.
    static func key(for stateSchema: String) -> (Int32, Int32) {
        var hash: UInt32 = 2_166_136_261
        for byte in ("lading run " + stateSchema).utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return (0x4C41, Int32(bitPattern: hash & 0x7FFF_FFFF))
    }

    static func acquire(connection: PGConnection, identity: String, stateSchema: String, location: String, runID: String, timeoutMinutes: Double,
                        environment: Environment, logger: Logger) throws -> PostgresRunLock {
        let key = Self.key(for: stateSchema)
        // The lock session sits idle for the whole run: a server-wide (or database)
        // idle_session_timeout must not end it, and with it the lock. (PostgreSQL
        // before 14 has no such setting; the failed SET changes nothing.)
        try? connection.execute("SET idle_session_timeout = 0")
        try? connection.execute("SET idle_in_transaction_session_timeout = 0")
        try PostgresSession.createSchema(stateSchema, on: connection, statements: [Self.holderTable(stateSchema)])
        let taken = try connection.rows("SELECT pg_try_advisory_lock($1::int4, $2::int4)", [String(key.0), String(key.1)]).first?.first == "t"
        guard taken else {
            let holder = try Self.holder(on: connection, stateSchema: stateSchema)
                ?? LockInfo(pid: 0, hostname: "?", acquiredAt: "?", timeoutAt: "?", lockName: location, runID: "?")
            throw LockError.heldByLiveRun(holder, path: location)
        }
        let now = environment.clock.now()
        try connection.run("""
            INSERT INTO \(PGName.qualified(stateSchema, "run_lock")) (id, pid, hostname, acquired_at, timeout_at, run_id) VALUES (1, $1, $2, $3, $4, $5)
            ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, acquired_at = excluded.acquired_at,
                timeout_at = excluded.timeout_at, run_id = excluded.run_id
            """, [String(environment.process.processID), environment.process.hostname, Timestamp.iso8601(now),
                  Timestamp.iso8601(now.addingTimeInterval(timeoutMinutes * 60)), runID])
        // Transactions of an earlier holder that passed their fence check finish first.
        try PostgresFence.drain(connection, key: key)
        let pid = try connection.rows("SELECT pg_backend_pid()").first?.first.flatMap { $0 } ?? ""
        PostgresFence.register(PostgresFence(lockPID: pid, key: key, location: location), for: identity)
        FaultPoint.afterLockWritten.hit()
        return PostgresRunLock(db: connection, key: key, logger: logger, identity: identity)
    }

    private init(db: PGConnection, key: (Int32, Int32), logger: Logger, identity: String) {
        self.db = db
        self.key = key
        self.logger = logger
        self.identity = identity
    }

    func release() {
        PostgresFence.unregister(identity)
        FaultPoint.beforeLockRelease.hit()
        do {
            _ = try db.rows("SELECT pg_advisory_unlock($1::int4, $2::int4)", [String(key.0), String(key.1)])
        } catch {
            logger.warning("could not release the database run lock; it goes with the session", metadata: ["error": "\(error)"])
        }
        db.close()
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

    static func holder(on db: PGConnection, stateSchema: String) throws -> LockInfo? {
        let table = PGName.qualified(stateSchema, "run_lock")
        guard try db.rows("SELECT to_regclass($1) IS NOT NULL", [table]).first?.first == "t" else { return nil }
        guard let row = try db.rows("SELECT pid, hostname, acquired_at, timeout_at, run_id FROM \(table) WHERE id = 1").first else { return nil }
        return LockInfo(pid: Int32(row[0] ?? "") ?? 0, hostname: row[1] ?? "", acquiredAt: row[2] ?? "", timeoutAt: row[3] ?? "",
                        lockName: "database advisory lock", runID: row[4] ?? "")
    }
}

import Foundation
import Logging
import LadingConfiguration
import LadingStore
import LadingSupport

/// `warehouse.driver: postgres` (SPEC §9): the warehouse in `schema`, the tracker in
/// `state_schema` of the same database, each on its own connection, and the run lock a
/// session advisory lock. Nothing is written under `state_dir` but reports.
public struct PostgresBackend: StoreBackend {
    /// For `${NAME}` in the DSN, and libpq's own `PG*` defaults.
    let variables: [String: String]
    let sleeper: any Sleeper

    public init(variables: [String: String], sleeper: any Sleeper) {
        self.variables = variables
        self.sleeper = sleeper
    }

    /// Connects, retrying an unreachable server with the `retry` settings' backoff
    /// (SPEC §9: transient, then exit 1); a refused password or a missing database fails
    /// at once (configuration, exit 78).
    func connect(_ config: LadingConfig) throws -> PGConnection {
        let dsn = try config.warehouse.dsn.map { try PGDSN.expand($0, environment: variables) }
        var attempt = 0
        while true {
            do {
                return try PGConnection(conninfo: dsn)
            } catch let error as PGError where error.category == .transient && attempt + 1 < config.retry.attemptsInRun {
                let delay = min(config.retry.maxSeconds, config.retry.baseSeconds * pow(2, Double(attempt)))
                attempt += 1
                Logger(label: "lading").warning("cannot connect to PostgreSQL, retrying", metadata: [
                    "attempt": "\(attempt + 1)", "of": "\(config.retry.attemptsInRun)", "delay_seconds": "\(delay)", "error": "\(error.message)"])
                sleeper.sleep(seconds: delay)
                if SignalMonitor.pending != nil { throw error }
            }
        }
    }

    /// Where things are, for messages: the masked DSN target is resolved only on
    /// connect, so this names the schema and what the config says.
    private func describe(_ config: LadingConfig, schema: String) -> String {
        let dsn = config.warehouse.dsn.map { PGDSN.masked($0) } ?? "libpq's PG* environment"
        return "schema \"\(schema)\" of PostgreSQL (\(dsn))"
    }

    public func warehouseLocation(_ config: LadingConfig) -> String { describe(config, schema: config.warehouse.schema) }
    public func trackerLocation(_ config: LadingConfig) -> String { describe(config, schema: config.warehouse.stateSchema) }
    public func lockLocation(_ config: LadingConfig) -> String {
        "the run lock (advisory) of " + describe(config, schema: config.warehouse.stateSchema)
    }

    private func exists(_ config: LadingConfig, schema: String, table: String) throws -> Bool {
        let db = try connect(config)
        defer { db.close() }
        return try db.rows("SELECT to_regclass($1) IS NOT NULL", [PGName.qualified(schema, table)]).first?.first == "t"
    }

    public func warehouseExists(_ config: LadingConfig) throws -> Bool {
        try exists(config, schema: config.warehouse.schema, table: WarehouseNames.ledger)
    }

    public func trackerExists(_ config: LadingConfig) throws -> Bool {
        try exists(config, schema: config.warehouse.stateSchema, table: "file_processing_tracker")
    }

    /// Which held run lock (and fence) a warehouse or tracker of this process belongs to.
    private func identity(_ config: LadingConfig) -> String {
        (config.warehouse.dsn ?? "") + "\u{1F}" + config.warehouse.stateSchema
    }

    public func openWarehouse(_ config: LadingConfig, readOnly: Bool) throws -> any Warehouse {
        let connection = try connect(config)
        if !readOnly { connection.cancelOnSignal() }
        return try PostgresWarehouse(connection: connection, schema: config.warehouse.schema, readOnly: readOnly,
                              fence: readOnly ? nil : PostgresFence.current(for: identity(config)))
    }

    public func openScratchWarehouse(_ config: LadingConfig) throws -> any ScratchWarehouse {
        try PostgresWarehouse(scratchOn: try connect(config), schema: config.warehouse.schema)
    }

    public func openTracker(_ config: LadingConfig, clock: any WallClock, readOnly: Bool) throws -> any FileTracker {
        let connection = try connect(config)
        if !readOnly { connection.cancelOnSignal() }
        return try PostgresTracker(connection: connection, schema: config.warehouse.stateSchema, warehouseSchema: config.warehouse.schema,
                            clock: clock, readOnly: readOnly,
                            fence: readOnly ? nil : PostgresFence.current(for: identity(config)), leaseSeconds: config.warehouse.leaseSeconds)
    }

    /// A tracker schema whose tables cannot be read is renamed aside, never dropped.
    public func setTrackerAside(_ config: LadingConfig, stamp: String) throws -> String {
        let db = try connect(config)
        defer { db.close() }
        // Never over an earlier damaged copy (two rebuilds within one second), as on SQLite.
        let base = config.warehouse.stateSchema + "_corrupt_" + stamp
        var aside = PGName.physical(base)
        var suffix = 2
        while try db.rows("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", [aside]).first?.first == "t" {
            aside = PGName.physical(base + "_\(suffix)")
            suffix += 1
        }
        try db.execute("ALTER SCHEMA \(PGName.quote(config.warehouse.stateSchema)) RENAME TO \(PGName.quote(aside))")
        return "schema \"\(aside)\""
    }

    /// The test hook for a full disk has no portable PostgreSQL twin; tests of a full
    /// disk run on SQLite.
    public func limitWarehouseSize(_ warehouse: any Warehouse, pages: Int) throws {}

    public func acquireRunLock(_ config: LadingConfig, runID: String, purpose: LockPurpose, environment: Environment, logger: Logger) throws -> any RunGuard {
        try PostgresRunLock.acquire(connection: try connect(config), connect: { try connect(config) }, identity: identity(config),
                                    stateSchema: config.warehouse.stateSchema, location: lockLocation(config), runID: runID, purpose: purpose,
                                    leaseSeconds: config.warehouse.leaseSeconds, timeoutMinutes: config.timeoutMinutes,
                                    environment: environment, logger: logger)
    }

    public func inspectRunLock(_ config: LadingConfig, environment: Environment) throws -> LockState {
        let db = try connect(config)
        defer { db.close() }
        let stateSchema = config.warehouse.stateSchema
        guard !(try PostgresRunLock.holderSessions(on: db, stateSchema: stateSchema)).isEmpty else { return .absent }
        let holder = try PostgresRunLock.holder(on: db, stateSchema: stateSchema)
            ?? LockInfo(pid: 0, hostname: "?", acquiredAt: "?", timeoutAt: "?", lockName: "database advisory lock", runID: "?")
        // A session lock ends with its session: while it is held, its holder's process
        // is alive. A worker whose heartbeat ran out is paused or cut off, not live (SPEC §9).
        let workers = try PostgresWorkers.list(on: db, stateSchema: stateSchema)
        if !workers.contains(where: \.alive), let silent = workers.first(where: { $0.runID == holder.runID }) {
            return .held(holder, staleReason: "its heartbeat ran out at \(silent.heartbeatUntil ?? "?"): the worker is paused or cut off")
        }
        return .held(holder, staleReason: nil)
    }

    public func releaseDeadWorkers(_ config: LadingConfig) throws -> Int {
        let db = try connect(config)
        defer { db.close() }
        let stateSchema = config.warehouse.stateSchema
        let workers = PGName.qualified(stateSchema, "workers")
        guard try db.rows("SELECT to_regclass($1) IS NOT NULL", [workers]).first?.first == "t" else { return 0 }
        if try !PostgresWorkers.processingLeases(on: db, stateSchema: stateSchema).isEmpty {
            let tracker = PGName.qualified(stateSchema, "file_processing_tracker")
            try db.run("""
                UPDATE \(tracker) f SET lease_until = now() - interval '1 second'
                WHERE status = 'PROCESSING' AND \(PostgresWorkers.ownerGone("f", stateSchema: stateSchema))
                """)
        }
        return try db.run("DELETE FROM \(workers) w WHERE NOT \(PostgresWorkers.live("w", stateSchema: stateSchema))")
    }

    public func workers(_ config: LadingConfig, environment: Environment) throws -> [WorkerInfo] {
        let db = try connect(config)
        defer { db.close() }
        return try PostgresWorkers.list(on: db, stateSchema: config.warehouse.stateSchema)
    }

    /// `force-unlock`: ends the sessions holding the lock (their run then fails on its
    /// next statement of that session and cannot release anything twice).
    ///
    /// SPEC §9: never beside a live worker (exit 75); a worker whose heartbeat ran out
    /// has its session ended and every lease is released, so the files it held go to
    /// the next worker and its own later commits are fenced.
    public func removeRunLock(_ config: LadingConfig) throws -> Bool {
        let db = try connect(config)
        defer { db.close() }
        let stateSchema = config.warehouse.stateSchema
        if let live = try PostgresWorkers.list(on: db, stateSchema: stateSchema).first(where: \.alive) {
            throw LockError.heldByLiveRun(LockInfo(pid: live.pid, hostname: live.hostname, acquiredAt: live.startedAt,
                                                   timeoutAt: live.heartbeatUntil ?? "?", lockName: "database advisory lock (shared by workers)",
                                                   runID: live.runID), path: lockLocation(config))
        }
        let sessions = try PostgresRunLock.holderSessions(on: db, stateSchema: stateSchema)
        for pid in sessions { _ = try db.rows("SELECT pg_terminate_backend($1::int)", [pid]) }
        // A worker paused inside a transaction holds row locks there (its lease renewal):
        // no worker is live, so lading's sessions left idle in a transaction are theirs.
        _ = try db.rows("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND application_name = 'lading' AND state LIKE 'idle in transaction%'
            """)
        let tracker = PGName.qualified(stateSchema, "file_processing_tracker")
        if try !PostgresWorkers.processingLeases(on: db, stateSchema: stateSchema).isEmpty {
            try db.run("UPDATE \(tracker) SET lease_until = now() - interval '1 second' WHERE status = 'PROCESSING'")
        }
        if try db.rows("SELECT to_regclass($1) IS NOT NULL", [PGName.qualified(stateSchema, "workers")]).first?.first == "t" {
            try db.run("UPDATE \(PGName.qualified(stateSchema, "workers")) SET heartbeat_until = least(heartbeat_until, now())")
        }
        return !sessions.isEmpty
    }
}

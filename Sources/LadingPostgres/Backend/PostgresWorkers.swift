import LadingStore

/// Reads of `state_schema.workers` and the file leases in the tracker (SPEC §9), by the
/// database clock, so every host judges a lease the same way.
enum PostgresWorkers {
    static func utc(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }

    /// SQL true when the worker row `alias` is live: its heartbeat unexpired and its lock
    /// session still holding the run lock (a killed worker's session ends at once).
    static func live(_ alias: String, stateSchema: String) -> String {
        let key = PostgresRunLock.key(for: stateSchema)
        return """
            (\(alias).heartbeat_until > now() AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = \(alias).lock_pid
                AND l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = \(key.0)::int8::oid
                AND l.objid = \(key.1)::int8::oid AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())))
            """
    }

    /// SQL true when the tracker row `alias` (PROCESSING) has no live owner: its lease ran
    /// out, or its worker is not live (or was never a worker: a run before leases).
    static func ownerGone(_ alias: String, stateSchema: String) -> String {
        """
        (\(alias).lease_until IS NULL OR \(alias).lease_until < now() OR NOT EXISTS (SELECT 1 FROM \(PGName.qualified(stateSchema, "workers")) w
            WHERE w.run_id = \(alias).run_id AND \(live("w", stateSchema: stateSchema))))
        """
    }

    /// Every worker row (live ones first, then by start), with the PROCESSING files each holds.
    static func list(on db: PGConnection, stateSchema: String) throws -> [WorkerInfo] {
        let workers = PGName.qualified(stateSchema, "workers")
        guard try db.rows("SELECT to_regclass($1) IS NOT NULL", [workers]).first?.first == "t" else { return [] }
        let leases = try processingLeases(on: db, stateSchema: stateSchema)
        return try db.rows("""
            SELECT run_id, hostname, pid, \(utc("started_at")), \(utc("heartbeat_until")), \(live("w", stateSchema: stateSchema))
            FROM \(workers) w ORDER BY 6 DESC, started_at DESC, run_id
            """).map { row in
            let runID = row[0] ?? ""
            return WorkerInfo(runID: runID, hostname: row[1] ?? "", pid: Int32(row[2] ?? "") ?? 0, startedAt: row[3] ?? "",
                              heartbeatUntil: row[4], alive: row[5] == "t", leases: leases.filter { $0.runID == runID }.map(\.lease))
        }
    }

    /// PROCESSING files with their owner and lease (none before leases existed: expired).
    static func processingLeases(on db: PGConnection, stateSchema: String) throws -> [(runID: String?, lease: WorkerInfo.Lease)] {
        let tracker = PGName.qualified(stateSchema, "file_processing_tracker")
        guard try db.rows("SELECT to_regclass($1) IS NOT NULL", [tracker]).first?.first == "t" else { return [] }
        let hasLeases = try db.rows("""
            SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'file_processing_tracker'
                AND column_name = 'lease_until')
            """, [stateSchema]).first?.first == "t"
        let lease = hasLeases ? utc("lease_until") : "NULL"
        let alive = hasLeases ? "NOT \(ownerGone("f", stateSchema: stateSchema))" : "false"
        return try db.rows("""
            SELECT run_id, table_name, file_path, \(lease), \(alive) FROM \(tracker) f WHERE status = 'PROCESSING'
            ORDER BY table_name COLLATE "C", file_path COLLATE "C"
            """).map { row in
            (row[0], WorkerInfo.Lease(table: row[1] ?? "", file: row[2] ?? "", leaseUntil: row[3], alive: row[4] == "t"))
        }
    }
}

import Foundation
import LadingStore
import LadingSupport

/// The file tracker in `state_schema` of the warehouse's database (SPEC §9), on its own
/// connection: like the SQLite tracker beside the warehouse file, it commits separately
/// from the warehouse, and the ledger stays the truth (DESIGN §1).
public final class PostgresTracker: FileTracker {
    private let db: PGConnection
    private let schema: String
    private let clock: any WallClock
    /// A read-only open of a database where no run created the tracker yet: every read
    /// is empty, as with a missing SQLite tracker file.
    private let missing: Bool
    /// Fenced before each writing transaction commits (SPEC §9).
    private let transactions: PostgresTransactions
    /// Holds the lease of the file being loaded, for the warehouse's commits to check.
    private let fence: PostgresFence?
    /// Lease length for claims (`warehouse.lease_seconds`).
    private let leaseSeconds: Double
    public var location: String { "schema \"\(schema)\" of \(db.target)" }

    static let columns = """
        table_name, file_path, file_size, file_modified_time, content_sha256, status,
        processing_start_time, processing_end_time, error_message, error_type, retry_count,
        records_read, rows_loaded, rows_quarantined, batch_id, run_id, change_detected, created_at, updated_at, archived_path
        """

    /// The select list: a tracker made before `archived_path` existed, read by a command
    /// that may not migrate it (status, validation), reads NULL there.
    private var selectList = PostgresTracker.columns

    init(connection: PGConnection, schema: String, warehouseSchema: String, clock: any WallClock, readOnly: Bool, fence: PostgresFence?,
         leaseSeconds: Double) throws {
        db = connection
        self.schema = schema
        self.fence = fence
        self.leaseSeconds = leaseSeconds
        transactions = PostgresTransactions(db: connection, fence: fence, checksLease: false)
        self.clock = clock
        try PostgresSession.prepare(db, readOnly: readOnly)
        if readOnly {
            missing = try db.rows("SELECT to_regclass($1) IS NULL", [PGName.qualified(schema, "file_processing_tracker")]).first?.first == "t"
            guard !missing else { return }
            try checkVersion()
            try checkUsable()
            try checkOwner(warehouseSchema, claim: false)
            let archived = try db.rows("""
                SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'file_processing_tracker'
                    AND column_name = 'archived_path')
                """, [schema]).first?.first == "t"
            if !archived { selectList = selectList.replacingOccurrences(of: "archived_path", with: "NULL AS archived_path") }
        } else {
            missing = false
            do {
                try PostgresSession.createSchema(schema, on: db, statements: PostgresTrackerSchema.create(schema))
            } catch {
                try fence?.checkStillHeld(db, lease: false)
                throw error
            }
            try checkUsable()
            try db.transaction {
                // Several workers open the tracker at once: IF NOT EXISTS alone still races.
                try PostgresSession.lockSchemaDefinition(schema, on: db)
                for statement in PostgresTrackerSchema.indexes(schema) { try db.execute(statement) }
                if try db.rows("SELECT version FROM \(q("schema_version"))").isEmpty {
                    try db.run("INSERT INTO \(q("schema_version")) (version) VALUES ($1)", [String(PostgresTrackerSchema.currentVersion)])
                }
            }
            try checkVersion()
            try checkOwner(warehouseSchema, claim: true)
        }
    }

    /// A tracker whose tables someone dropped or altered is damaged (SPEC §7): it is set
    /// aside and rebuilt from the ledger by the caller.
    private func checkUsable() throws {
        if let problems = try integrityProblems() {
            throw TrackerError.corrupt(path: location, detail: problems.joined(separator: "; "))
        }
    }

    /// The first pipeline to use this state schema owns it; another one (another
    /// `schema`) is refused with a configuration error instead of mixing their files.
    private func checkOwner(_ warehouseSchema: String, claim: Bool) throws {
        let owner = q("owner")
        guard try db.rows("SELECT to_regclass($1) IS NOT NULL", [owner]).first?.first == "t" else { return }
        if let existing = try db.rows("SELECT warehouse_schema FROM \(owner) LIMIT 1").first?.first ?? nil {
            guard existing == warehouseSchema else {
                throw PostgresBackendError.stateSchemaShared(stateSchema: schema, owner: existing, schema: warehouseSchema)
            }
        } else if claim {
            try db.run("INSERT INTO \(owner) (warehouse_schema) VALUES ($1)", [warehouseSchema])
        }
    }

    private func checkVersion() throws {
        let found = try db.rows("SELECT max(version) FROM \(q("schema_version"))").first?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
        if found > PostgresTrackerSchema.currentVersion {
            throw TrackerError.newerSchema(path: location, found: found, supported: PostgresTrackerSchema.currentVersion)
        }
    }

    private func q(_ name: String) -> String { PGName.qualified(schema, name) }
    private var files: String { q("file_processing_tracker") }
    private var now: String { Timestamp.iso8601(clock.now()) }

    // MARK: - Reads

    public func record(table: String, file: String) throws -> FileRecord? {
        try records("table_name = $1 AND file_path = $2", [table, file]).first
    }

    private func records(_ condition: String = "true", _ values: [String?] = []) throws -> [FileRecord] {
        guard !missing else { return [] }
        return try db.rows("SELECT \(selectList) FROM \(files) WHERE \(condition) ORDER BY table_name COLLATE \"C\", file_path COLLATE \"C\"", values).map { row in
            FileRecord(tableName: row[0] ?? "", filePath: row[1] ?? "", fileSize: Int64(row[2] ?? "") ?? 0, fileModifiedTime: row[3] ?? "",
                       contentSHA256: row[4], status: FileStatus(rawValue: row[5] ?? "") ?? .pending, processingStartTime: row[6],
                       processingEndTime: row[7], errorMessage: row[8], errorType: row[9], retryCount: Int(row[10] ?? "") ?? 0,
                       recordsRead: Int64(row[11] ?? "") ?? 0, rowsLoaded: Int64(row[12] ?? "") ?? 0, rowsQuarantined: Int64(row[13] ?? "") ?? 0,
                       batchID: row[14], runID: row[15], changeDetected: row[16], createdAt: row[17] ?? "", updatedAt: row[18] ?? "",
                       archivedPath: row[19])
        }
    }

    public func records(table: String) throws -> [FileRecord] { try records("table_name = $1", [table]) }
    public func records(status: FileStatus) throws -> [FileRecord] { try records("status = $1", [status.rawValue]) }
    public func allRecords() throws -> [FileRecord] { try records() }

    public func settledFiles() throws -> [String: [String]] {
        guard !missing else { return [:] }
        return PGConnection.filesByTable(try db.rows("SELECT table_name, file_path FROM \(files) WHERE status IN ('COMPLETED', 'PROCESSING')"))
    }
    public func changedRecords() throws -> [FileRecord] { try records("change_detected IS NOT NULL") }

    public func statusCounts() throws -> [String: [FileStatus: Int]] {
        guard !missing else { return [:] }
        var counts: [String: [FileStatus: Int]] = [:]
        for row in try db.rows("SELECT table_name, status, count(*) FROM \(files) GROUP BY table_name, status") {
            guard let table = row[0], let status = row[1].flatMap(FileStatus.init(rawValue:)) else { continue }
            counts[table, default: [:]][status] = Int(row[2] ?? "") ?? 0
        }
        return counts
    }

    // MARK: - Transitions

    @discardableResult
    public func register(table: String, file: String, size: Int64, modifiedTime: String, sha256: String?) throws -> Bool {
        let stamp = now
        return try db.run("""
            INSERT INTO \(files) (table_name, file_path, file_size, file_modified_time, content_sha256, status, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $6)
            ON CONFLICT (table_name, file_path) DO NOTHING
            """, [table, file, String(size), modifiedTime, sha256, stamp]) == 1
    }

    /// SPEC §9: a claim never waits for another worker. `SKIP LOCKED` passes over a row
    /// another worker is claiming or fencing at this moment, and a row already claimed or
    /// finished does not match: either way this worker leaves the file alone.
    @discardableResult
    public func claim(table: String, file: String, runID: String, batchID: String, seenRetryCount: Int) throws -> Bool {
        let claimed = try transaction {
            try db.run("""
                UPDATE \(files) f SET status = 'PROCESSING', run_id = $1, batch_id = $2,
                    processing_start_time = $3, processing_end_time = NULL, updated_at = $3,
                    lease_until = clock_timestamp() + make_interval(secs => $6::float8)
                FROM (SELECT table_name, file_path FROM \(files) WHERE table_name = $4 AND file_path = $5
                      AND status IN ('PENDING', 'FAILED') AND retry_count <= $7::int FOR UPDATE SKIP LOCKED) c
                WHERE f.table_name = c.table_name AND f.file_path = c.file_path
                """, [runID, batchID, now, table, file, String(leaseSeconds), String(seenRetryCount)])
        }
        if claimed == 1 { fence?.hold(.init(table: table, file: file, runID: runID)) }
        return claimed == 1
    }

    public func orphanedProcessing(except runID: String) throws -> [FileRecord] {
        try records("status = 'PROCESSING' AND run_id IS DISTINCT FROM $1 AND \(PostgresWorkers.ownerGone(files, stateSchema: schema))", [runID])
    }

    /// A transition of a file this worker claimed, refused because another worker took
    /// the file over meanwhile, is the lost lease it comes from.
    private func owned(table: String, file: String, runID: String, _ transition: () throws -> Void) throws {
        do {
            try transition()
            fence?.drop(table: table, file: file)
        } catch let error as TrackerError {
            // Only this worker's claim leads here: a refusal means another worker or run
            // changed the row meanwhile (took the file over, or finished it).
            guard case .illegalTransition = error, let current = try? record(table: table, file: file),
                  current.runID != runID || current.status != .processing else {
                throw error
            }
            fence?.drop(table: table, file: file)
            throw LockError.leaseLost(table: table, file: file, detail: "another worker or run (\(current.runID ?? "?")) holds it now")
        }
    }

    public func complete(table: String, file: String, runID: String, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64, sha256: String?, batchID: String?) throws {
        try owned(table: table, file: file, runID: runID) { try transition(table: table, file: file, to: .completed, from: [.processing], sql: """
            UPDATE \(files) SET status = 'COMPLETED', records_read = $1, rows_loaded = $2, rows_quarantined = $3,
                batch_id = coalesce($4, batch_id), content_sha256 = coalesce($5, content_sha256), error_message = NULL, error_type = NULL,
                change_detected = NULL, processing_end_time = $6, updated_at = $6
            WHERE table_name = $7 AND file_path = $8 AND status = 'PROCESSING' AND run_id = $9
            """, [String(recordsRead), String(rowsLoaded), String(rowsQuarantined), batchID, sha256, now, table, file, runID]) }
    }

    public func adoptCompleted(from ledger: LedgerRow) throws {
        let stamp = now
        try db.run("""
            INSERT INTO \(files) AS f (table_name, file_path, file_size, file_modified_time, content_sha256, status,
                processing_end_time, records_read, rows_loaded, rows_quarantined, batch_id, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, 'COMPLETED', $6, $7, $8, $9, $10, $11, $11)
            ON CONFLICT (table_name, file_path) DO UPDATE SET status = 'COMPLETED', records_read = excluded.records_read,
                rows_loaded = excluded.rows_loaded, rows_quarantined = excluded.rows_quarantined, batch_id = excluded.batch_id,
                content_sha256 = coalesce(excluded.content_sha256, f.content_sha256), error_message = NULL, error_type = NULL,
                file_size = CASE WHEN excluded.file_modified_time = '' THEN f.file_size ELSE excluded.file_size END,
                file_modified_time = CASE WHEN excluded.file_modified_time = '' THEN f.file_modified_time ELSE excluded.file_modified_time END,
                change_detected = CASE WHEN excluded.content_sha256 IS NULL THEN f.change_detected ELSE NULL END,
                processing_end_time = excluded.processing_end_time, updated_at = excluded.updated_at
            """, [ledger.tableName, ledger.sourceFile, String(ledger.fileSize ?? 0), ledger.fileModifiedTime ?? "", ledger.contentSHA256,
                  ledger.committedAt, String(ledger.recordsRead), String(ledger.rowsLoaded), String(ledger.rowsQuarantined), ledger.batchID, stamp])
    }

    public func fail(table: String, file: String, runID: String, message: String, kind: ErrorKind) throws {
        try owned(table: table, file: file, runID: runID) { try transition(table: table, file: file, to: .failed, from: [.processing], sql: """
            UPDATE \(files) SET status = 'FAILED', error_message = $1, error_type = $2,
                retry_count = retry_count + 1, processing_end_time = $3, updated_at = $3
            WHERE table_name = $4 AND file_path = $5 AND status = 'PROCESSING' AND run_id = $6
            """, [PostgresSession.storable(message), kind.rawValue, now, table, file, runID]) }
    }

    public func releaseOrphan(table: String, file: String, deadRunID: String?) throws {
        try transition(table: table, file: file, to: .pending, from: [.processing], sql: """
            UPDATE \(files) SET status = 'PENDING', run_id = NULL, lease_until = NULL, updated_at = $1
            WHERE table_name = $2 AND file_path = $3 AND status = 'PROCESSING' AND run_id IS NOT DISTINCT FROM $4
            """, [now, table, file, deadRunID])
        fence?.drop(table: table, file: file)
    }

    public func releaseCrashed(table: String, file: String, deadRunID: String?) throws {
        try transition(table: table, file: file, to: .failed, from: [.processing], sql: """
            UPDATE \(files) SET status = 'FAILED', error_type = 'unknown', retry_count = retry_count + 1,
                error_message = 'its run (' || coalesce(run_id, '?') || ') died while loading it (killed or crashed); retried by the next run while retries remain',
                run_id = NULL, lease_until = NULL, updated_at = $1
            WHERE table_name = $2 AND file_path = $3 AND status = 'PROCESSING' AND run_id IS NOT DISTINCT FROM $4
                AND \(PostgresWorkers.ownerGone(files, stateSchema: schema))
            """, [now, table, file, deadRunID])
    }

    public func noteArchived(table: String, file: String, location: String) throws {
        try db.run("UPDATE \(files) SET archived_path = $1, updated_at = $2 WHERE table_name = $3 AND file_path = $4 AND status = 'COMPLETED'",
                   [location, now, table, file])
    }

    public func noteChange(table: String, file: String, detail: String) throws {
        try db.run("UPDATE \(files) SET change_detected = $1, updated_at = $2 WHERE table_name = $3 AND file_path = $4 AND status = 'COMPLETED'",
                   [detail, now, table, file])
    }

    public func refreshMetadata(table: String, file: String, size: Int64, modifiedTime: String) throws {
        try db.run("UPDATE \(files) SET file_size = $1, file_modified_time = $2, updated_at = $3 WHERE table_name = $4 AND file_path = $5",
                   [String(size), modifiedTime, now, table, file])
    }

    public func updateDiscovered(table: String, file: String, size: Int64, modifiedTime: String, sha256: String?) throws {
        try db.run("""
            UPDATE \(files) SET file_size = $1, file_modified_time = $2, content_sha256 = coalesce($3, content_sha256), updated_at = $4
            WHERE table_name = $5 AND file_path = $6 AND status IN ('PENDING', 'FAILED')
            """, [String(size), modifiedTime, sha256, now, table, file])
    }

    private func transition(table: String, file: String, to target: FileStatus, from allowed: [FileStatus], sql: String, _ values: [String?]) throws {
        try transaction {
            let changed = try db.run(sql, values)
            guard changed == 1 else {
                throw TrackerError.refused(table: table, file: file, to: target, allowed: allowed, current: try record(table: table, file: file))
            }
        }
    }

    // MARK: - Operator actions

    public func forget(table: String, file: String) throws {
        try db.run("DELETE FROM \(files) WHERE table_name = $1 AND file_path = $2", [table, file])
    }

    @discardableResult
    public func resetRetryCounts(table: String) throws -> Int {
        try db.run("UPDATE \(files) SET retry_count = 0, updated_at = $1 WHERE table_name = $2 AND status = 'FAILED'", [now, table])
    }

    public func noteReprocessed(table: String, file: String, records: Int) throws {
        try db.run("""
            UPDATE \(files) SET rows_loaded = rows_loaded + $1, rows_quarantined = rows_quarantined - $1, updated_at = $2
            WHERE table_name = $3 AND file_path = $4
            """, [String(records), now, table, file])
    }

    public func markForRetry(table: String, file: String, reason: String) throws {
        try db.run("""
            UPDATE \(files) SET status = 'FAILED', error_type = 'unknown', error_message = $1, retry_count = 0, run_id = NULL, updated_at = $2
            WHERE table_name = $3 AND file_path = $4
            """, [PostgresSession.storable(reason), now, table, file])
    }

    // MARK: - Circuit breakers

    public func openBreakers() throws -> [String: String] {
        guard !missing else { return [:] }
        var result: [String: String] = [:]
        for row in try db.rows("SELECT table_name, opened_at FROM \(q("circuit_breakers"))") { result[row[0] ?? ""] = row[1] ?? "" }
        return result
    }

    public func openBreaker(table: String, consecutiveFailures: Int, runID: String) throws {
        try db.run("""
            INSERT INTO \(q("circuit_breakers")) (table_name, opened_at, consecutive_failures, run_id) VALUES ($1, $2, $3, $4)
            ON CONFLICT (table_name) DO UPDATE SET consecutive_failures = excluded.consecutive_failures, run_id = excluded.run_id
            """, [table, now, String(consecutiveFailures), runID])
    }

    public func closeBreaker(table: String) throws {
        try db.run("DELETE FROM \(q("circuit_breakers")) WHERE table_name = $1", [table])
    }

    // MARK: - Runs

    private static let runColumns = PostgresWarehouse.runColumns

    public func startRun(runID: String, pid: Int32, hostname: String) throws {
        try db.run("INSERT INTO \(q("runs")) (run_id, started_at, status, pid, hostname) VALUES ($1, $2, 'running', $3, $4)",
                   [runID, now, String(pid), hostname])
    }

    public func finishRun(_ run: RunRecord) throws {
        try db.run("""
            UPDATE \(q("runs")) SET finished_at = $1, status = $2, files_discovered = $3, files_loaded = $4, files_failed = $5,
                rows_loaded = $6, rows_quarantined = $7, error_message = $8
            WHERE run_id = $9
            """, [run.finishedAt ?? now, run.status, String(run.filesDiscovered), String(run.filesLoaded), String(run.filesFailed),
                  String(run.rowsLoaded), String(run.rowsQuarantined), run.errorMessage.map(PostgresSession.storable), run.runID])
    }

    public func runs(limit: Int) throws -> [RunRecord] {
        guard !missing else { return [] }
        return try db.rows("SELECT \(Self.runColumns) FROM \(q("runs")) ORDER BY started_at DESC, seq DESC LIMIT $1", [String(limit)])
            .map(PostgresSession.runRecord)
    }

    public func markInterruptedRuns(except liveRunID: String) throws -> [RunRecord] {
        let stamp = now
        let message = "the run was killed or the machine stopped before it finished (found at \(stamp))"
        // A worker with a live heartbeat is running, not interrupted (SPEC §9).
        let live = "run_id NOT IN (SELECT run_id FROM \(q("workers")) w WHERE \(PostgresWorkers.live("w", stateSchema: schema)))"
        let found = try db.rows("SELECT \(Self.runColumns) FROM \(q("runs")) WHERE status = 'running' AND run_id != $1 AND \(live)", [liveRunID])
            .map(PostgresSession.runRecord)
        guard !found.isEmpty else { return [] }
        try db.run("""
            UPDATE \(q("runs")) SET status = 'interrupted', finished_at = coalesce(finished_at, $1), error_message = coalesce(error_message, $2)
            WHERE status = 'running' AND run_id != $3 AND \(live)
            """, [stamp, message, liveRunID])
        return found.map { var run = $0; run.status = "interrupted"; run.finishedAt = run.finishedAt ?? stamp; run.errorMessage = run.errorMessage ?? message; return run }
    }

    public func recordRefusedRun(runID: String, pid: Int32, hostname: String, holder: String) throws {
        let stamp = now
        try db.run("""
            INSERT INTO \(q("runs")) (run_id, started_at, finished_at, status, pid, hostname, error_message) VALUES ($1, $2, $2, 'refused', $3, $4, $5)
            """, [runID, stamp, String(pid), hostname, "refused: the lock is held by \(holder)"])
    }

    public func runCountsByStatus() throws -> [String: Int] {
        guard !missing else { return [:] }
        var counts: [String: Int] = [:]
        for row in try db.rows("SELECT status, count(*) FROM \(q("runs")) GROUP BY status") { counts[row[0] ?? ""] = Int(row[1] ?? "") ?? 0 }
        return counts
    }

    public func recordRunFiles(runID: String, files runFiles: [RunFile]) throws {
        try transaction {
            for file in runFiles {
                let counts = try file.countsJSON()
                try db.run("""
                    INSERT INTO \(q("run_files")) (run_id, table_name, file_path, status, records_read, rows_loaded, rows_quarantined,
                        error_type, error_message, scd2) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    ON CONFLICT (run_id, table_name, file_path) DO UPDATE SET status = excluded.status, records_read = excluded.records_read,
                        rows_loaded = excluded.rows_loaded, rows_quarantined = excluded.rows_quarantined, error_type = excluded.error_type,
                        error_message = excluded.error_message, scd2 = excluded.scd2
                    """, [runID, file.table, file.file, file.status, String(file.recordsRead), String(file.rowsLoaded), String(file.rowsQuarantined),
                          file.errorType, file.errorMessage.map(PostgresSession.storable), counts])
            }
        }
    }

    public func runsTouching(table: String, file: String) throws -> [(runID: String, file: RunFile)] {
        guard !missing else { return [] }
        return try db.rows("""
            SELECT f.run_id, f.status, f.records_read, f.rows_loaded, f.rows_quarantined, f.error_type, f.error_message, f.scd2
            FROM \(q("run_files")) f LEFT JOIN \(q("runs")) r ON r.run_id = f.run_id WHERE f.table_name = $1 AND f.file_path = $2
            ORDER BY coalesce(r.started_at, ''), f.run_id
            """, [table, file]).map { row in
            var touched = RunFile(table: table, file: file, status: row[1] ?? "", recordsRead: Int64(row[2] ?? "") ?? 0,
                                  rowsLoaded: Int64(row[3] ?? "") ?? 0, rowsQuarantined: Int64(row[4] ?? "") ?? 0,
                                  errorType: row[5], errorMessage: row[6], scd2: nil)
            touched.setCounts(json: row[7])
            return (row[0] ?? "", touched)
        }
    }

    public func runFiles(runID: String) throws -> [RunFile] {
        guard !missing else { return [] }
        return try db.rows("""
            SELECT table_name, file_path, status, records_read, rows_loaded, rows_quarantined, error_type, error_message, scd2
            FROM \(q("run_files")) WHERE run_id = $1 ORDER BY table_name COLLATE "C", file_path COLLATE "C"
            """, [runID]).map { row in
            var file = RunFile(table: row[0] ?? "", file: row[1] ?? "", status: row[2] ?? "", recordsRead: Int64(row[3] ?? "") ?? 0,
                               rowsLoaded: Int64(row[4] ?? "") ?? 0, rowsQuarantined: Int64(row[5] ?? "") ?? 0, errorType: row[6], errorMessage: row[7],
                               scd2: nil)
            file.setCounts(json: row[8])
            return file
        }
    }

    public func restoreRuns(_ runs: [RunRecord]) throws {
        try transaction {
            for run in runs {
                try db.run("""
                    INSERT INTO \(q("runs")) (\(Self.runColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    ON CONFLICT (run_id) DO NOTHING
                    """, PostgresSession.values(of: run))
            }
        }
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T { try transactions.run(body) }

    /// Every tracker table with every column lading reads: a table dropped or altered by
    /// hand makes the tracker damaged, so it is set aside and rebuilt from the ledger
    /// (SPEC §7), as a SQLite tracker file that fails its integrity check is.
    public func integrityProblems(runStart: Bool) throws -> [String]? {
        guard !missing else { return nil }
        var found: [String: [String: String]] = [:]
        for row in try db.rows("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1", [schema]) {
            found[row[0] ?? "", default: [:]][row[1] ?? ""] = row[2] ?? ""
        }
        var problems: [String] = []
        for (table, columns) in PostgresTrackerSchema.requiredColumns.sorted(by: { $0.key < $1.key }) {
            guard let present = found[table] else {
                problems.append("table \(table) is missing")
                continue
            }
            let lacking = columns.keys.sorted().filter { present[$0] == nil }
            if !lacking.isEmpty { problems.append("table \(table) lacks \(lacking.joined(separator: ", "))") }
            let retyped = columns.keys.sorted().filter { present[$0] != nil && present[$0] != columns[$0] }
            if !retyped.isEmpty {
                problems.append("table \(table): " + retyped.map { "\($0) is \(present[$0] ?? "?"), not \(columns[$0] ?? "?")" }.joined(separator: ", "))
            }
        }
        return problems.isEmpty ? nil : problems
    }
}

import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The file tracker in its own SQLite file (SPEC §4), beside the embedded warehouse.
/// WAL, so `status` and health checks read beside a live run.
public final class SQLiteTracker: FileTracker {
    public let path: String
    public var location: String { path }
    let db: Connection
    private let clock: any WallClock

    static let columns = """
        table_name, file_path, file_size, file_modified_time, content_sha256, status,
        processing_start_time, processing_end_time, error_message, error_type, retry_count,
        records_read, rows_loaded, rows_quarantined, batch_id, run_id, change_detected, created_at, updated_at, archived_path
        """

    /// The select list (see `init`: an old tracker read without migrating it).
    private var selectList = SQLiteTracker.columns

    /// Opens (and creates or migrates) the tracker at `path`.
    /// `integrityStamp`: see `SQLiteWarehouse.init(path:readOnly:busyTimeoutSeconds:integrityStamp:)`.
    public init(path: String, clock: any WallClock, readOnly: Bool = false, integrityStamp: String? = nil) throws {
        self.path = path
        self.clock = clock
        do {
            // A reader of a tracker no run has open leaves no -wal/-shm file behind (plan,
            // status and validation keep the state folder as they found it).
            let quiet = readOnly && !FileManager.default.fileExists(atPath: path + "-wal")
            let opened = try Connection(path: path, mode: readOnly ? (quiet ? .readOnlyQuiet : .readOnly) : .readWriteCreate)
            if !readOnly {
                db = opened
                if let integrityStamp { db.trustIntegrity(stampPath: integrityStamp) }
                // The first 32 MiB mapped: a run's start reads the tracker's rows of every
                // landing file twice (reconcile, registration), without a read call per page.
                try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 33554432;")
                try migrate()
            } else if try opened.userVersion == 0 && !(try opened.tableExists("file_processing_tracker")) {
                // A database never given its schema (a crash right after creating it) is
                // an empty tracker; readers see it as one, writers migrate it.
                db = try Connection(path: ":memory:", mode: .readWriteCreate)
                try migrate()
            } else {
                db = opened
                try checkReadable()
                // A tracker from before after_load (version 3), read without migrating it.
                if try opened.userVersion < 4 { selectList = selectList.replacingOccurrences(of: "archived_path", with: "NULL AS archived_path") }
            }
        } catch let error as SQLiteError where error.isCorruption {
            throw TrackerError.corrupt(path: path, detail: error.detail)
        }
    }

    private func checkReadable() throws {
        let version = try db.userVersion
        if version > TrackerSchema.currentVersion {
            throw TrackerError.newerSchema(path: path, found: version, supported: TrackerSchema.currentVersion)
        }
    }

    private func migrate() throws {
        try db.transaction {
            let version = try db.userVersion
            if version > TrackerSchema.currentVersion {
                throw TrackerError.newerSchema(path: path, found: version, supported: TrackerSchema.currentVersion)
            }
            guard version < TrackerSchema.currentVersion else { return }
            for next in (version + 1)...TrackerSchema.currentVersion {
                guard let sql = TrackerSchema.migrations[next] else {
                    throw InternalError("tracker migration \(next) is missing")
                }
                try db.execute(sql)
            }
            try db.setUserVersion(TrackerSchema.currentVersion)
        }
    }

    private var now: String { Timestamp.iso8601(clock.now()) }

    // MARK: - Reads

    public func record(table: String, file: String) throws -> FileRecord? {
        try records(where: "table_name = ? AND file_path = ?", [.text(table), .text(file)]).first
    }

    /// Rows matching a condition written by lading itself (never by a user), values bound.
    private func records(where condition: String = "1", _ values: [SQLValue] = []) throws -> [FileRecord] {
        let statement = try db.prepare("SELECT \(selectList) FROM file_processing_tracker WHERE \(condition) ORDER BY table_name, file_path")
        try statement.bind(values)
        var result: [FileRecord] = []
        while try statement.step() {
            result.append(FileRecord(
                tableName: statement.text(0) ?? "",
                filePath: statement.text(1) ?? "",
                fileSize: statement.int64(2),
                fileModifiedTime: statement.text(3) ?? "",
                contentSHA256: statement.text(4),
                status: FileStatus(rawValue: statement.text(5) ?? "") ?? .pending,
                processingStartTime: statement.text(6),
                processingEndTime: statement.text(7),
                errorMessage: statement.text(8),
                errorType: statement.text(9),
                retryCount: Int(statement.int64(10)),
                recordsRead: statement.int64(11),
                rowsLoaded: statement.int64(12),
                rowsQuarantined: statement.int64(13),
                batchID: statement.text(14),
                runID: statement.text(15),
                changeDetected: statement.text(16),
                createdAt: statement.text(17) ?? "",
                updatedAt: statement.text(18) ?? "",
                archivedPath: statement.text(19)
            ))
        }
        return result
    }

    public func records(table: String) throws -> [FileRecord] {
        try records(where: "table_name = ?", [.text(table)])
    }

    /// A merge of `files` with the table's COMPLETED rows, both in path order, comparing
    /// the bytes SQLite returns: a rerun over 5,000 loaded files makes no string and no
    /// dictionary entry per file. Files not in byte order (`order_by: modified_time`) are
    /// merged through a sorted copy of their indices.
    public func trackedFiles(table: String, seen files: [TrackedFiles.Seen]) throws -> TrackedFiles {
        // By index, not `zip`: a pair of `Seen` values would be two copies, four
        // reference counts, per file of a rerun.
        var order = Array(files.indices)
        if files.indices.dropFirst().contains(where: { !Paths.precedesByBytes(files[$0 - 1].path, files[$0].path) }) {
            order.sort { Paths.precedesByBytes(files[$0].path, files[$1].path) }
        }
        var completed = [TrackedFiles.Completed](repeating: .no, count: files.count)
        // The status index carries these three columns in this order (tracker version 5).
        let statement = try db.prepare(
            "SELECT file_path, file_size, file_modified_time FROM file_processing_tracker WHERE status = 'COMPLETED' AND table_name = ? ORDER BY file_path")
        try statement.bind(.text(table), at: 1)
        var next = 0
        while next < order.count, try statement.step() {
            var comparison = 1
            while next < order.count {
                comparison = statement.compareText(0, with: files[order[next]].path)
                guard comparison > 0 else { break }
                next += 1
            }
            guard next < order.count, comparison == 0 else { continue }
            let index = order[next]
            completed[index] = statement.int64(1) == files[index].size && statement.compareText(2, with: files[index].modifiedTime) == 0
                ? .unchanged : .metadataDiffers
            next += 1
        }
        // `+table_name`: the status index (a few rows), not the table's primary key range
        // (every file of the table).
        let others = try records(where: "status IN ('PENDING', 'PROCESSING', 'FAILED') AND +table_name = ?", [.text(table)])
        return TrackedFiles(completed: completed, others: others)
    }

    public func records(status: FileStatus) throws -> [FileRecord] {
        try records(where: "status = ?", [.text(status.rawValue)])
    }

    public func allRecords() throws -> [FileRecord] { try records() }

    /// A merge of two key-ordered scans, the ledger's complete rows against this
    /// tracker's COMPLETED and PROCESSING rows, comparing the bytes SQLite returns: no key
    /// of a clean night becomes a Swift string (a rerun over 5,000 files: about 1 ms
    /// instead of two sets of 5,000 strings). Both orders are SQLite's BINARY collation,
    /// the bytes' order.
    public func unsettledCompleteFiles(in ledger: any LedgerStore) throws -> [(table: String, file: String)]? {
        guard let warehouse = ledger as? SQLiteWarehouse else { return nil }
        guard try warehouse.db.tableExists(WarehouseSchema.ledger) else { return [] }
        // Both in key order: the ledger through its primary key (as every read of it),
        // the tracker through its status index, which covers the query (the run's full
        // integrity check at its start verifies that index against the rows).
        let complete = try warehouse.db.prepare(
            "SELECT table_name, source_file FROM _lading_loads WHERE status = 'complete' ORDER BY table_name, source_file")
        let completed = try db.prepare(
            "SELECT table_name, file_path FROM file_processing_tracker WHERE status = 'COMPLETED' ORDER BY table_name, file_path")
        // PROCESSING files are few (the ones live runs hold, or a crash left).
        let processing = Set(try records(status: .processing).map { Array(($0.tableName + "\u{0}" + $0.filePath).utf8) })
        var missing: [(table: String, file: String)] = []
        var more = try completed.step()
        while try complete.step() {
            var order = 1
            while more {
                order = Statement.compareKeys(complete, completed)
                guard order > 0 else { break }
                more = try completed.step()
            }
            guard !more || order < 0 else { continue }
            let table = complete.text(0) ?? "", file = complete.text(1) ?? ""
            if !processing.contains(Array((table + "\u{0}" + file).utf8)) { missing.append((table, file)) }
        }
        return missing
    }

    public func changedRecords() throws -> [FileRecord] { try records(where: "change_detected IS NOT NULL") }

    /// Per table, how many files are in each status.
    public func statusCounts() throws -> [String: [FileStatus: Int]] {
        var counts: [String: [FileStatus: Int]] = [:]
        for row in try db.rows("SELECT table_name, status, count(*) FROM file_processing_tracker GROUP BY table_name, status") {
            guard let table = row[0].textValue, let status = row[1].textValue.flatMap(FileStatus.init(rawValue:)) else { continue }
            counts[table, default: [:]][status] = Int(row[2].integerValue ?? 0)
        }
        return counts
    }

    // MARK: - Transitions

    /// Registers a discovered file as PENDING; a file already tracked is left alone.
    /// Returns true when the row is new. Idempotent, so reruns register nothing twice.
    @discardableResult
    public func register(table: String, file: String, size: Int64, modifiedTime: String, sha256: String?) throws -> Bool {
        let stamp = now
        return try db.transaction {
            try db.run("""
                INSERT INTO file_processing_tracker (table_name, file_path, file_size, file_modified_time, content_sha256, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?)
                ON CONFLICT (table_name, file_path) DO NOTHING
                """, [.text(table), .text(file), .integer(size), .text(modifiedTime), sha256.sqlValue, .text(stamp), .text(stamp)]) == 1
        }
    }

    /// PENDING or FAILED → PROCESSING, owned by `runID` with a fresh `batchID`.
    /// One run at a time holds the lock file, so a claim it cannot make is a bug: refused.
    @discardableResult
    public func claim(table: String, file: String, runID: String, batchID: String, seenRetryCount: Int) throws -> Bool {
        let stamp = now
        try transition(table: table, file: file, to: .processing, from: [.pending, .failed], sql: """
            UPDATE file_processing_tracker SET status = 'PROCESSING', run_id = ?, batch_id = ?,
                processing_start_time = ?, processing_end_time = NULL, updated_at = ?
            WHERE table_name = ? AND file_path = ? AND status IN ('PENDING', 'FAILED')
            """, [.text(runID), .text(batchID), .text(stamp), .text(stamp), .text(table), .text(file)])
        return true
    }

    /// Under the lock file no other run is live: every PROCESSING row of another run is orphaned.
    public func orphanedProcessing(except runID: String) throws -> [FileRecord] {
        try records(status: .processing).filter { $0.runID != runID }
    }

    /// PROCESSING → COMPLETED, only while `runID` still owns the file (a fencing token:
    /// a run presumed dead that wakes up cannot overwrite its successor's state).
    public func complete(table: String, file: String, runID: String, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64, sha256: String?, batchID: String?) throws {
        let stamp = now
        try transition(table: table, file: file, to: .completed, from: [.processing], sql: """
            UPDATE file_processing_tracker SET status = 'COMPLETED', records_read = ?, rows_loaded = ?, rows_quarantined = ?,
                batch_id = coalesce(?, batch_id),
                content_sha256 = coalesce(?, content_sha256), error_message = NULL, error_type = NULL,
                change_detected = NULL, processing_end_time = ?, updated_at = ?
            WHERE table_name = ? AND file_path = ? AND status = 'PROCESSING' AND run_id = ?
            """, [.integer(recordsRead), .integer(rowsLoaded), .integer(rowsQuarantined), batchID.sqlValue, sha256.sqlValue, .text(stamp), .text(stamp), .text(table), .text(file), .text(runID)])
    }

    /// Any state → COMPLETED from a `complete` ledger row: the warehouse committed the
    /// file but the tracker never heard (a crash between the two commits, or a tracker
    /// rebuilt after corruption). Creates the row when it is missing.
    public func adoptCompleted(from ledger: LedgerRow) throws {
        let stamp = now
        _ = try db.transaction {
            try db.run("""
                INSERT INTO file_processing_tracker (table_name, file_path, file_size, file_modified_time, content_sha256, status,
                    processing_end_time, records_read, rows_loaded, rows_quarantined, batch_id, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'COMPLETED', ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (table_name, file_path) DO UPDATE SET status = 'COMPLETED', records_read = excluded.records_read,
                    rows_loaded = excluded.rows_loaded, rows_quarantined = excluded.rows_quarantined, batch_id = excluded.batch_id,
                    content_sha256 = coalesce(excluded.content_sha256, content_sha256), error_message = NULL, error_type = NULL,
                    file_size = CASE WHEN excluded.file_modified_time = '' THEN file_size ELSE excluded.file_size END,
                    file_modified_time = CASE WHEN excluded.file_modified_time = '' THEN file_modified_time ELSE excluded.file_modified_time END,
                    change_detected = CASE WHEN excluded.content_sha256 IS NULL THEN change_detected ELSE NULL END,
                    processing_end_time = excluded.processing_end_time, updated_at = excluded.updated_at
                """, [.text(ledger.tableName), .text(ledger.sourceFile), .integer(ledger.fileSize ?? 0), .text(ledger.fileModifiedTime ?? ""),
                      ledger.contentSHA256.sqlValue, .text(ledger.committedAt), .integer(ledger.recordsRead), .integer(ledger.rowsLoaded),
                      .integer(ledger.rowsQuarantined), .text(ledger.batchID), .text(stamp), .text(stamp)])
        }
    }

    /// PROCESSING → FAILED with the error and its class; counts one more attempt.
    public func fail(table: String, file: String, runID: String, message: String, kind: ErrorKind) throws {
        let stamp = now
        try transition(table: table, file: file, to: .failed, from: [.processing], sql: """
            UPDATE file_processing_tracker SET status = 'FAILED', error_message = ?, error_type = ?,
                retry_count = retry_count + 1, processing_end_time = ?, updated_at = ?
            WHERE table_name = ? AND file_path = ? AND status = 'PROCESSING' AND run_id = ?
            """, [.text(message), .text(kind.rawValue), .text(stamp), .text(stamp), .text(table), .text(file), .text(runID)])
    }

    /// PROCESSING → PENDING for a file whose run died before anything was committed.
    public func releaseOrphan(table: String, file: String, deadRunID: String?) throws {
        let stamp = now
        try transition(table: table, file: file, to: .pending, from: [.processing], sql: """
            UPDATE file_processing_tracker SET status = 'PENDING', run_id = NULL, updated_at = ?
            WHERE table_name = ? AND file_path = ? AND status = 'PROCESSING' AND run_id IS ?
            """, [.text(stamp), .text(table), .text(file), deadRunID.sqlValue])
    }

    /// A PROCESSING file whose run died (kill -9, a crash, a power cut) without
    /// committing it: FAILED with one more attempt counted. A file that crashes the
    /// process every time it is read (a poison file) therefore stops being retried
    /// after `retry_attempts`, instead of killing every later run.
    public func releaseCrashed(table: String, file: String, deadRunID: String?) throws {
        try transition(table: table, file: file, to: .failed, from: [.processing], sql: """
            UPDATE file_processing_tracker SET status = 'FAILED', error_type = 'unknown', retry_count = retry_count + 1,
                error_message = 'its run (' || coalesce(run_id, '?') || ') died while loading it (killed or crashed); retried by the next run while retries remain',
                run_id = NULL, updated_at = ?
            WHERE table_name = ? AND file_path = ? AND status = 'PROCESSING' AND run_id IS ?
            """, [.text(now), .text(table), .text(file), deadRunID.sqlValue])
    }

    /// Records that a COMPLETED file's content changed on disk (reported, not reloaded).
    public func noteArchived(table: String, file: String, location: String) throws {
        try db.run("UPDATE file_processing_tracker SET archived_path = ?, updated_at = ? WHERE table_name = ? AND file_path = ? AND status = 'COMPLETED'",
                   [.text(location), .text(now), .text(table), .text(file)])
    }

    public func noteChange(table: String, file: String, detail: String) throws {
        try db.run("UPDATE file_processing_tracker SET change_detected = ?, updated_at = ? WHERE table_name = ? AND file_path = ? AND status = 'COMPLETED'",
                   [.text(detail), .text(now), .text(table), .text(file)])
    }

    /// Updates size and modified time of a COMPLETED file whose content hash is unchanged
    /// (a `touch`), so the next run can skip hashing it again.
    public func refreshMetadata(table: String, file: String, size: Int64, modifiedTime: String) throws {
        try db.run("UPDATE file_processing_tracker SET file_size = ?, file_modified_time = ?, updated_at = ? WHERE table_name = ? AND file_path = ?",
                   [.integer(size), .text(modifiedTime), .text(now), .text(table), .text(file)])
    }

    /// Updates what discovery saw for a file that is not COMPLETED yet.
    public func updateDiscovered(table: String, file: String, size: Int64, modifiedTime: String, sha256: String?) throws {
        try db.run("""
            UPDATE file_processing_tracker SET file_size = ?, file_modified_time = ?, content_sha256 = coalesce(?, content_sha256), updated_at = ?
            WHERE table_name = ? AND file_path = ? AND status IN ('PENDING', 'FAILED')
            """, [.integer(size), .text(modifiedTime), sha256.sqlValue, .text(now), .text(table), .text(file)])
    }

    private func transition(table: String, file: String, to target: FileStatus, from allowed: [FileStatus], sql: String, _ values: [SQLValue]) throws {
        try db.transaction {
            let changed = try db.run(sql, values)
            guard changed == 1 else {
                throw TrackerError.refused(table: table, file: file, to: target, allowed: allowed, current: try record(table: table, file: file))
            }
        }
    }

    // MARK: - Runs

    // MARK: - Operator actions (reset-state, fix-inconsistencies)

    /// Forgets a file: the next run registers it again as new.
    public func forget(table: String, file: String) throws {
        try db.run("DELETE FROM file_processing_tracker WHERE table_name = ? AND file_path = ?", [.text(table), .text(file)])
    }

    /// `reset-state --failed-only`: FAILED files get a fresh retry budget (they stay
    /// FAILED; the next run retries them whatever their error class). Returns how many.
    @discardableResult
    public func resetRetryCounts(table: String) throws -> Int {
        try db.run("UPDATE file_processing_tracker SET retry_count = 0, updated_at = ? WHERE table_name = ? AND status = 'FAILED'",
                   [.text(now), .text(table)])
    }

    /// `quarantine reprocess` loaded `records` once-bad records of a COMPLETED file: they
    /// move from quarantined to loaded, as they did in the ledger.
    public func noteReprocessed(table: String, file: String, records: Int) throws {
        try db.run("""
            UPDATE file_processing_tracker SET rows_loaded = rows_loaded + ?, rows_quarantined = rows_quarantined - ?, updated_at = ?
            WHERE table_name = ? AND file_path = ?
            """, [.integer(Int64(records)), .integer(Int64(records)), .text(now), .text(table), .text(file)])
    }

    /// A repair's verdict on a file whose data is not in the warehouse (an orphan of a
    /// dead run, or COMPLETED without a ledger row): FAILED with a fresh retry budget, so
    /// the next run retries it (the crash was not the file's fault).
    public func markForRetry(table: String, file: String, reason: String) throws {
        try db.run("""
            UPDATE file_processing_tracker SET status = 'FAILED', error_type = 'unknown', error_message = ?, retry_count = 0, run_id = NULL, updated_at = ?
            WHERE table_name = ? AND file_path = ?
            """, [.text(reason), .text(now), .text(table), .text(file)])
    }

    // MARK: - Circuit breakers

    /// Tables whose breaker is open, with when it opened.
    public func openBreakers() throws -> [String: String] {
        guard try db.tableExists("circuit_breakers") else { return [:] }
        var result: [String: String] = [:]
        for row in try db.rows("SELECT table_name, opened_at FROM circuit_breakers") {
            result[row[0].textValue ?? ""] = row[1].textValue ?? ""
        }
        return result
    }

    public func openBreaker(table: String, consecutiveFailures: Int, runID: String) throws {
        try db.run("""
            INSERT INTO circuit_breakers (table_name, opened_at, consecutive_failures, run_id) VALUES (?, ?, ?, ?)
            ON CONFLICT (table_name) DO UPDATE SET consecutive_failures = excluded.consecutive_failures, run_id = excluded.run_id
            """, [.text(table), .text(now), .integer(Int64(consecutiveFailures)), .text(runID)])
    }

    public func closeBreaker(table: String) throws {
        try db.run("DELETE FROM circuit_breakers WHERE table_name = ?", [.text(table)])
    }

    public func startRun(runID: String, pid: Int32, hostname: String) throws {
        let stamp = now
        try db.run("INSERT INTO runs (run_id, started_at, status, pid, hostname) VALUES (?, ?, 'running', ?, ?)",
                   [.text(runID), .text(stamp), .integer(Int64(pid)), .text(hostname)])
    }

    public func finishRun(_ run: RunRecord) throws {
        try db.run("""
            UPDATE runs SET finished_at = ?, status = ?, files_discovered = ?, files_loaded = ?, files_failed = ?,
                rows_loaded = ?, rows_quarantined = ?, error_message = ?
            WHERE run_id = ?
            """, [.text(run.finishedAt ?? now), .text(run.status), .integer(Int64(run.filesDiscovered)), .integer(Int64(run.filesLoaded)),
                  .integer(Int64(run.filesFailed)), .integer(run.rowsLoaded), .integer(run.rowsQuarantined), run.errorMessage.sqlValue, .text(run.runID)])
    }

    /// Most recent runs first.
    public func runs(limit: Int) throws -> [RunRecord] {
        try db.rows("""
            SELECT run_id, started_at, finished_at, status, pid, hostname, files_discovered, files_loaded, files_failed,
                   rows_loaded, rows_quarantined, error_message
            FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?
            """, [.integer(Int64(limit))]).map(RunRecord.init(row:))
    }

    /// SPEC §8: runs left `running` by a process that died (kill -9, power cut) are
    /// `interrupted`, found by the next process that holds the lock. Returns them.
    public func markInterruptedRuns(except liveRunID: String) throws -> [RunRecord] {
        let stamp = now
        let found = try db.rows("""
            SELECT run_id, started_at, finished_at, status, pid, hostname, files_discovered, files_loaded, files_failed,
                   rows_loaded, rows_quarantined, error_message FROM runs WHERE status = 'running' AND run_id != ?
            """, [.text(liveRunID)]).map(RunRecord.init(row:))
        guard !found.isEmpty else { return [] }
        let message = "the run was killed or the machine stopped before it finished (found at \(stamp))"
        try db.run("UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?), error_message = coalesce(error_message, ?) WHERE status = 'running' AND run_id != ?",
                   [.text(stamp), .text(message), .text(liveRunID)])
        return found.map { var run = $0; run.status = "interrupted"; run.finishedAt = run.finishedAt ?? stamp; run.errorMessage = run.errorMessage ?? message; return run }
    }

    /// A run refused by the lock (exit 75): counted by `monitor` (SPEC §4).
    public func recordRefusedRun(runID: String, pid: Int32, hostname: String, holder: String) throws {
        let stamp = now
        try db.run("INSERT INTO runs (run_id, started_at, finished_at, status, pid, hostname, error_message) VALUES (?, ?, ?, 'refused', ?, ?, ?)",
                   [.text(runID), .text(stamp), .text(stamp), .integer(Int64(pid)), .text(hostname), .text("refused: the lock is held by \(holder)")])
    }

    /// How many runs ended in each outcome, over the whole history.
    public func runCountsByStatus() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try db.rows("SELECT status, count(*) FROM runs GROUP BY status") {
            counts[row[0].textValue ?? ""] = Int(row[1].integerValue ?? 0)
        }
        return counts
    }

    /// What a run did per file, kept for `history --json`.
    public func recordRunFiles(runID: String, files: [RunFile]) throws {
        try db.transaction {
            for file in files {
                let counts = try file.countsJSON()
                try db.run("""
                    INSERT OR REPLACE INTO run_files (run_id, table_name, file_path, status, records_read, rows_loaded, rows_quarantined,
                        error_type, error_message, scd2) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.text(runID), .text(file.table), .text(file.file), .text(file.status), .integer(file.recordsRead),
                          .integer(file.rowsLoaded), .integer(file.rowsQuarantined), file.errorType.sqlValue, file.errorMessage.sqlValue,
                          counts.sqlValue])
            }
        }
    }

    /// The files a run touched, in the order it recorded them.
    public func runFiles(runID: String) throws -> [RunFile] {
        guard try db.tableExists("run_files") else { return [] }
        return try db.rows("""
            SELECT table_name, file_path, status, records_read, rows_loaded, rows_quarantined, error_type, error_message, scd2
            FROM run_files WHERE run_id = ? ORDER BY table_name, file_path
            """, [.text(runID)]).map { row in
            var file = RunFile(table: row[0].textValue ?? "", file: row[1].textValue ?? "", status: row[2].textValue ?? "",
                               recordsRead: row[3].integerValue ?? 0, rowsLoaded: row[4].integerValue ?? 0, rowsQuarantined: row[5].integerValue ?? 0,
                               errorType: row[6].textValue, errorMessage: row[7].textValue, scd2: nil)
            file.setCounts(json: row[8].textValue)
            return file
        }
    }

    public func runsTouching(table: String, file: String) throws -> [(runID: String, file: RunFile)] {
        guard try db.tableExists("run_files") else { return [] }
        return try db.rows("""
            SELECT f.run_id, f.status, f.records_read, f.rows_loaded, f.rows_quarantined, f.error_type, f.error_message, f.scd2
            FROM run_files f LEFT JOIN runs r ON r.run_id = f.run_id WHERE f.table_name = ? AND f.file_path = ?
            ORDER BY coalesce(r.started_at, ''), f.run_id
            """, [.text(table), .text(file)]).map { row in
            var touched = RunFile(table: table, file: file, status: row[1].textValue ?? "", recordsRead: row[2].integerValue ?? 0,
                                  rowsLoaded: row[3].integerValue ?? 0, rowsQuarantined: row[4].integerValue ?? 0,
                                  errorType: row[5].textValue, errorMessage: row[6].textValue, scd2: nil)
            touched.setCounts(json: row[7].textValue)
            return (row[0].textValue ?? "", touched)
        }
    }

    /// Puts runs kept in the warehouse back into a rebuilt tracker.
    public func restoreRuns(_ runs: [RunRecord]) throws {
        try db.transaction {
            for run in runs {
                try db.run("""
                    INSERT OR IGNORE INTO runs (run_id, started_at, finished_at, status, pid, hostname, files_discovered, files_loaded,
                        files_failed, rows_loaded, rows_quarantined, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.text(run.runID), .text(run.startedAt), run.finishedAt.sqlValue, .text(run.status), .integer(Int64(run.pid)),
                          .text(run.hostname), .integer(Int64(run.filesDiscovered)), .integer(Int64(run.filesLoaded)),
                          .integer(Int64(run.filesFailed)), .integer(run.rowsLoaded), .integer(run.rowsQuarantined), run.errorMessage.sqlValue])
            }
        }
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T { try db.transaction(body) }

    public func close() { db.close() }

    /// Always the full check when it runs: registration and reconcile read the status
    /// index alone (it covers them), so a damaged index must be found (`quick_check`
    /// does not compare index entries with rows). A run skips it when the file is
    /// exactly as lading's last clean close left it.
    public func integrityProblems(runStart: Bool) throws -> [String]? {
        try db.integrityProblems(limit: 5, quick: false, unlessUnchanged: runStart)
    }
}

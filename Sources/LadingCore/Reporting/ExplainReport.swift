import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `lading explain FILE` (SPEC §10): one file's whole story, read only.
public struct ExplainReport: Sendable, Codable {
    public struct Tracker: Sendable, Codable {
        public var status: String
        public var attempts: Int
        public var errorType: String?
        public var errorMessage: String?
        public var runID: String?
        public var processingStart: String?
        public var processingEnd: String?
        public var changeDetected: String?

        enum CodingKeys: String, CodingKey {
            case status, attempts
            case errorType = "error_type", errorMessage = "error_message", runID = "run_id"
            case processingStart = "processing_start", processingEnd = "processing_end", changeDetected = "change_detected"
        }
    }

    public struct Ledger: Sendable, Codable {
        public var status: String
        public var checkpoint: Int64
        public var checkpointLine: Int64
        public var recordsRead: Int64
        public var rowsLoaded: Int64
        public var rowsQuarantined: Int64
        public var committedAt: String?
        public var contentSHA256: String?

        enum CodingKeys: String, CodingKey {
            case status, checkpoint
            case checkpointLine = "checkpoint_line", recordsRead = "records_read", rowsLoaded = "rows_loaded"
            case rowsQuarantined = "rows_quarantined", committedAt = "committed_at", contentSHA256 = "content_sha256"
        }
    }

    public struct Run: Sendable, Codable {
        public var runID: String
        public var status: String
        public var rowsLoaded: Int64
        public var errorType: String?
        public var errorMessage: String?

        enum CodingKeys: String, CodingKey {
            case status
            case runID = "run_id", rowsLoaded = "rows_loaded", errorType = "error_type", errorMessage = "error_message"
        }
    }

    public var file: String
    public var table: String?
    public var strategy: String?
    public var tracked: Bool
    public var tracker: Tracker?
    public var ledger: Ledger?
    public var quarantined: Int = 0
    /// `line N: reason` for the first quarantined records.
    public var quarantineLines: [String] = []
    public var runs: [Run] = []
    /// Rows in the table now whose `_source_file` is this file.
    public var rowsInTable: Int64?
    /// `unchanged`, `changed`, `missing` (gone from disk) or `unknown`.
    public var onDisk: String
    /// Where `after_load` moved it ("" when it deleted it).
    public var archivedTo: String?
    public var nextAction: String
    /// What `validate-consistency` reports for this file.
    public var findings: [String] = []
    /// For a file no run has seen yet: what `plan` says.
    public var plan: PlanReport.File?
    /// True when `validate-consistency` reports an error for this file (exit 1).
    public var inconsistent = false

    enum CodingKeys: String, CodingKey {
        case file, table, strategy, tracked, tracker, ledger, quarantined, runs, findings, plan, inconsistent
        case quarantineLines = "quarantine_lines", rowsInTable = "rows_in_table", onDisk = "on_disk", nextAction = "next_action"
        case archivedTo = "archived_to"
    }

    /// Reads the tracker, the ledger, the quarantine, the table and the file; writes nothing.
    public static func gather(config: LadingConfig, environment: Environment, argument: String, logger: Logger) throws -> ExplainReport {
        let candidates = [argument, Paths.absolute(argument, relativeTo: Paths.directory(of: config.configPath), home: environment.variables["HOME"])]
        let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
        let warehouse: (any Warehouse)? = try environment.stores.warehouseExists(config) ? try environment.stores.openWarehouse(config, readOnly: true) : nil
        for table in config.tables {
            for path in candidates {
                let record = try tracker.record(table: table.name, file: path)
                let row = try warehouse?.ledgerRow(table: table.name, file: path)
                guard record != nil || row != nil else { continue }
                return try explainTracked(path, table: table, record: record, row: row, tracker: tracker, warehouse: warehouse,
                                          config: config, environment: environment)
            }
        }
        // Untracked: explained as plan would, for the table whose folder holds it.
        let path = candidates.reversed().first { FileManager.default.fileExists(atPath: $0) } ?? candidates[candidates.count - 1]
        var report = ExplainReport(file: path, tracked: false, onDisk: FileManager.default.fileExists(atPath: path) ? "unchanged" : "missing",
                                   nextAction: "")
        guard let table = config.tables.first(where: { path.hasPrefix($0.sourcePath.hasSuffix("/") ? $0.sourcePath : $0.sourcePath + "/") }) else {
            report.nextAction = "none: no table's source_path holds this file, so no run will load it"
            return report
        }
        report.table = table.name
        report.strategy = table.strategy.rawValue
        let planned = try Planner(config: config, environment: environment, logger: logger).plan(tables: [table.name], onlyFile: path)
        if let file = planned.tables.first?.files.first {
            report.plan = file
            report.nextAction = file.outcome == "fail" ? "the next run would fail it: \(file.reason ?? "")"
                : file.outcome == "held" ? "the next run would hold it back: \(file.reason ?? "")"
                : "the next run loads it: \(file.text)"
        } else {
            report.nextAction = "none yet: the file does not match the table's file_pattern, or waits for min_file_age_seconds"
        }
        return report
    }

    private static func explainTracked(_ path: String, table: TableConfig, record: FileRecord?, row: LedgerRow?, tracker: any FileTracker,
                                       warehouse: (any Warehouse)?, config: LadingConfig, environment: Environment) throws -> ExplainReport {
        let location = AfterLoad.location(of: path, record: record)
        let exists = location != nil
        var onDisk = exists ? "unchanged" : record?.archivedPath == "" ? "deleted after load" : "missing"
        if let location, let known = row?.contentSHA256 ?? record?.contentSHA256, record?.status == .completed || row?.status == .complete {
            onDisk = (try? FileHasher.sha256(path: location)) == known ? "unchanged" : "changed"
        }
        var report = ExplainReport(file: path, table: table.name, strategy: table.strategy.rawValue, tracked: record != nil, onDisk: onDisk, nextAction: "")
        report.archivedTo = record?.archivedPath
        if let record {
            report.tracker = Tracker(status: record.status.rawValue, attempts: record.retryCount, errorType: record.errorType, errorMessage: record.errorMessage,
                                     runID: record.runID, processingStart: record.processingStartTime, processingEnd: record.processingEndTime,
                                     changeDetected: record.changeDetected)
        }
        if let row {
            report.ledger = Ledger(status: row.status.rawValue, checkpoint: row.checkpoint, checkpointLine: row.checkpointLine, recordsRead: row.recordsRead,
                                   rowsLoaded: row.rowsLoaded, rowsQuarantined: row.rowsQuarantined, committedAt: row.committedAt, contentSHA256: row.contentSHA256)
        }
        if let warehouse {
            let bad = try warehouse.quarantinedRecords(table: table.name, file: path, pendingOnly: false).sorted { $0.lineNumber < $1.lineNumber }
            report.quarantined = bad.count
            report.quarantineLines = bad.prefix(5).map { "line \($0.lineNumber): [\($0.errorType)] \($0.errorMessage)" }
            if try warehouse.tableExists(table.name) { report.rowsInTable = try warehouse.rowCount(in: table.name, file: path) }
        }
        report.runs = try tracker.runsTouching(table: table.name, file: path).map {
            Run(runID: $0.runID, status: $0.file.status, rowsLoaded: $0.file.rowsLoaded, errorType: $0.file.errorType, errorMessage: $0.file.errorMessage)
        }
        let findings = try ConsistencyChecker(config: config, environment: environment).check().findings.filter { $0.file == path && ($0.table == nil || $0.table == table.name) }
        report.findings = findings.map { "\($0.severity == .error ? "error" : "warning") \($0.kind.rawValue): \($0.message)" }
        report.inconsistent = findings.contains { $0.severity == .error }
        report.nextAction = nextAction(record: record, row: row, onDisk: onDisk, table: table, config: config,
                                       repairable: findings.contains { $0.severity == .error && $0.fixable })
        return report
    }

    private static func nextAction(record: FileRecord?, row: LedgerRow?, onDisk: String, table: TableConfig, config: LadingConfig, repairable: Bool) -> String {
        if repairable { return "a run leaves it as it is: 'lading validate-consistency --fix' repairs what the findings above say" }
        guard let record else {
            return row?.status == .complete ? "the next run marks it COMPLETED from its ledger row (the ledger is the truth)"
                : "the next run loads it again (its ledger row is a reload marker or a checkpoint)"
        }
        switch record.status {
        case .completed:
            return onDisk == "changed" ? "none: a completed file whose content changed is reported, never reloaded; 'lading reset-state --file' loads the new content"
                : "none: it is loaded and a run never loads it again"
        case .pending:
            if row?.status == .partial, row?.stagingTable != nil {
                return "the next run resumes it after record \(row?.checkpoint ?? 0) (its last checkpoint)"
            }
            return "the next run loads it"
        case .processing:
            return "a run is loading it now, or its run died: the next run takes it over (resuming from its checkpoint if it has one)"
        case .failed:
            let retry = RetryPolicy(retryAttempts: config.retryAttempts)
            if retry.mayRetry(record) { return "the next run retries it (attempt \(record.retryCount + 1) of \(config.retryAttempts))" }
            return "none: it will not be retried (\(record.errorType ?? "unknown") error, \(record.retryCount) attempt(s)); fix the file or the config, then 'lading reset-state --failed-only --yes'"
                + (table.strategy.appliesInOrder ? "; the later files of this \(table.strategy.rawValue) table wait behind it" : "")
        }
    }

    public func text() -> String {
        var lines = ["File: \(file)"]
        if let table { lines.append("Table: \(table) (\(strategy ?? "?"))") }
        if let tracker {
            var line = "Tracker: \(tracker.status), \(tracker.attempts) failed attempt(s)"
            if let type = tracker.errorType { line += ", last error [\(type)] \(tracker.errorMessage ?? "")" }
            if let runID = tracker.runID { line += "; run \(runID)" }
            lines.append(line)
            if let change = tracker.changeDetected { lines.append("Changed on disk since it loaded: \(change)") }
        } else {
            lines.append("Tracker: not tracked" + (tracked ? "" : " (no run has seen it yet)"))
        }
        if let ledger {
            lines.append("Ledger: \(ledger.status), \(ledger.recordsRead) records read, \(ledger.rowsLoaded) loaded, \(ledger.rowsQuarantined) quarantined"
                + (ledger.status == "partial" ? ", checkpoint after record \(ledger.checkpoint) (line \(ledger.checkpointLine))" : "")
                + (ledger.committedAt.map { ", committed \($0)" } ?? ""))
        } else if tracked {
            lines.append("Ledger: no row (nothing of it is committed)")
        }
        if quarantined > 0 {
            lines.append("Quarantined: \(quarantined) record(s)")
            for line in quarantineLines { lines.append("  \(line)") }
        }
        if let rowsInTable {
            if strategy == "append" || strategy == "overwrite" {
                lines.append("Rows in the table from this file now: \(rowsInTable)" + (ledger.map { " (ledger: \($0.rowsLoaded))" } ?? ""))
            } else {
                lines.append("Rows in the table last written by this file: \(rowsInTable) (\(strategy ?? "") rows carry the file that last changed them; the ledger counts records applied)")
            }
        }
        lines.append("On disk: \(onDisk)" + (archivedTo.map { $0.isEmpty ? " (deleted after load)" : " (archived to \($0))" } ?? ""))
        if !runs.isEmpty {
            lines.append("Runs that touched it:")
            for run in runs {
                lines.append("  \(run.runID): \(run.status), \(run.rowsLoaded) rows" + (run.errorMessage.map { " — [\(run.errorType ?? "?")] \($0)" } ?? ""))
            }
        }
        if let plan { lines.append("Plan: \(plan.text)") }
        for finding in findings { lines.append("Finding: \(finding)") }
        lines.append("Next: \(nextAction)")
        return lines.joined(separator: "\n")
    }
}

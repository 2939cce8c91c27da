import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// What `lading status` shows: the lock holder, per-table file counts, the last run
/// and the failed files with their errors.
public struct StatusReport: Sendable, Codable {
    public struct Lock: Sendable, Codable {
        public var present: Bool
        public var path: String
        public var pid: Int32?
        public var hostname: String?
        public var since: String?
        public var timeoutAt: String?
        public var runID: String?
        /// `alive`, `stale`, `unreadable` or `absent`.
        public var state: String
        public var alive: Bool
        public var detail: String?

        enum CodingKeys: String, CodingKey {
            case present, path, pid, hostname, since, state, alive, detail
            case timeoutAt = "timeout_at"
            case runID = "run_id"
        }
    }

    public struct TableCounts: Sendable, Codable {
        public var table: String
        public var pending: Int
        public var processing: Int
        public var completed: Int
        public var failed: Int
        public var total: Int

        enum CodingKeys: String, CodingKey {
            case table, total
            case pending = "PENDING"
            case processing = "PROCESSING"
            case completed = "COMPLETED"
            case failed = "FAILED"
        }
    }

    public struct FailedFile: Sendable, Codable {
        public var table: String
        public var file: String
        public var errorType: String?
        public var errorMessage: String?
        public var retryCount: Int
        public var willRetry: Bool

        enum CodingKeys: String, CodingKey {
            case table, file
            case errorType = "error_type"
            case errorMessage = "error_message"
            case retryCount = "retry_count"
            case willRetry = "will_retry"
        }
    }

    public struct ChangedFile: Sendable, Codable {
        public var table: String
        public var file: String
        public var detail: String
    }

    public var lock: Lock
    public var trackerPath: String
    public var trackerExists: Bool
    public var tables: [TableCounts]
    public var lastRun: RunRecord?
    public var failedFiles: [FailedFile]
    public var changedFiles: [ChangedFile]
    /// Tables whose circuit breaker is open, with when it opened.
    public var circuitBreakers: [String: String] = [:]
    /// SCD2 tables whose later files wait behind a file that failed for good, and why.
    public var held: [String: String] = [:]
    /// Why the tracker cannot be read (status still shows the lock at 3 a.m.).
    public var trackerDamage: String?
    /// Why the databases cannot be reached (SPEC §9: status says so and shows what it can).
    public var unreachable: String?
    /// Runs holding the lock now (several on PostgreSQL), as `worker-status` lists them.
    public var workers: [WorkerInfo] = []

    enum CodingKeys: String, CodingKey {
        case lock, tables, workers
        case circuitBreakers = "circuit_breakers_open", held, trackerDamage = "tracker_damage", unreachable
        case trackerPath = "tracker_path"
        case trackerExists = "tracker_exists"
        case lastRun = "last_run"
        case failedFiles = "failed_files"
        case changedFiles = "changed_files"
    }

    /// What status can say when the server does not answer: where it looked, why it
    /// failed, and the configured tables (their counts are unknown).
    public static func unreachable(config: LadingConfig, environment: Environment, reason: String) -> StatusReport {
        let lock = Lock(present: false, path: environment.stores.lockLocation(config), pid: nil, hostname: nil, since: nil, timeoutAt: nil,
                        runID: nil, state: "unknown", alive: false, detail: "the database cannot be reached")
        var report = StatusReport(lock: lock, trackerPath: environment.stores.trackerLocation(config), trackerExists: false,
                                  tables: [], lastRun: nil, failedFiles: [], changedFiles: [])
        report.unreachable = reason + " (configured tables: " + config.tables.map(\.name).joined(separator: ", ") + ")"
        return report
    }

    /// Reads everything without writing: status must be safe beside a live run.
    public static func gather(config: LadingConfig, environment: Environment) throws -> StatusReport {
        let now = environment.clock.now()
        let lock = describeLock(try environment.stores.inspectRunLock(config, environment: environment),
                                path: environment.stores.lockLocation(config), now: now, timeoutMinutes: config.timeoutMinutes)
        let exists = try environment.stores.trackerExists(config)
        var counts: [String: [FileStatus: Int]] = [:]
        var lastRun: RunRecord?
        var failed: [FailedFile] = []
        var changed: [ChangedFile] = []
        var breakers: [String: String] = [:]
        var held: [String: String] = [:]
        var damage: String?
        if exists {
            let tracker: any FileTracker
            do {
                tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
            } catch let error as TrackerError {
                guard case .corrupt(_, let detail) = error else { throw error }
                damage = detail
                return StatusReport(lock: lock, trackerPath: environment.stores.trackerLocation(config), trackerExists: exists, tables: [], lastRun: nil,
                                    failedFiles: [], changedFiles: [], trackerDamage: damage)
            }
            counts = try tracker.statusCounts()
            breakers = try tracker.openBreakers()
            let policy = RetryPolicy(retryAttempts: config.retryAttempts)
            for table in config.tables where table.strategy.appliesInOrder {
                let records = try tracker.records(table: table.name)
                guard let blocker = records.first(where: { $0.status == .failed && !policy.mayRetry($0) }) else { continue }
                let waiting = records.filter { $0.status == .pending && $0.filePath > blocker.filePath }.count
                if waiting > 0 {
                    held[table.name] = "\(waiting) file(s) wait behind \(blocker.filePath), which FAILED (\(blocker.errorType ?? "unknown")): \(table.strategy.rawValue) files apply in order; fix it, then 'lading reset-state --failed-only --yes'"
                }
            }
            lastRun = try tracker.runs(limit: 1).first
            failed = try tracker.records(status: .failed).map {
                FailedFile(table: $0.tableName, file: $0.filePath, errorType: $0.errorType, errorMessage: $0.errorMessage,
                           retryCount: $0.retryCount, willRetry: policy.mayRetry($0))
            }
            changed = try tracker.changedRecords().map {
                ChangedFile(table: $0.tableName, file: $0.filePath, detail: $0.changeDetected ?? "")
            }
        }
        var names = config.tables.map(\.name)
        for name in counts.keys.sorted() where !names.contains(name) { names.append(name) }
        let tables = names.map { name -> TableCounts in
            let byStatus = counts[name] ?? [:]
            let values = FileStatus.allCases.map { byStatus[$0] ?? 0 }
            return TableCounts(table: name, pending: values[0], processing: values[1], completed: values[2], failed: values[3],
                               total: values.reduce(0, +))
        }
        var report = StatusReport(lock: lock, trackerPath: environment.stores.trackerLocation(config), trackerExists: exists, tables: tables,
                                  lastRun: lastRun, failedFiles: failed, changedFiles: changed, circuitBreakers: breakers, held: held)
        report.workers = try environment.stores.workers(config, environment: environment)
        return report
    }

    static func describeLock(_ state: LockState, path: String, now: Date, timeoutMinutes: Double) -> Lock {
        switch state {
        case .absent:
            return Lock(present: false, path: path, state: "absent", alive: false)
        case .held(let info, let staleReason):
            return Lock(present: true, path: path, pid: info.pid, hostname: info.hostname, since: info.acquiredAt,
                        timeoutAt: info.timeoutAt, runID: info.runID, state: staleReason == nil ? "alive" : "stale",
                        alive: staleReason == nil, detail: staleReason)
        case .unreadable(let detail, let modified):
            let old = modified.map { now.timeIntervalSince($0) >= timeoutMinutes * 60 } ?? true
            return Lock(present: true, path: path, state: old ? "stale" : "unreadable", alive: false,
                        detail: "unreadable lock file: \(detail)")
        }
    }

    /// The human rendering.
    public func text() -> String {
        var lines: [String] = []
        if let unreachable { return "Database: UNREACHABLE: \(unreachable); lock, files and runs are unknown until it answers" }
        switch lock.state {
        case "absent": lines.append("Lock: free (\(lock.path))")
        case "alive": lines.append("Lock: held by pid \(lock.pid ?? 0) on \(lock.hostname ?? "?") since \(lock.since ?? "?") (alive, run \(lock.runID ?? "?"), expires \(lock.timeoutAt ?? "?"))")
        default:
            var line = "Lock: \(lock.state)"
            if let pid = lock.pid { line += " — pid \(pid) on \(lock.hostname ?? "?") since \(lock.since ?? "?")" }
            if let detail = lock.detail { line += " (\(detail))" }
            lines.append(line + "; 'lading run' takes it over, or 'lading force-unlock' removes it")
        }
        if workers.contains(where: { $0.heartbeatUntil != nil }) {
            lines.append(WorkerStatusReport(workers: workers).text())
        }
        if !trackerExists { lines.append("Tracker: not created yet (\(trackerPath)); no run has happened") }
        if let trackerDamage {
            lines.append("Tracker: DAMAGED (\(trackerDamage)); the next 'lading run' or 'lading fix-inconsistencies' moves it aside and rebuilds it from the warehouse ledger")
        }
        lines.append("Files by table:")
        for table in tables {
            lines.append("  \(table.table): \(table.completed) completed, \(table.pending) pending, \(table.processing) processing, \(table.failed) failed")
        }
        for (table, why) in held.sorted(by: { $0.key < $1.key }) { lines.append("Held: \(table): \(why)") }
        for (table, since) in circuitBreakers.sorted(by: { $0.key < $1.key }) {
            lines.append("Circuit breaker OPEN for \(table) since \(since): the next run tries one file first and continues only if it loads")
        }
        if let run = lastRun {
            lines.append("Last run: \(run.runID) started \(run.startedAt), \(run.status)"
                + (run.finishedAt.map { ", finished \($0)" } ?? "")
                + ", \(run.filesLoaded) files loaded, \(run.filesFailed) failed, \(run.rowsLoaded) rows")
        } else {
            lines.append("Last run: none")
        }
        if !failedFiles.isEmpty {
            lines.append("Failed files:")
            for file in failedFiles {
                lines.append("  \(file.table) \(file.file): [\(file.errorType ?? "unknown")] \(file.errorMessage ?? "") (attempts \(file.retryCount), \(file.willRetry ? "will retry" : "no automatic retry"))")
            }
        }
        if !changedFiles.isEmpty {
            lines.append("Completed files changed on disk (not reloaded):")
            for file in changedFiles { lines.append("  \(file.table) \(file.file): \(file.detail)") }
        }
        return lines.joined(separator: "\n")
    }
}

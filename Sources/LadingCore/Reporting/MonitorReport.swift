import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `lading monitor`: health over a window of hours (SPEC §8). Rates are fractions;
/// crossing a `monitor:` threshold is a critical alert (exit 1), a run much longer
/// than usual a warning. Stuck files are read from the tracker's current state, not
/// the window: a file that failed a week ago and still holds a table back still does.
public struct MonitorReport: Encodable, Sendable {
    public struct Alert: Encodable, Sendable, Equatable {
        public var level: String
        public var name: String
        public var message: String
        public var value: Double?
        public var threshold: Double?
        /// The table it is about, when it is about one.
        public var table: String? = nil
        /// The command that helps, for scripts; the message says it too.
        public var command: String? = nil
    }

    public struct ErrorPattern: Encodable, Sendable {
        public var errorType: String
        public var pattern: String
        public var count: Int
        public var example: String

        enum CodingKeys: String, CodingKey {
            case errorType = "error_type", pattern, count, example
        }
    }

    public var windowHours: Double
    public var runs = 0
    public var successfulRuns = 0
    public var partialRuns = 0
    public var failedRuns = 0
    /// Killed runs found at the next start (SPEC §8): failures in the rates.
    public var interruptedRuns = 0
    /// Runs refused by the lock (exit 75): counted, not failures.
    public var refusedRuns = 0
    public var successRate: Double?
    public var failureRate: Double?
    public var rowsLoaded: Int64 = 0
    public var rowsQuarantined: Int64 = 0
    public var quarantineRate: Double?
    public var hoursSinceLastSuccess: Double?
    public var meanDurationSeconds: Double?
    public var lastDurationSeconds: Double?
    public var errorPatterns: [ErrorPattern] = []
    public var alerts: [Alert] = []
    /// The window's figures per table (from what each run did per file).
    public var tables: [TableFigures] = []

    public struct TableFigures: Encodable, Sendable {
        public var table: String
        public var filesLoaded = 0
        public var filesFailed = 0
        public var rowsLoaded: Int64 = 0
        public var rowsQuarantined: Int64 = 0
        public var quarantineRate: Double?

        enum CodingKeys: String, CodingKey {
            case table
            case filesLoaded = "files_loaded", filesFailed = "files_failed", rowsLoaded = "rows_loaded"
            case rowsQuarantined = "rows_quarantined", quarantineRate = "quarantine_rate"
        }
    }

    public var critical: Bool { alerts.contains { $0.level == "critical" } }

    enum CodingKeys: String, CodingKey {
        case windowHours = "window_hours", runs, successfulRuns = "successful_runs", partialRuns = "partial_runs", failedRuns = "failed_runs"
        case interruptedRuns = "interrupted_runs", refusedRuns = "refused_runs"
        case successRate = "success_rate", failureRate = "failure_rate", rowsLoaded = "rows_loaded", rowsQuarantined = "rows_quarantined"
        case quarantineRate = "quarantine_rate", hoursSinceLastSuccess = "hours_since_last_success"
        case meanDurationSeconds = "mean_duration_seconds", lastDurationSeconds = "last_duration_seconds"
        case errorPatterns = "error_patterns", alerts, status, tables
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(critical ? "critical" : alerts.isEmpty ? "ok" : "warning", forKey: .status)
        try c.encode(windowHours, forKey: .windowHours)
        try c.encode(runs, forKey: .runs)
        try c.encode(successfulRuns, forKey: .successfulRuns)
        try c.encode(partialRuns, forKey: .partialRuns)
        try c.encode(failedRuns, forKey: .failedRuns)
        try c.encode(interruptedRuns, forKey: .interruptedRuns)
        try c.encode(refusedRuns, forKey: .refusedRuns)
        try c.encode(successRate, forKey: .successRate)
        try c.encode(failureRate, forKey: .failureRate)
        try c.encode(rowsLoaded, forKey: .rowsLoaded)
        try c.encode(rowsQuarantined, forKey: .rowsQuarantined)
        try c.encode(quarantineRate, forKey: .quarantineRate)
        try c.encode(hoursSinceLastSuccess, forKey: .hoursSinceLastSuccess)
        try c.encode(meanDurationSeconds, forKey: .meanDurationSeconds)
        try c.encode(lastDurationSeconds, forKey: .lastDurationSeconds)
        try c.encode(errorPatterns, forKey: .errorPatterns)
        try c.encode(alerts, forKey: .alerts)
        try c.encode(tables, forKey: .tables)
    }

    public static func gather(config: LadingConfig, environment: Environment, hours: Double) throws -> MonitorReport {
        var report = MonitorReport(windowHours: hours)
        let now = environment.clock.now()
        let since = now.addingTimeInterval(-hours * 3600)
        var all: [RunRecord] = []
        var failures: [FileRecord] = []
        var stuck: [Alert] = []
        var breakers: [String: String] = [:]
        var perTable: [String: TableFigures] = [:]
        if try environment.stores.trackerExists(config) {
            let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
            all = try tracker.runs(limit: 100_000)
            breakers = try tracker.openBreakers()
            for run in all where (Timestamp.parse(run.startedAt) ?? .distantPast) >= since {
                for file in try tracker.runFiles(runID: run.runID) {
                    var figures = perTable[file.table, default: TableFigures(table: file.table)]
                    figures.rowsLoaded += file.rowsLoaded
                    figures.rowsQuarantined += file.rowsQuarantined
                    if file.status == "failed" { figures.filesFailed += 1 } else { figures.filesLoaded += 1 }
                    perTable[file.table] = figures
                }
            }
            let failed = try tracker.records(status: .failed)
            failures = failed.filter { (Timestamp.parse($0.updatedAt) ?? .distantPast) >= since }
            stuck = stuckFileAlerts(tables: config.tables, failed: failed, pending: try tracker.records(status: .pending),
                                    retry: RetryPolicy(retryAttempts: config.retryAttempts))
        }
        let window = all.filter { (Timestamp.parse($0.startedAt) ?? .distantPast) >= since }
        let finished = window.filter { $0.status != "running" && $0.status != "refused" }
        report.runs = window.count
        report.successfulRuns = finished.filter { $0.status == "success" }.count
        report.partialRuns = finished.filter { $0.status == "partial" }.count
        report.failedRuns = finished.filter { $0.status == "failed" }.count
        report.interruptedRuns = finished.filter { $0.status == "interrupted" }.count
        report.refusedRuns = window.filter { $0.status == "refused" }.count
        if !finished.isEmpty {
            report.successRate = Double(report.successfulRuns) / Double(finished.count)
            report.failureRate = Double(report.partialRuns + report.failedRuns + report.interruptedRuns) / Double(finished.count)
        }
        report.rowsLoaded = window.reduce(0) { $0 + $1.rowsLoaded }
        report.rowsQuarantined = window.reduce(0) { $0 + $1.rowsQuarantined }
        if report.rowsLoaded + report.rowsQuarantined > 0 {
            report.quarantineRate = Double(report.rowsQuarantined) / Double(report.rowsLoaded + report.rowsQuarantined)
        }
        if let last = all.first(where: { $0.status == "success" }), let end = (last.finishedAt ?? Optional(last.startedAt)).flatMap(Timestamp.parse) {
            report.hoursSinceLastSuccess = now.timeIntervalSince(end) / 3600
        }
        let durations = finished.compactMap(RunHistory.duration(of:))
        if !durations.isEmpty { report.meanDurationSeconds = durations.reduce(0, +) / Double(durations.count) }
        report.lastDurationSeconds = durations.first
        report.errorPatterns = patterns(failures)
        report.alerts = alerts(report, thresholds: config.monitor,
                               history: all.filter { $0.status != "running" && $0.status != "refused" && $0.status != "interrupted" }.compactMap(RunHistory.duration(of:)))
        if report.interruptedRuns > 0 {
            report.alerts.append(Alert(level: "warning", name: "interrupted_runs",
                message: "\(report.interruptedRuns) run(s) were killed before finishing; 'lading validate-consistency' shows whether anything needs a repair",
                value: Double(report.interruptedRuns), threshold: 0, command: "lading validate-consistency"))
        }
        for (table, since) in breakers.sorted(by: { $0.key < $1.key }) {
            report.alerts.append(Alert(level: "warning", name: "circuit_breaker_open",
                message: "\(table): circuit breaker open since \(since): its files stay PENDING and the next run tries one first; 'lading status' shows the failures",
                value: 1, threshold: 0, table: table, command: "lading status"))
        }
        report.alerts += stuck
        report.tables = config.tables.map { perTable[$0.name] ?? TableFigures(table: $0.name) }
        for index in report.tables.indices where report.tables[index].rowsLoaded + report.tables[index].rowsQuarantined > 0 {
            let figures = report.tables[index]
            report.tables[index].quarantineRate = Double(figures.rowsQuarantined) / Double(figures.rowsLoaded + figures.rowsQuarantined)
        }
        return report
    }

    /// Files that wait on a human, per table (SPEC §8), each alert naming the command.
    ///
    /// - `held_files`: PENDING files of an SCD2 table behind a FAILED one (SPEC §7: they
    ///   apply in order). **Critical** when a FAILED file before them will not be retried:
    ///   the table cannot advance by itself, each night adds to the backlog and its data
    ///   grows staler while runs keep "succeeding" elsewhere, so someone must act now.
    ///   A **warning** when the next run retries the blocker, which may clear it alone.
    /// - `failed_not_retried`: FAILED files no run will attempt again (data and
    ///   configuration errors, or retries used up), not already told as a blocker.
    ///   A **warning**: their rows are missing until someone fixes and resets them, but
    ///   nothing else is held up and nothing gets worse by waiting; the run that failed
    ///   them already exited 1 and counts in the failure rate. Being critical would keep
    ///   `monitor` critical for as long as a file nobody can fix yet stays in the tracker,
    ///   and an alert that never clears stops being read.
    static func stuckFileAlerts(tables: [TableConfig], failed: [FileRecord], pending: [FileRecord], retry: RetryPolicy) -> [Alert] {
        var alerts: [Alert] = []
        var blockers: Set<String> = []
        for table in tables where table.strategy.appliesInOrder {
            let precedes = loadOrder(table)
            let failedHere = failed.filter { $0.tableName == table.name }.sorted(by: precedes)
            guard let first = failedHere.first else { continue }
            let held = pending.filter { $0.tableName == table.name && precedes(first, $0) }
            guard let last = held.max(by: precedes) else { continue }
            let final = failedHere.filter { precedes($0, last) && !retry.mayRetry($0) }
            let command = "lading reset-state --failed-only --table \(table.name) --yes"
            var message = "\(table.name): \(held.count) file(s) wait behind \(Paths.fileName(of: first.filePath)), which FAILED (\(first.errorType ?? "unknown"))"
            if final.isEmpty {
                message += "; the next run retries it and, if it loads, the waiting files after it; 'lading status' shows the error"
                alerts.append(Alert(level: "warning", name: "held_files", message: message, value: Double(held.count), threshold: 0,
                                    table: table.name, command: "lading status"))
            } else {
                blockers.formUnion(final.map(\.filePath))
                message += (retry.mayRetry(first) ? "" : " and will not be retried") + ": SCD2 files apply in order, so the table stays as it is until "
                    + "\(final.count == 1 ? "it loads" : "\(final.count) failed files load")"
                    + "; 'lading status' shows the error; fix the file or config, then '\(command)'"
                alerts.append(Alert(level: "critical", name: "held_files", message: message, value: Double(held.count), threshold: 0,
                                    table: table.name, command: command))
            }
        }
        let final = failed.filter { !retry.mayRetry($0) && !blockers.contains($0.filePath) }
        var names = tables.map(\.name)
        for record in final where !names.contains(record.tableName) { names.append(record.tableName) }
        for name in names {
            let files = final.filter { $0.tableName == name }
            guard let first = files.first else { continue }
            let kinds = Set(files.map { $0.errorType.flatMap(ErrorKind.init(rawValue:)) ?? .unknown })
            var reasons: [String] = []
            if kinds.contains(.data) { reasons.append("data errors need a fix") }
            if kinds.contains(.configuration) { reasons.append("configuration errors need a fix") }
            if !kinds.subtracting([.data, .configuration]).isEmpty { reasons.append("the others used up their retries") }
            let command = "lading reset-state --failed-only --table \(name) --yes"
            let which = Paths.fileName(of: first.filePath) + (files.count > 1 ? " and \(files.count - 1) more" : "")
            alerts.append(Alert(level: "warning", name: "failed_not_retried",
                message: "\(name): \(files.count) FAILED file(s) will not be retried (\(which)): \(reasons.joined(separator: "; ")); "
                    + "'lading status' shows the errors; fix them, then '\(command)'",
                value: Double(files.count), threshold: 0, table: name, command: command))
        }
        return alerts
    }

    /// The order an SCD2 table applies its files in (as discovery sorts them).
    static func loadOrder(_ table: TableConfig) -> (FileRecord, FileRecord) -> Bool {
        func byName(_ a: FileRecord, _ b: FileRecord) -> Bool { a.filePath.utf8.lexicographicallyPrecedes(b.filePath.utf8) }
        switch table.orderBy {
        case .name:
            return byName
        case .modifiedTime:
            return { a, b in
                let (left, right) = (Timestamp.parse(a.fileModifiedTime), Timestamp.parse(b.fileModifiedTime))
                if let left, let right, left != right { return left < right }
                if left == nil || right == nil, a.fileModifiedTime != b.fileModifiedTime { return a.fileModifiedTime < b.fileModifiedTime }
                return byName(a, b)
            }
        }
    }

    /// A figure against its two tiers (SPEC §8): above the critical threshold critical,
    /// above the warning one a warning, with the command that helps.
    static func tiered(_ name: String, value: Double, critical: Double, warning: Double, command: String,
                       message: (Double) -> String) -> Alert? {
        if value > critical {
            return Alert(level: "critical", name: name, message: message(critical) + "; '\(command)'", value: value, threshold: critical, command: command)
        }
        if value > warning {
            return Alert(level: "warning", name: name, message: message(warning) + "; '\(command)'", value: value, threshold: warning, command: command)
        }
        return nil
    }

    static func alerts(_ report: MonitorReport, thresholds: LadingConfig.Monitor, history: [Double]) -> [Alert] {
        var alerts: [Alert] = []
        if let rate = report.failureRate, let alert = tiered("failure_rate", value: rate, critical: thresholds.maxFailureRate,
                                                             warning: thresholds.warnFailureRate, command: "lading history --limit 20",
                                                             message: { String(format: "%.0f%% of runs in the window failed or partly failed (threshold %.0f%%)", rate * 100, $0 * 100) }) {
            alerts.append(alert)
        }
        if let rate = report.quarantineRate, let alert = tiered("quarantine_rate", value: rate, critical: thresholds.maxQuarantineRate,
                                                                warning: thresholds.warnQuarantineRate, command: "lading quarantine list",
                                                                message: { String(format: "%.2f%% of records were quarantined (threshold %.2f%%)", rate * 100, $0 * 100) }) {
            alerts.append(alert)
        }
        if let hours = report.hoursSinceLastSuccess {
            if let alert = tiered("hours_since_success", value: hours, critical: thresholds.maxHoursSinceSuccess, warning: thresholds.warnHoursSinceSuccess,
                                  command: "lading status", message: { String(format: "last successful run %.1f hours ago (threshold %.1f)", hours, $0) }) {
                alerts.append(alert)
            }
        } else {
            alerts.append(Alert(level: "critical", name: "hours_since_success", message: "no successful run recorded; 'lading status' and 'lading history' show why",
                                value: nil, threshold: thresholds.maxHoursSinceSuccess, command: "lading status"))
        }
        // The latest run against the median of the ones before it (at least 3).
        if history.count >= 4, let last = history.first {
            let earlier = history.dropFirst().sorted()
            let median = earlier[earlier.count / 2]
            if median > 0, last > 3 * median, last - median > 60 {
                alerts.append(Alert(level: "warning", name: "long_run", message: String(format: "the last run took %.0fs, %.1f× the usual %.0fs", last, last / median, median), value: last, threshold: 3 * median))
            }
        }
        return alerts
    }

    /// Failures grouped by class and message with numbers, paths and quoted values
    /// replaced, so fifty files failing the same way are one pattern.
    static func patterns(_ failures: [FileRecord]) -> [ErrorPattern] {
        var groups: [String: ErrorPattern] = [:]
        for record in failures {
            let message = record.errorMessage ?? ""
            let pattern = normalise(message.replacingOccurrences(of: record.filePath, with: "<file>"))
            let key = (record.errorType ?? "unknown") + "\u{1F}" + pattern
            groups[key, default: ErrorPattern(errorType: record.errorType ?? "unknown", pattern: pattern, count: 0, example: message)].count += 1
        }
        return groups.values.sorted { ($0.count, $1.pattern) > ($1.count, $0.pattern) }
    }

    /// Masks what varies between failures of the same kind: quoted values, paths, dates
    /// and timestamps, then numbers. A number is masked only as a whole token (not next
    /// to a letter, digit or `_`), so "SCD2", "col2", "x86_64" or "1.2.3" keep their digits.
    static func normalise(_ message: String) -> String {
        var text = message
        let masks = [("'[^']*'", "'…'"), ("\"[^\"]*\"", "\"…\""), ("/[^ :;,)]+", "<path>"),
                     ("(?<![A-Za-z0-9_])[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?(?![A-Za-z0-9_])", "<time>"),
                     ("(?<![A-Za-z0-9_.])[0-9]+(\\.[0-9]+)?(?!\\.?[A-Za-z0-9_])", "N")]
        for (regex, replacement) in masks {
            text = text.replacingOccurrences(of: regex, with: replacement, options: .regularExpression)
        }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    public var text: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a" }
        var lines = ["=== LADING MONITOR (last \(windowHours.formatted()) hours) ===",
                     "Status: \(critical ? "CRITICAL" : alerts.isEmpty ? "OK" : "WARNING")",
                     "Runs: \(runs) (success \(successfulRuns), partial \(partialRuns), failed \(failedRuns), interrupted \(interruptedRuns), refused by the lock \(refusedRuns))",
                     "Success rate: \(percent(successRate)) | failure rate: \(percent(failureRate))",
                     "Rows loaded: \(rowsLoaded) | quarantined: \(rowsQuarantined) (\(percent(quarantineRate)))",
                     "Hours since last success: \(hoursSinceLastSuccess.map { String(format: "%.1f", $0) } ?? "never")",
                     "Run duration: mean \(meanDurationSeconds.map { String(format: "%.1fs", $0) } ?? "n/a"), last \(lastDurationSeconds.map { String(format: "%.1fs", $0) } ?? "n/a")"]
        if !errorPatterns.isEmpty {
            lines.append("Error patterns:")
            lines += errorPatterns.map { "  \($0.count)× [\($0.errorType)] \($0.pattern)" }
        }
        if !tables.isEmpty {
            lines.append("Per table:")
            lines += tables.map { "  \($0.table): \($0.filesLoaded) file(s) loaded, \($0.filesFailed) failed, \($0.rowsLoaded) rows, \($0.rowsQuarantined) quarantined (\(percent($0.quarantineRate)))" }
        }
        lines.append("Alerts: \(alerts.isEmpty ? "none" : "")")
        lines += alerts.map { "  \($0.level.uppercased()) \($0.name): \($0.message)" }
        return lines.joined(separator: "\n")
    }
}

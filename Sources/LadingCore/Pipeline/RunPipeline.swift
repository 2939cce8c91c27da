import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// One `lading run`: lock → reconcile → discover → register → load → report → release.
public struct RunPipeline {
    public let config: LadingConfig
    public let environment: Environment
    public let logger: Logger
    /// Called after each file with a one-line progress text (the CLI shows it on a terminal).
    public var progress: (@Sendable (String) -> Void)?
    /// A listing already under way (`lading run` starts one while it parses its
    /// arguments), taken if it is of the first table this run loads; of this `config`.
    public var listingStarted: ListingPrefetch?

    public init(config: LadingConfig, environment: Environment, logger: Logger) {
        self.config = config
        self.environment = environment
        self.logger = logger
    }

    public func run(_ options: RunOptions, reportPath: String? = nil) throws -> RunSummary {
        let tables = try config.selectTables(options.tables)
        let prefetch = options.dryRun ? nil : tables.first.map { first in
            if let started = listingStarted, started.table == first.name { return started }
            return ListingPrefetch(table: first, now: environment.clock.now())
        }
        let widenings = try DeclaredTypeCheck(config: config, environment: environment).widenings(for: tables)
        if options.dryRun { return try dryRun(tables: tables, options: options) }

        let runID = environment.makeID(prefix: "run-")
        var log = logger
        log[metadataKey: "run_id"] = "\(runID)"
        let state: LockedState
        do {
            state = try LockedState.open(config: config, environment: environment, logger: log, runID: runID, quickCheck: true, purpose: .run)
        } catch let error as LockError {
            recordRefusal(error, runID: runID)
            throw error
        }
        let (lock, warehouse, tracker) = (state.lock, state.warehouse, state.tracker)
        defer { lock.release() }
        try DeclaredTypeCheck.migrate(widenings, warehouse: warehouse, logger: log) { table, columns in
            try TableReplay(config: config, table: table, warehouse: warehouse, tracker: tracker, environment: environment, logger: log)
                .replayAll(widening: columns) != nil
        }
        if let pause = environment.variables["LADING_TEST_HOLD_LOCK_SECONDS"].flatMap(Double.init), pause > 0 {
            // Test hook: keep the lock long enough for contenders to meet it.
            Thread.sleep(forTimeInterval: pause)
        }
        let started = environment.clock.now()
        try tracker.startRun(runID: runID, pid: environment.process.processID, hostname: environment.process.hostname)
        log.info("run started", metadata: ["tables": "\(tables.map(\.name).joined(separator: ","))"])

        var summary = RunSummary(runID: runID, dryRun: false, outcome: "success", tables: [], replacedLock: lock.replaced)
        summary.startedAt = Timestamp.iso8601(started)
        var record = RunRecord(runID: runID, startedAt: "", finishedAt: nil, status: "running", pid: environment.process.processID,
                               hostname: environment.process.hostname, filesDiscovered: 0, filesLoaded: 0, filesFailed: 0,
                               rowsLoaded: 0, rowsQuarantined: 0, errorMessage: nil)
        var thrown: Error?
        do {
            try Reconciler(tracker: tracker, warehouse: warehouse, runID: runID, logger: log).reconcile()
            var remaining = options.maxFiles
            for table in tables {
                // SPEC §9: one worker at a time applies an ordered table's files, in order;
                // the others take other tables.
                if table.strategy.appliesInOrder, !(try lock.tryTakeOrderedTable(table.name)) {
                    log.info("another worker is applying this table's files; skipped by this one", metadata: ["table": "\(table.name)"])
                    var skipped = Self.tableSummary(TableRegistration(table: table.name), limit: 0)
                    skipped.otherWorker = "another worker is applying this table's files (they apply one worker at a time, in order)"
                    summary.tables.append(skipped)
                    continue
                }
                defer { lock.releaseOrderedTable(table.name) }
                var registration: TableRegistration
                do {
                    registration = try discoverAndRegister(table, tracker: tracker, dryRun: false, logger: log,
                                                           listed: prefetch?.table == table.name ? prefetch : nil)
                } catch let error as DiscoveryError {
                    // SPEC §4: one table's missing or unreadable folder fails that table only.
                    guard case .sourceUnavailable = error else { throw error }
                    log.error("table failed for this run", metadata: ["table": "\(table.name)", "error": "\(error.message)"])
                    var failed = Self.tableSummary(TableRegistration(table: table.name), limit: 0)
                    failed.error = error.message
                    summary.tables.append(failed)
                    continue
                }
                if let pause = environment.variables["LADING_TEST_PAUSE_AFTER_DISCOVERY_SECONDS"].flatMap(Double.init), pause > 0 {
                    // Test hook: files change between discovery and load (SPEC §4).
                    log.info("test pause after discovery", metadata: ["seconds": "\(pause)"])
                    Thread.sleep(forTimeInterval: pause)
                }
                // SPEC §4: a crash between a commit and its after_load move is finished now.
                if table.afterLoad != .keep {
                    AfterLoad(table: table, tracker: tracker, logger: log).finish(records: try tracker.records(table: table.name))
                }
                if let only = options.onlyFiles { registration.toLoad.removeAll { !only.contains($0.path) } }
                record.filesDiscovered += registration.discovered
                var tableSummary = Self.tableSummary(registration, limit: remaining)
                var loader = FileLoader(config: config, table: table, warehouse: warehouse, tracker: tracker,
                                        environment: environment, runID: runID, logger: log)
                loader.progress = progress
                do {
                    try loader.loadAll(Array(registration.toLoad.prefix(remaining ?? Int.max)), into: &tableSummary)
                } catch {
                    // A run cut off (a lost lock or lease, a signal) still reports the files
                    // it finished before.
                    summary.tables.append(tableSummary)
                    throw error
                }
                if let limit = remaining { remaining = max(0, limit - tableSummary.files.count) }
                summary.tables.append(tableSummary)
            }
        } catch {
            thrown = error
        }
        let finished = environment.clock.now()
        summary.finishedAt = Timestamp.iso8601(finished)
        summary.durationSeconds = finished.timeIntervalSince(started)
        let anyFailure = summary.filesFailed > 0 || !summary.tableErrors.isEmpty
        summary.outcome = thrown != nil || (anyFailure && summary.filesLoaded == 0) ? "failed"
            : anyFailure ? "partial" : "success"
        record.status = summary.outcome
        record.finishedAt = summary.finishedAt
        record.filesLoaded = summary.filesLoaded
        record.filesFailed = summary.filesFailed
        record.rowsLoaded = summary.rowsLoaded
        record.rowsQuarantined = summary.rowsQuarantined
        record.errorMessage = thrown.map { ($0 as? LadingError)?.message ?? "\($0)" }
            ?? (summary.tableErrors.isEmpty ? nil : summary.tableErrors.joined(separator: "; "))
        var warehouseRecord = record
        warehouseRecord.startedAt = summary.startedAt ?? ""
        // The warehouse's copy of the run and its close, and the report, each on a side
        // thread beside the tracker's: each mostly waits on its own fsyncs. Both stores
        // are closed before the lock goes (the deferred release), so no other run can be
        // writing while SQLite takes the stamp that spares the next run its check.
        let warehouseDone = SideThread {
            try? warehouse.recordRun(warehouseRecord)
            warehouse.close()
        }
        // A short report (a rerun with nothing new) is written beside them too; a long one
        // here, after them: a thread of its own would build its JSON in a fresh malloc
        // arena, 6 MiB more peak for 5,000 files, where this thread reuses the load's.
        let written = summary.tables.reduce(0) { $0 + $1.files.count }
        let reportWritten = written <= Self.reportBesideLimit
            ? SideThread { [summary, log] in writeReport(summary, to: reportPath, at: started, logger: log) } : nil
        try? tracker.finishRun(record)
        try? tracker.recordRunFiles(runID: runID, files: summary.tables.flatMap { table in
            table.files.map { RunFile(table: table.table, file: $0.file, status: $0.status, recordsRead: $0.recordsRead, rowsLoaded: $0.rowsLoaded,
                                      rowsQuarantined: $0.rowsQuarantined, errorType: $0.errorType, errorMessage: $0.errorMessage, scd2: $0.scd2, merge: $0.merge) }
        })
        tracker.close()
        if let reportWritten {
            // Its answer, nil included: a write that failed has warned once already.
            summary.reportPath = reportWritten.wait()
        } else {
            summary.reportPath = writeReport(summary, to: reportPath, at: started, logger: log)
        }
        warehouseDone.wait()
        log.info("run finished", metadata: ["outcome": "\(summary.outcome)", "files_loaded": "\(summary.filesLoaded)",
                                            "files_failed": "\(summary.filesFailed)", "rows_loaded": "\(summary.rowsLoaded)"])
        if let thrown { throw thrown }
        return summary
    }

    /// Files in a run's report up to which it is written on a thread of its own.
    static let reportBesideLimit = 100

    /// SPEC §4: a run refused by the lock is counted (`monitor`), best effort: the
    /// tracker belongs to the live run, so a busy or damaged one is left alone.
    private func recordRefusal(_ error: LockError, runID: String) {
        let holder: String
        switch error {
        case .heldByLiveRun(let info, _): holder = info.holderDescription
        case .unreadableAndRecent: holder = "a run that is writing its lock file"
        case .io, .lost, .leaseLost: return
        }
        // Without a tracker yet there is no history to count in, and a refused run
        // changes nothing.
        guard (try? environment.stores.trackerExists(config)) == true else { return }
        // The holder may be creating the tracker at this moment: a few short tries.
        for attempt in 0..<5 {
            do {
                let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: false)
                try tracker.recordRefusedRun(runID: runID, pid: environment.process.processID, hostname: environment.process.hostname,
                                             holder: holder)
                return
            } catch {
                if attempt == 4 { logger.warning("could not count this refused run in the tracker", metadata: ["error": "\(error)"]) }
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt + 1))
            }
        }
    }

    /// The JSON run report (SPEC §8), at `--report` or `state_dir/reports/run_YYYYMMDD_HHMMSS.json`.
    func writeReport(_ summary: RunSummary, to explicit: String?, at started: Date, logger: Logger) -> String? {
        // 20261123T144801Z → 20261123_144801
        let stamp = String(Timestamp.compact(started).compactMap { $0 == "T" ? "_" : $0 == "Z" ? nil : $0 })
        var path = explicit ?? config.stateDirectory + "/reports/run_\(stamp).json"
        if explicit == nil {
            // Two runs within one second keep both reports: run_…_2.json, _3, ….
            var suffix = 2
            while FileManager.default.fileExists(atPath: path) {
                path = config.stateDirectory + "/reports/run_\(stamp)_\(suffix).json"
                suffix += 1
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: Paths.directory(of: path), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            var withPath = summary
            withPath.reportPath = path
            try AtomicFile.write(try encoder.encode(withPath), to: path)
            return path
        } catch {
            logger.warning("could not write the run report", metadata: ["path": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    /// Lists what a run would load, writing nothing at all: no lock, no state folder,
    /// no tracker. An existing tracker is only read.
    func dryRun(tables: [TableConfig], options: RunOptions) throws -> RunSummary {
        var tracker: (any FileTracker)?
        if try environment.stores.trackerExists(config) {
            do {
                tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
            } catch {
                // A dry run must not rebuild anything; say why every file looks new.
                logger.warning("the tracker cannot be read; listing every file as new", metadata: ["error": "\(error)"])
            }
        }
        var summary = RunSummary(runID: nil, dryRun: true, outcome: "dry-run", tables: [], replacedLock: nil)
        var remaining = options.maxFiles
        for table in tables {
            let registration: TableRegistration
            do {
                registration = try discoverAndRegister(table, tracker: tracker, dryRun: true, logger: logger)
            } catch let error as DiscoveryError {
                guard case .sourceUnavailable = error else { throw error }
                var failed = Self.tableSummary(TableRegistration(table: table.name), limit: 0)
                failed.error = error.message
                summary.tables.append(failed)
                continue
            }
            summary.tables.append(Self.tableSummary(registration, limit: remaining))
            if let limit = remaining { remaining = max(0, limit - registration.toLoad.count) }
        }
        return summary
    }

    func discoverAndRegister(_ table: TableConfig, tracker: (any FileTracker)?, dryRun: Bool, logger: Logger,
                             listed: ListingPrefetch? = nil) throws -> TableRegistration {
        let listing = try listed?.listing() ?? Discovery(table: table, now: environment.clock.now()).list()
        let registrar = Registrar(table: table, tracker: tracker, retry: RetryPolicy(retryAttempts: config.retryAttempts), dryRun: dryRun)
        let registration = try registrar.register(listing)
        for (path, reason) in registration.skipped {
            logger.warning("skipped a landing entry", metadata: ["table": "\(table.name)", "file": "\(path)", "reason": "\(reason)"])
        }
        for (path, detail) in registration.changed {
            logger.warning("a completed file changed on disk", metadata: ["table": "\(table.name)", "file": "\(path)", "detail": "\(detail)"])
        }
        for path in registration.waiting {
            logger.info("file too recent, waits for the next run", metadata: ["table": "\(table.name)", "file": "\(path)"])
        }
        return registration
    }

    static func tableSummary(_ registration: TableRegistration, limit: Int?) -> RunSummary.Table {
        let planned = registration.toLoad.map(\.path)
        var held: String?
        if let behind = registration.heldBehind, !behind.files.isEmpty {
            held = "\(behind.files.count) file(s) wait: \(Paths.fileName(of: behind.failed)) FAILED and SCD2 files apply in order; fix it, then 'lading reset-state --failed-only --yes'"
        }
        return RunSummary.Table(
            table: registration.table,
            discovered: registration.discovered,
            newlyRegistered: registration.newlyRegistered,
            alreadyCompleted: registration.alreadyCompleted,
            failedFinal: registration.failedFinal,
            waiting: registration.waiting,
            changed: registration.changed.map(\.path),
            planned: limit.map { Array(planned.prefix($0)) } ?? planned,
            held: held
        )
    }
}

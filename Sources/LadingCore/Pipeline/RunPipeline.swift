import Foundation
import Logging

/// One `lading run`: lock → discover → register → (load) → report → release.
public struct RunPipeline {
    public let config: LadingConfig
    public let environment: Environment
    public let logger: Logger

    public init(config: LadingConfig, environment: Environment, logger: Logger) {
        self.config = config
        self.environment = environment
        self.logger = logger
    }

    public func run(_ options: RunOptions) throws -> RunSummary {
        let tables = try selectTables(options.tables)
        // A missing landing folder is a configuration error: report it before taking
        // the lock or creating any state.
        for table in tables { try Discovery(table: table, now: environment.clock.now()).checkSourceFolder() }
        if options.dryRun { return try dryRun(tables: tables, options: options) }

        let runID = environment.makeID(prefix: "run-")
        let lock = try RunLock.acquire(path: config.lockPath, runID: runID, timeoutMinutes: config.timeoutMinutes,
                                       environment: environment, logger: logger)
        defer { lock.release() }
        if let pause = environment.variables["LADING_TEST_HOLD_LOCK_SECONDS"].flatMap(Double.init), pause > 0 {
            // Test hook: keep the lock long enough for contenders to meet it.
            Thread.sleep(forTimeInterval: pause)
        }
        var log = logger
        log[metadataKey: "run_id"] = "\(runID)"
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        let tracker = try Tracker(path: config.trackerPath, clock: environment.clock)
        try tracker.startRun(runID: runID, pid: environment.process.processID, hostname: environment.process.hostname)
        log.info("run started", metadata: ["tables": "\(tables.map(\.name).joined(separator: ","))"])

        var summary = RunSummary(runID: runID, dryRun: false, outcome: "success", tables: [], replacedLock: lock.replaced)
        var record = RunRecord(runID: runID, startedAt: "", finishedAt: nil, status: "running", pid: environment.process.processID,
                               hostname: environment.process.hostname, filesDiscovered: 0, filesLoaded: 0, filesFailed: 0,
                               rowsLoaded: 0, rowsQuarantined: 0, errorMessage: nil)
        do {
            for table in tables {
                let registration = try discoverAndRegister(table, tracker: tracker, dryRun: false, logger: log)
                record.filesDiscovered += registration.discovered
                summary.tables.append(Self.tableSummary(registration, limit: options.maxFiles))
            }
        } catch {
            record.status = "failed"
            record.errorMessage = "\(error)"
            record.finishedAt = Timestamp.iso8601(environment.clock.now())
            try? tracker.finishRun(record)
            throw error
        }
        record.status = summary.outcome
        record.finishedAt = Timestamp.iso8601(environment.clock.now())
        try tracker.finishRun(record)
        log.info("run finished", metadata: ["outcome": "\(summary.outcome)"])
        return summary
    }

    /// Lists what a run would load, writing nothing at all: no lock, no state folder,
    /// no tracker. An existing tracker is only read.
    func dryRun(tables: [TableConfig], options: RunOptions) throws -> RunSummary {
        let tracker = FileManager.default.fileExists(atPath: config.trackerPath)
            ? try Tracker(path: config.trackerPath, clock: environment.clock, readOnly: true) : nil
        var summary = RunSummary(runID: nil, dryRun: true, outcome: "dry-run", tables: [], replacedLock: nil)
        var remaining = options.maxFiles
        for table in tables {
            let registration = try discoverAndRegister(table, tracker: tracker, dryRun: true, logger: logger)
            summary.tables.append(Self.tableSummary(registration, limit: remaining))
            if let limit = remaining { remaining = max(0, limit - registration.toLoad.count) }
        }
        return summary
    }

    func discoverAndRegister(_ table: TableConfig, tracker: Tracker?, dryRun: Bool, logger: Logger) throws -> TableRegistration {
        let listing = try Discovery(table: table, now: environment.clock.now()).list()
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
        return RunSummary.Table(
            table: registration.table,
            discovered: registration.discovered,
            newlyRegistered: registration.newlyRegistered,
            alreadyCompleted: registration.alreadyCompleted,
            failedFinal: registration.failedFinal,
            waiting: registration.waiting,
            changed: registration.changed.map(\.path),
            planned: limit.map { Array(planned.prefix($0)) } ?? planned
        )
    }

    func selectTables(_ names: [String]) throws -> [TableConfig] {
        guard !names.isEmpty else { return config.tables }
        return try names.map { name in
            guard let table = config.table(named: name) else {
                throw UsageError("unknown table '\(name)'; configured tables: \(config.tables.map(\.name).joined(separator: ", "))")
            }
            return table
        }
    }
}

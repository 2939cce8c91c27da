import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `reset-state` end to end: the lock (exit 75 beside a live run), a tracker rebuilt
/// if damaged, the files named on the command line resolved, then `StateReset`.
public struct StateResetRunner {
    let config: LadingConfig
    let environment: Environment
    let logger: Logger

    public init(config: LadingConfig, environment: Environment, logger: Logger) {
        self.config = config
        self.environment = environment
        self.logger = logger
    }

    /// `reinfer` (SPEC §2/§3): every chosen table is rebuilt aside from its files with
    /// its column types inferred again, and swapped in.
    public func reset(tables: [TableConfig], files: [String], failedOnly: Bool, reinfer: Bool = false) throws -> [StateReset.Outcome] {
        let state = try LockedState.open(config: config, environment: environment, logger: logger, runID: environment.makeID(prefix: "reset-"))
        defer { state.lock.release() }
        let (warehouse, tracker) = (state.warehouse, state.tracker)
        let reset = StateReset(tracker: tracker, warehouse: warehouse)
        func replay(_ table: TableConfig) throws -> StateReset.Outcome {
            try TableReplay(config: config, table: table, warehouse: warehouse, tracker: tracker, environment: environment, logger: logger).reset(reinfer: reinfer)
        }
        if reinfer { return try tables.map(replay) }
        if failedOnly { return try tables.map { try reset.resetFailedRetries($0) } }
        guard !files.isEmpty else { return try tables.map { $0.strategy.appliesInOrder ? try replay($0) : try reset.reset($0) } }
        var outcomes: [StateReset.Outcome] = []
        var replayed: Set<String> = []
        for argument in files {
            let matches = try locate(argument, in: tables, tracker: tracker, warehouse: warehouse)
            guard !matches.isEmpty else { throw RecoveryError.notTracked(file: argument) }
            for (table, path) in matches {
                if table.strategy.appliesInOrder {
                    // An ordered table cannot lose one file from its middle: the table replays.
                    guard replayed.insert(table.name).inserted else { continue }
                    outcomes.append(try replay(table))
                    continue
                }
                outcomes.append(try reset.reset(file: path, in: table))
                logger.info("reset a file", metadata: ["table": "\(table.name)", "file": "\(path)"])
            }
        }
        return outcomes
    }

    /// `--dry-run`: the outcomes a reset would have, read without the lock or any write.
    public func plan(tables: [TableConfig], files: [String], failedOnly: Bool, reinfer: Bool = false) throws -> [StateReset.Outcome] {
        guard try environment.stores.warehouseExists(config) || environment.stores.trackerExists(config) else {
            return tables.map { var outcome = StateReset.Outcome(table: $0.name); outcome.dryRun = true; return outcome }
        }
        let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
        let warehouse = try environment.stores.openWarehouse(config, readOnly: true)
        let reset = StateReset(tracker: tracker, warehouse: warehouse)
        func planTable(_ table: TableConfig) throws -> StateReset.Outcome {
            var outcome = StateReset.Outcome(table: table.name)
            outcome.dryRun = true
            if failedOnly {
                outcome.failedOnly = true
                outcome.retryCountsReset = try tracker.records(table: table.name).filter { $0.status == .failed }.count
            } else if table.strategy.appliesInOrder || reinfer {
                outcome.replay = true
                let applied = try warehouse.ledgerRows(table: table.name).filter { $0.status == .complete || $0.stagingTable == nil }.map(\.sourceFile)
                outcome.filesReset = applied.filter { FileManager.default.fileExists(atPath: $0) }
                outcome.keptMissing = applied.filter { !FileManager.default.fileExists(atPath: $0) }
                outcome.rowsRemoved = try warehouse.tableExists(table.name) ? try warehouse.rowCount(of: table.name) : 0
            } else {
                for file in try reset.knownFiles(of: table) {
                    if FileManager.default.fileExists(atPath: file) { outcome.filesReset.append(file) } else { outcome.keptMissing.append(file) }
                }
            }
            return outcome
        }
        guard !files.isEmpty, !failedOnly else { return try tables.map(planTable) }
        var outcomes: [StateReset.Outcome] = []
        for argument in files {
            let matches = try locate(argument, in: tables, tracker: tracker, warehouse: warehouse)
            guard !matches.isEmpty else { throw RecoveryError.notTracked(file: argument) }
            for (table, path) in matches {
                if table.strategy.appliesInOrder { outcomes.append(try planTable(table)); continue }
                var outcome = StateReset.Outcome(table: table.name)
                outcome.dryRun = true
                if FileManager.default.fileExists(atPath: path) { outcome.filesReset = [path] } else { outcome.keptMissing = [path] }
                outcomes.append(outcome)
            }
        }
        return outcomes
    }

    /// Tables tracking `argument`, taken as a tracked path or relative to the config file.
    private func locate(_ argument: String, in tables: [TableConfig], tracker: any FileTracker, warehouse: any Warehouse) throws -> [(TableConfig, String)] {
        let candidates = [argument, Paths.absolute(argument, relativeTo: Paths.directory(of: config.configPath), home: environment.variables["HOME"])]
        var found: [(TableConfig, String)] = []
        for table in tables {
            for path in candidates {
                if try tracker.record(table: table.name, file: path) != nil || warehouse.ledgerRow(table: table.name, file: path) != nil {
                    found.append((table, path))
                    break
                }
            }
        }
        return found
    }
}

extension StateReset.Outcome {
    /// The lines for people, one per outcome; with `--failed-only` only the tables that
    /// had FAILED files, or "no FAILED files" (also with `--dry-run`) when none had any (a table without
    /// failures has nothing to say, and a line per table of a large config hides the one
    /// that matters).
    public static func lines(_ outcomes: [StateReset.Outcome]) -> [String] {
        let shown = outcomes.filter { !$0.failedOnly || $0.retryCountsReset > 0 }
        if shown.isEmpty && !outcomes.isEmpty && outcomes.allSatisfy(\.failedOnly) {
            return ["no FAILED files"]
        }
        return shown.map(\.text)
    }

    /// One line for people.
    public var text: String {
        let line = plainText
        return dryRun ? "would: " + line : line
    }

    private var plainText: String {
        if dryRun && replay && !keptMissing.isEmpty {
            return "\(table): cannot replay, \(keptMissing.count) applied file(s) are no longer on disk (\(keptMissing.prefix(3).joined(separator: ", "))); nothing would change"
        }
        if dryRun && replay {
            return "\(table): replay its \(filesReset.count) applied file(s) in order into a new table and swap it in (\(rowsRemoved) rows now)"
        }
        if failedOnly {
            return "\(table): \(retryCountsReset) FAILED file(s) will be retried by the next run"
        }
        if filesReset.isEmpty && keptMissing.isEmpty { return "\(table): nothing to reset" }
        var line = replay
            ? "\(table): replayed its \(filesReset.count) applied file(s) in order into a new table and swapped it in (\(rowsRemoved) rows before); readers saw the old table until then"
            : "\(table): \(filesReset.count) file(s) reset, loaded again by the next run" + (rowsRemoved > 0 ? " (\(rowsRemoved) rows removed)" : "")
        if !keptMissing.isEmpty {
            line += "; \(keptMissing.count) file(s) no longer on disk kept as they are (their rows stay)"
        }
        return line
    }
}

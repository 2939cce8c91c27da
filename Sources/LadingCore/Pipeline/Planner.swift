import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `lading plan` (SPEC §10): what the next run would do, file by file, found by doing it.
///
/// The files a run would load are discovered as a dry run does (the tracker is only
/// read), then each one is loaded by the strategy's own loader into a scratch warehouse:
/// the real one inside a transaction that is rolled back at the end. The counts are
/// therefore the loaders' own (the same conversion, the same SCD2 and merge
/// comparisons, the same guards), later files of an ordered table see the earlier ones
/// applied, and nothing is left behind: no lock, no tracker row, no table, no temporary
/// table, no state folder.
public struct Planner {
    let config: LadingConfig
    let environment: Environment
    let logger: Logger

    public init(config: LadingConfig, environment: Environment, logger: Logger) {
        self.config = config
        self.environment = environment
        self.logger = logger
    }

    public func plan(tables names: [String] = [], onlyFile: String? = nil) throws -> PlanReport {
        let tables = try config.selectTables(names)
        let tracker: (any FileTracker)? = try environment.stores.trackerExists(config)
            ? try environment.stores.openTracker(config, clock: environment.clock, readOnly: true) : nil
        let scratch = try environment.stores.openScratchWarehouse(config)
        defer { scratch.discard() }
        let pipeline = RunPipeline(config: config, environment: environment, logger: logger)
        var report = PlanReport()
        for table in tables {
            var tablePlan = PlanReport.Table(table: table.name, strategy: table.strategy.rawValue)
            let registration: TableRegistration
            do {
                registration = try pipeline.discoverAndRegister(table, tracker: tracker, dryRun: true, logger: logger)
            } catch let error as DiscoveryError {
                tablePlan.note = error.message
                tablePlan.failed = true
                report.tables.append(tablePlan)
                continue
            }
            var files = registration.toLoad
            if let onlyFile { files = files.filter { $0.path == onlyFile } }
            if let behind = registration.heldBehind, !files.isEmpty {
                tablePlan.note = "\(files.count) file(s) wait behind \(Paths.fileName(of: behind.failed)), which FAILED: \(table.strategy.rawValue) files apply in order"
                tablePlan.files = files.map { PlanReport.File(file: $0.path, outcome: "held", reason: tablePlan.note) }
                report.tables.append(tablePlan)
                continue
            }
            var held: String?
            for file in files {
                if let signal = SignalMonitor.pending { throw LoadError.interrupted(signal: signal) }
                if let held {
                    tablePlan.files.append(PlanReport.File(file: file.path, outcome: "held", reason: held))
                    continue
                }
                let planned = try planFile(file, table: table, warehouse: scratch, tracker: tracker)
                tablePlan.files.append(planned)
                if planned.outcome == "fail", table.strategy.appliesInOrder {
                    held = "waits behind \(Paths.fileName(of: file.path)), which would fail: \(table.strategy.rawValue) files apply in order"
                }
            }
            report.tables.append(tablePlan)
        }
        return report
    }

    /// One file through its strategy's loader, in a savepoint of the scratch warehouse.
    private func planFile(_ file: DiscoveredFile, table: TableConfig, warehouse: any Warehouse, tracker: (any FileTracker)?) throws -> PlanReport.File {
        var planned = PlanReport.File(file: file.path, outcome: "load")
        var context = LoadContext(warehouse: warehouse, table: table, batchSize: config.batchSize,
                                  maxRecordBytes: config.maxRecordBytes, clock: environment.clock, logger: logger)
        context.interruption = { SignalMonitor.pending }
        do {
            // Schema changes the file brings, as the loader will see them.
            let (_, columnPlan) = try context.openWithPlan(path: file.readPath, reserved: WarehouseNames.auditColumns)
            let exists = try warehouse.tableExists(table.name)
            planned.schemaChanges = (exists ? columnPlan.newColumns.map { "new column \($0.name) (\($0.type.rawValue))" } : [])
                + columnPlan.widened.map { "\($0.name) widened to \($0.type.rawValue)" }
            if table.strategy.appliesInOrder, let tracker {
                let replay = TableReplay(config: config, table: table, warehouse: warehouse, tracker: tracker, environment: environment, logger: logger)
                if let last = try replay.lateness(of: file) {
                    guard table.lateFiles == .replay else { throw LoadError.lateFile(file: file.path, table: table.name, lastApplied: last) }
                    planned.outcome = "replay"
                    planned.reason = "late: it sorts before \(Paths.fileName(of: last)); the table would be replayed with it in its place (late_files: replay)"
                    return planned
                }
            }
            let rowsBefore = exists ? try warehouse.rowCount(of: table.name) : 0
            let sha = try file.sha256 ?? FileHasher.sha256(path: file.readPath)
            let batchID = environment.makeID(prefix: "plan-")
            let (result, _) = try warehouse.transaction {
                try TableReplay.loader(for: table.strategy, context: context).load(file: file, sha256: sha, batchID: batchID)
            }
            planned.records = result.recordsRead
            planned.quarantined = result.rowsQuarantined
            switch table.strategy {
            case .append:
                planned.inserted = result.rowsLoaded
            case .overwrite:
                planned.inserted = result.rowsLoaded
                planned.deleted = Int64(rowsBefore)
            case .merge:
                planned.merge = result.merge
            case .scd2:
                planned.scd2 = result.scd2
            }
            if result.rowsQuarantined > 0 {
                planned.firstReasons = try warehouse.quarantinedRecords(table: table.name, file: file.path, pendingOnly: false)
                    .sorted { $0.lineNumber < $1.lineNumber }.prefix(3).map { "line \($0.lineNumber): \($0.errorMessage)" }
            }
        } catch LoadError.widenByReplay(let columns) {
            planned.outcome = "replay"
            planned.reason = "the table would be replayed to widen \(columns.map { "\($0.name) to \($0.type.rawValue)" }.joined(separator: ", "))"
        } catch let error as LoadError where error.kind == .transient {
            throw error
        } catch let error as LadingError where !error.stopsTheRun && !error.isUnreachable {
            planned.outcome = "fail"
            planned.reason = "[\(error.kind.rawValue)] \(error.message)"
        }
        return planned
    }
}

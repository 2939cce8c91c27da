import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `validate-consistency --fix` and `fix-inconsistencies` (SPEC §6): repairs what is
/// safe, under the run lock, then checks again and reports what is left.
///
/// Repairs never duplicate or lose rows: metadata comes from whichever side holds the
/// truth (the ledger for data, DESIGN §1); a file whose rows in the table are wrong is
/// reset and loaded again (an SCD2 table is replayed whole), through the same loaders
/// as `run`.
public struct ConsistencyRepairer {
    let config: LadingConfig
    let environment: Environment
    let logger: Logger

    public init(config: LadingConfig, environment: Environment, logger: Logger) {
        self.config = config
        self.environment = environment
        self.logger = logger
    }

    public func repair() throws -> ConsistencyReport {
        // SPEC §9: a recovery command beside a live run exits 75, even with nothing to fix.
        if case .held(let holder, nil) = try environment.stores.inspectRunLock(config, environment: environment) {
            throw LockError.heldByLiveRun(holder, path: environment.stores.lockLocation(config))
        }
        let checker = ConsistencyChecker(config: config, environment: environment)
        let before = try checker.check()
        guard before.findings.contains(where: { ($0.severity == .error || $0.kind == .expiredLease) && $0.fixable }) else { return before }
        if before.findings.contains(where: { $0.kind == .warehouseIntegrity }) {
            // Nothing can be trusted to rebuild from: change nothing.
            return before
        }
        var fixes: [String] = []
        var notFixed: [String] = []
        var repairs: [String: Int] = [:]
        var reload: [String: Set<String>] = [:]
        do {
            let state = try LockedState.open(config: config, environment: environment, logger: logger, runID: environment.makeID(prefix: "fix-"))
            defer { state.lock.release() }
            let (warehouse, tracker) = (state.warehouse, state.tracker)
            if let replaced = state.lock.replaced {
                fixes.append("released the stale lock of \(replaced.holderDescription)")
                repairs[Finding.Kind.staleLock.rawValue, default: 0] += 1
            } else if before.findings.contains(where: { $0.kind == .lockUnreadable }) {
                fixes.append("replaced the unreadable lock file")
                repairs[Finding.Kind.lockUnreadable.rawValue, default: 0] += 1
            }
            if before.findings.contains(where: { $0.kind == .expiredLease }) {
                // Under the exclusive lock no worker is live: their rows and leases go.
                let released = try environment.stores.releaseDeadWorkers(config)
                fixes.append("released \(released) worker(s) that were not live, and their leases")
                repairs[Finding.Kind.expiredLease.rawValue, default: 0] += released
            }
            // A damaged tracker hid every finding that needs it; the rebuilt one (opening
            // the state rebuilt it) is checked again so they are repaired in this pass.
            var findings = before.inconsistencies
            if before.findings.contains(where: { $0.kind == .trackerIntegrity }) {
                fixes.append("moved the damaged tracker aside and rebuilt it from the warehouse ledger")
                repairs[Finding.Kind.trackerIntegrity.rawValue, default: 0] += 1
                findings = try checker.check().inconsistencies
            }
            let reset = StateReset(tracker: tracker, warehouse: warehouse)
            var replayed: Set<String> = []
            // SPEC §6: a repair never deletes rows it cannot load again. A file is only
            // marked for reload; the load that follows replaces its rows in the commit
            // that writes the new ones, and a reload that fails keeps the old rows.
            func reloadFile(_ file: String, of tableName: String, why: String) throws {
                guard let table = config.table(named: tableName) else { return }
                if table.strategy.appliesInOrder {
                    guard replayed.insert(tableName).inserted else { return }
                    do {
                        let outcome = try TableReplay(config: config, table: table, warehouse: warehouse, tracker: tracker,
                                                      environment: environment, logger: logger).reset()
                        fixes.append("\(tableName): \(why); replayed its \(outcome.filesReset.count) files in order aside and swapped the table in")
                    } catch let error as LadingError where error.kind == .data || error is RecoveryError {
                        notFixed.append("\(tableName): \(why); \(error.message)")
                    }
                    return
                }
                guard try reset.available(file, in: table) else {
                    notFixed.append("\(file): \(why); \(ConsistencyChecker.goneAdvice)")
                    return
                }
                try reset.markForReload(file: file, in: table)
                reload[tableName, default: []].insert(file)
                fixes.append("\(file): \(why); loading it again (its rows are replaced in the commit that loads the new ones)")
            }
            for finding in findings where finding.fixable {
                let table = finding.table ?? ""
                let file = finding.file ?? ""
                let fixesBefore = fixes.count
                defer { if fixes.count > fixesBefore { repairs[finding.kind.rawValue, default: 0] += 1 } }
                switch finding.kind {
                case .orphanedProcessing:
                    if let row = try warehouse.ledgerRow(table: table, file: file), row.status == .complete {
                        try tracker.adoptCompleted(from: row)
                        fixes.append("\(file): orphaned PROCESSING, data committed → COMPLETED")
                    } else {
                        try tracker.markForRetry(table: table, file: file, reason: "its run died before committing; marked for retry by fix-inconsistencies")
                        fixes.append("\(file): orphaned PROCESSING, nothing committed → FAILED, retried by the next run")
                    }
                case .ledgerWithoutCompleted:
                    if let row = try warehouse.ledgerRow(table: table, file: file), row.status == .complete {
                        try tracker.adoptCompleted(from: row)
                        fixes.append("\(file): complete in the ledger → tracker COMPLETED")
                    }
                case .completedWithoutLedger:
                    if try restoreLedger(table: table, file: file, tracker: tracker, warehouse: warehouse) {
                        fixes.append("\(file): ledger row rebuilt from the tracker (the table holds exactly its rows)")
                    } else {
                        try reloadFile(file, of: table, why: "no ledger row and the rows in the table do not match")
                    }
                case .rowCountMismatch:
                    try reloadFile(file, of: table, why: "row count differed from the ledger")
                case .ledgerCounts:
                    try reloadFile(file, of: table, why: "the ledger's counts disagree with the file")
                case .fileChanged:
                    try reloadFile(file, of: table, why: "content changed on disk")
                case .scd2MultipleCurrent, .scd2OverlappingVersions:
                    try reloadFile(file, of: table, why: "history damaged")
                case .mergeDuplicateKeys:
                    try reloadFile(file, of: table, why: "a key appears more than once")
                case .overwriteStaleRows:
                    try reloadFile(file, of: table, why: "rows from a file other than its latest")
                case .tableMissing:
                    guard let config = config.table(named: table) else { break }
                    if config.strategy.appliesInOrder {
                        try reloadFile("", of: table, why: "the table was missing")
                    } else {
                        for row in try warehouse.ledgerRows(table: table) {
                            try reloadFile(row.sourceFile, of: table, why: "its table was missing")
                        }
                    }
                case .stagingLeftover:
                    for staging in try warehouse.orphanStagingTables() {
                        try warehouse.dropTable(staging)
                        fixes.append("dropped leftover staging table \(staging)")
                    }
                case .staleLock, .lockUnreadable, .trackerIntegrity, .warehouseIntegrity, .failedRetriesExhausted, .fileMissing, .reloadPending,
                     .expiredLease:
                    break
                }
            }
        }
        if !reload.isEmpty {
            let files = Set(reload.values.flatMap { $0 })
            let summary = try RunPipeline(config: config, environment: environment, logger: logger)
                .run(RunOptions(tables: reload.keys.sorted(), onlyFiles: files))
            for table in summary.tables {
                for file in table.files {
                    fixes.append("\(file.file): reloaded, \(file.rowsLoaded) rows" + (file.errorMessage.map { " — FAILED: \($0)" } ?? ""))
                }
            }
        }
        var after = try checker.check()
        after.fixes = fixes
        after.notFixed = notFixed
        after.repairs = repairs
        return after
    }

    /// `--dry-run`: what `repair()` would do for each finding, from a read-only check.
    /// No lock is taken and nothing is written.
    public func plan() throws -> ConsistencyReport {
        var report = try ConsistencyChecker(config: config, environment: environment).check()
        report.dryRun = true
        if report.findings.contains(where: { $0.kind == .warehouseIntegrity }) {
            report.notFixed.append("the warehouse fails its integrity check: nothing would be changed; restore it from a backup")
            return report
        }
        var replayed: Set<String> = []
        func reload(_ file: String, _ tableName: String, _ why: String) -> String? {
            guard let table = config.table(named: tableName) else { return nil }
            if table.strategy.appliesInOrder {
                guard replayed.insert(tableName).inserted else { return nil }
                return "\(tableName): \(why); would replay its applied files in order aside and swap the table in"
            }
            return "\(file): \(why); would load it again, replacing its rows in the commit that loads the new ones"
        }
        for finding in report.findings where finding.fixable && (finding.severity == .error || finding.kind == .expiredLease) {
            let (table, file) = (finding.table ?? "", finding.file ?? "")
            let action: String?
            switch finding.kind {
            case .orphanedProcessing:
                action = finding.message.contains("WAS committed") ? "\(file): would mark COMPLETED (its data was committed)" : "\(file): would mark FAILED, retried by the next run"
            case .ledgerWithoutCompleted: action = "\(file): would mark COMPLETED from its ledger row"
            case .completedWithoutLedger: action = "\(file): would rebuild its ledger row from the tracker if the table holds exactly its rows, else load it again"
            case .rowCountMismatch: action = reload(file, table, "row count differs from the ledger")
            case .ledgerCounts: action = reload(file, table, "the ledger's counts disagree with the file")
            case .fileChanged: action = reload(file, table, "content changed on disk")
            case .scd2MultipleCurrent, .scd2OverlappingVersions: action = reload(file, table, "history damaged")
            case .mergeDuplicateKeys: action = reload(file, table, "a key appears more than once")
            case .overwriteStaleRows: action = reload(file, table, "rows from a file other than its latest")
            case .tableMissing:
                action = config.table(named: table)?.strategy.appliesInOrder == true ? reload("", table, "the table is missing")
                    : "\(table): the table is missing; would load again its files still on disk"
            case .stagingLeftover: action = "would drop the leftover staging table (\(finding.message.prefix { $0 != " " }))"
            case .staleLock: action = "would take over the stale lock"
            case .lockUnreadable: action = "would replace the unreadable lock file"
            case .trackerIntegrity: action = "would move the damaged tracker aside and rebuild it from the warehouse ledger"
            case .expiredLease: action = "would release the worker \(file) and its leases"
            case .warehouseIntegrity, .failedRetriesExhausted, .fileMissing, .reloadPending: action = nil
            }
            if let action { report.fixes.append(action) }
        }
        return report
    }

    /// A COMPLETED file without its ledger row, whose rows are all in the table: the
    /// ledger row is written again from the tracker (append tables only).
    private func restoreLedger(table name: String, file: String, tracker: any FileTracker, warehouse: any Warehouse) throws -> Bool {
        guard let table = config.table(named: name), table.strategy == .append,
              let record = try tracker.record(table: name, file: file), record.status == .completed,
              try warehouse.tableExists(name) else { return false }
        // One scan: the file's row count, how many load batches they came from, and the batch.
        let found = try warehouse.batchSummary(in: name, file: file)
        guard found.rows == record.rowsLoaded, found.batches <= 1 else { return false }
        try warehouse.transaction {
            try warehouse.writeLedger(LedgerRow(
                tableName: name, sourceFile: file, batchID: record.batchID ?? found.firstBatch ?? "", contentSHA256: record.contentSHA256,
                status: .complete, checkpoint: record.recordsRead, checkpointLine: 0, stagingTable: nil, recordsRead: record.recordsRead,
                rowsLoaded: record.rowsLoaded, rowsQuarantined: record.rowsQuarantined, fileSize: record.fileSize,
                fileModifiedTime: record.fileModifiedTime, boundary: nil, committedAt: Timestamp.iso8601(environment.clock.now())))
        }
        return true
    }
}

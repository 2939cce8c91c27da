import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `validate-consistency` (SPEC §6): every check, read-only.
///
/// It takes no lock and opens both databases read-only, so a health check can run
/// beside a live load; the live run's files count as running, not orphaned.
public struct ConsistencyChecker {
    let config: LadingConfig
    let environment: Environment

    public init(config: LadingConfig, environment: Environment) {
        self.config = config
        self.environment = environment
    }

    /// Archived copies of loaded files (SPEC §4 after_load), by tracked path.
    private var archived: [String: String] = [:]

    public func check() throws -> ConsistencyReport {
        var checker = self
        return try checker.checkAll()
    }

    private mutating func checkAll() throws -> ConsistencyReport {
        var report = ConsistencyReport()
        var liveRunIDs = Set([checkLock(&report)].compactMap { $0 })
        liveRunIDs.formUnion(checkWorkers(&report))
        let warehouse = openWarehouse(&report)
        let tracker = openTracker(&report)
        let ledger = try warehouse.map { try $0.ledgerRows() } ?? []
        let records = try tracker.map { try $0.allRecords() } ?? []
        for record in records {
            if let location = record.archivedPath { archived[record.filePath] = location }
        }
        report.totalFilesChecked = Set(ledger.map { $0.tableName + "\u{1F}" + $0.sourceFile } + records.map { $0.tableName + "\u{1F}" + $0.filePath }).count
        // A damaged tracker is reported as such; a missing one is an empty one, so its
        // ledger rows show up as completed files the tracker does not know.
        let trackerReadable = try tracker != nil || !environment.stores.trackerExists(config)
        if trackerReadable, let warehouse {
            try checkAgreement(&report, records: records, ledger: ledger, liveRunIDs: liveRunIDs, warehouse: warehouse)
        }
        if let warehouse {
            if liveRunIDs.isEmpty {
                for staging in try warehouse.orphanStagingTables() {
                    report.findings.append(Finding(.stagingLeftover, message: "\(staging) belongs to no partial load; drop it", fixable: true))
                }
            }
            for table in config.tables {
                switch table.strategy {
                case .scd2: try checkHistory(&report, table: table, warehouse: warehouse)
                case .merge: try checkMergeKeys(&report, table: table, warehouse: warehouse)
                case .overwrite: try checkOverwriteRows(&report, table: table, ledger: ledger, warehouse: warehouse)
                case .append: break
                }
            }
        }
        report.tables = config.tables.map { table in
            // Counts per kind: each finding's own line is in the list above, once.
            let own = report.findings.filter { $0.table == table.name }
            var issues = ConsistencyReport.countsByKind(own.filter { $0.severity == .error })
            let reported = Set(own.filter { $0.kind == .failedRetriesExhausted }.compactMap(\.file))
            let retried = records.filter { $0.tableName == table.name && $0.status == .failed && !reported.contains($0.filePath) }.count
            if retried > 0 { issues.append("\(retried) FAILED file\(retried == 1 ? "" : "s") the next run retries") }
            return .init(table: table.name, consistent: !own.contains { $0.severity == .error }, issues: issues)
        }
        if report.findings.contains(where: { $0.kind == .trackerIntegrity }) {
            report.trackerStatus = "damaged"
        } else if report.findings.contains(where: { $0.severity == .error && $0.kind != .warehouseIntegrity && $0.kind != .stagingLeftover }) {
            report.trackerStatus = "inconsistent"
        }
        return report
    }

    /// The lock: absent, live (a run in progress), stale, or unreadable.
    private func checkLock(_ report: inout ConsistencyReport) -> String? {
        let lockPath = environment.stores.lockLocation(config)
        let state: LockState
        do {
            state = try environment.stores.inspectRunLock(config, environment: environment)
        } catch {
            report.findings.append(Finding(.lockUnreadable, file: lockPath, message: "cannot read the run lock: \(error)", fixable: false))
            return nil
        }
        switch state {
        case .absent:
            return nil
        case .held(let info, let staleReason):
            guard let staleReason else {
                report.running = .init(runID: info.runID, pid: info.pid, hostname: info.hostname, since: info.acquiredAt)
                return info.runID
            }
            report.findings.append(Finding(.staleLock, file: lockPath,
                                           message: "held by \(info.holderDescription), but \(staleReason); the next run or --fix takes it over", fixable: true))
            return nil
        case .unreadable(let detail, let modifiedAt):
            // A fresh unreadable lock may be a run writing it: the lock refuses to take it
            // over before timeout_minutes, so --fix could not either.
            let timeout = TimeInterval(config.timeoutMinutes) * 60
            if let modifiedAt, environment.clock.now().timeIntervalSince(modifiedAt) < timeout {
                report.findings.append(Finding(.lockUnreadable, file: lockPath,
                    message: "\(detail); it is younger than timeout_minutes, so a run may be starting: try again later, or if no run is active remove it with 'lading force-unlock --yes'",
                    fixable: false))
            } else {
                report.findings.append(Finding(.lockUnreadable, file: lockPath,
                                               message: "\(detail); --fix or 'lading force-unlock' removes it", fixable: true))
            }
            return nil
        }
    }

    /// Several workers (SPEC §9): the live ones' files count as running; a worker that
    /// stopped beating (paused, cut off, killed) is a warning, and its files are
    /// reported as orphaned by the agreement check.
    private func checkWorkers(_ report: inout ConsistencyReport) -> Set<String> {
        guard let workers = try? environment.stores.workers(config, environment: environment) else { return [] }
        for worker in workers where !worker.alive && worker.heartbeatUntil != nil {
            let files = worker.leases.map { Paths.fileName(of: $0.file) }
            report.findings.append(Finding(.expiredLease, .warning, file: worker.runID,
                message: "worker \(worker.runID) (pid \(worker.pid) on \(worker.hostname)) is not live: its heartbeat ran out at \(worker.heartbeatUntil ?? "?") "
                    + "or its session ended (paused, cut off or killed)"
                    + (files.isEmpty ? "" : "; it held \(files.joined(separator: ", "))")
                    + "; --fix releases its leases, and the next worker takes its files over",
                fixable: true))
        }
        return Set(workers.filter(\.alive).map(\.runID))
    }

    private func openWarehouse(_ report: inout ConsistencyReport) -> (any Warehouse)? {
        do {
            guard try environment.stores.warehouseExists(config) else { return nil }
            let warehouse = try environment.stores.openWarehouse(config, readOnly: true)
            if let problems = try warehouse.integrityProblems(quick: false) {
                report.findings.append(Finding(.warehouseIntegrity, file: warehouse.location,
                                               message: "integrity_check: \(problems.joined(separator: "; ")); restore the warehouse from a backup", fixable: false))
                return nil
            }
            return warehouse
        } catch {
            report.findings.append(Finding(.warehouseIntegrity, file: environment.stores.warehouseLocation(config), message: "\(error); restore it from a backup", fixable: false))
            return nil
        }
    }

    private func openTracker(_ report: inout ConsistencyReport) -> (any FileTracker)? {
        do {
            guard try environment.stores.trackerExists(config) else { return nil }
            let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
            if let problems = try tracker.integrityProblems() {
                throw TrackerError.corrupt(path: tracker.location, detail: problems.joined(separator: "; "))
            }
            return tracker
        } catch {
            report.findings.append(Finding(.trackerIntegrity, file: environment.stores.trackerLocation(config),
                                           message: "\(error); --fix (or the next run) moves it aside and rebuilds it from the warehouse ledger", fixable: true))
            return nil
        }
    }

    /// I3 and I1: tracker against ledger, ledger against the rows in each table, and
    /// files against the disk.
    private func checkAgreement(_ report: inout ConsistencyReport, records: [FileRecord], ledger: [LedgerRow], liveRunIDs: Set<String>, warehouse: any Warehouse) throws {
        let ledgerByKey = Dictionary(ledger.map { ($0.tableName + "\u{1F}" + $0.sourceFile, $0) }, uniquingKeysWith: { a, _ in a })
        let recordsByKey = Dictionary(records.map { ($0.tableName + "\u{1F}" + $0.filePath, $0) }, uniquingKeysWith: { a, _ in a })
        let retry = RetryPolicy(retryAttempts: config.retryAttempts)
        let tables = Dictionary(config.tables.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for record in records {
            let row = ledgerByKey[record.tableName + "\u{1F}" + record.filePath]
            let committed = row?.status == .complete
            switch record.status {
            case .processing:
                if let owner = record.runID, liveRunIDs.contains(owner) { continue }
                report.findings.append(Finding(.orphanedProcessing, table: record.tableName, file: record.filePath,
                    message: committed ? "its run \(record.runID ?? "?") is gone; its data WAS committed (ledger complete): --fix marks it COMPLETED"
                                       : "its run \(record.runID ?? "?") is gone; no data was committed: --fix marks it FAILED for retry",
                    fixable: true))
            case .completed:
                if !committed {
                    report.findings.append(Finding(.completedWithoutLedger, table: record.tableName, file: record.filePath,
                        message: row == nil ? "the warehouse ledger has no row for it" : "its ledger row is '\(row?.status.rawValue ?? "")'", fixable: true))
                }
                checkDisk(&report, record: record)
            case .failed:
                if !retry.mayRetry(record) && !fileExists(record.filePath) {
                    // Moved away after failing (the way out of a late or bad file): nothing
                    // of it was loaded, so it is worth knowing, not an inconsistency.
                    report.findings.append(Finding(.failedRetriesExhausted, .warning, table: record.tableName, file: record.filePath,
                        message: "failed (\(record.errorType ?? "unknown")) and since removed from the landing folder; nothing of it was loaded", fixable: false))
                } else if !retry.mayRetry(record) {
                    report.findings.append(Finding(.failedRetriesExhausted, table: record.tableName, file: record.filePath,
                                                   message: Self.notRetried(record), fixable: false))
                }
            case .pending:
                break
            }
        }
        for row in ledger {
            let record = recordsByKey[row.tableName + "\u{1F}" + row.sourceFile]
            if row.status == .complete, record?.status != .completed {
                // A PROCESSING row is reported once, as an orphan (or running).
                if record?.status == .processing { continue }
                report.findings.append(Finding(.ledgerWithoutCompleted, table: row.tableName, file: row.sourceFile,
                    message: record == nil ? "the tracker has no row for it: --fix marks it COMPLETED" : "the tracker says \(record?.status.rawValue ?? ""): --fix marks it COMPLETED",
                    fixable: true))
            } else if row.status == .partial, record == nil, row.stagingTable == nil {
                report.findings.append(Finding(.reloadPending, .warning, table: row.tableName, file: row.sourceFile,
                    message: "reset; the next run loads it again and replaces its earlier rows", fixable: false))
            }
        }
        // I2 and I1 inside the ledger: a complete row's counts add up, and it read as many
        // records as its last checkpoint (the file's last record): a file staged twice
        // reads more. Cheap: no file is read again.
        for row in ledger where row.status == .complete {
            let added = row.rowsLoaded + row.rowsQuarantined
            guard row.recordsRead != added || row.recordsRead != row.checkpoint else { continue }
            let onDisk = fileExists(row.sourceFile)
            report.findings.append(Finding(.ledgerCounts, table: row.tableName, file: row.sourceFile,
                message: "the ledger counts \(row.recordsRead) records read, \(row.rowsLoaded) loaded + \(row.rowsQuarantined) quarantined, and its last record is number \(row.checkpoint): "
                    + (onDisk ? "--fix loads the file again, replacing its rows" : Self.goneAdvice),
                fixable: onDisk))
        }
        // A table the ledger says holds files, dropped by hand.
        for (name, table) in tables {
            let files = ledger.filter { $0.tableName == name }
            guard files.contains(where: { $0.status == .complete }), !(try warehouse.tableExists(name)) else { continue }
            let gone = files.map(\.sourceFile).filter { !fileExists($0) }
            let fixable = table.strategy == .append ? gone.count < files.count : gone.isEmpty
            var message = "the ledger says it holds \(files.count) file(s), but the table does not exist; "
            if gone.isEmpty {
                message += "--fix loads them again"
            } else if table.strategy == .append {
                message += "--fix loads the \(files.count - gone.count) still on disk; \(gone.count) are gone and their rows cannot come back (\(gone.prefix(3).joined(separator: ", ")))"
            } else {
                message += "its history is replayed from all its files, and \(gone.count) are gone (\(gone.prefix(3).joined(separator: ", "))): put them back, then --fix"
            }
            report.findings.append(Finding(.tableMissing, table: name, message: message, fixable: fixable))
        }
        // Rows in each append table per file against the ledger's count.
        for (name, table) in tables where table.strategy == .append {
            guard try warehouse.tableExists(name) else { continue }
            let actual = try warehouse.rowCountsBySourceFile(in: name)
            for row in ledger where row.tableName == name && row.status == .complete {
                if let owner = recordsByKey[name + "\u{1F}" + row.sourceFile]?.runID, liveRunIDs.contains(owner),
                   recordsByKey[name + "\u{1F}" + row.sourceFile]?.status == .processing { continue }
                let count = actual[row.sourceFile] ?? 0
                if count != row.rowsLoaded {
                    let what = count > row.rowsLoaded ? "duplicated rows" : "lost rows"
                    let onDisk = fileExists(row.sourceFile)
                    report.findings.append(Finding(.rowCountMismatch, table: name, file: row.sourceFile,
                        message: "\(what): the table holds \(count) rows of it, the ledger says \(row.rowsLoaded); "
                            + (onDisk ? "--fix reloads the file" : Self.goneAdvice),
                        fixable: onDisk))
                }
            }
        }
    }

    /// Why a FAILED file is not retried, in words that match what happened: data and
    /// configuration errors are never retried (SPEC §7), so they did not "exhaust" any
    /// retries; the others did. The error follows without the file's path, which the
    /// finding's line already shows.
    static func notRetried(_ record: FileRecord) -> String {
        let kind = record.errorType.flatMap(ErrorKind.init(rawValue:))
        var error = record.errorMessage ?? ""
        if error.hasPrefix(record.filePath + ": ") { error.removeFirst(record.filePath.count + 2) }
        error = error.replacingOccurrences(of: record.filePath, with: Paths.fileName(of: record.filePath))
        let reset = "'lading reset-state --failed-only --table \(record.tableName) --yes'"
        switch kind {
        case .data?:
            return "not retried: data errors need a fix (\(error)); fix the file, then \(reset)"
        case .configuration?:
            return "not retried: configuration errors need a fix (\(error)); fix the config, then \(reset)"
        default:
            let attempts = record.retryCount == 1 ? "1 attempt" : "\(record.retryCount) attempts"
            return "retries exhausted after \(attempts) (\(record.errorType ?? "unknown") error: \(error)); once the cause is gone, \(reset)"
        }
    }

    /// SPEC §6: rows of a file no longer on disk are never deleted by a repair.
    static let goneAdvice = "the file is no longer at its path, so a repair cannot load it again and keeps its rows as they are; put the file back at that path and run --fix again, or accept the rows as they are"

    /// On disk where it was found, or in its archive (SPEC §4).
    private func fileExists(_ path: String) -> Bool {
        if FileManager.default.fileExists(atPath: path) { return true }
        guard let location = archived[path], !location.isEmpty else { return false }
        return FileManager.default.fileExists(atPath: location)
    }

    /// A completed file gone (warning: landing files are often archived) or changed.
    private func checkDisk(_ report: inout ConsistencyReport, record: FileRecord) {
        let path = record.filePath
        if let location = record.archivedPath {
            // after_load moved it (or deleted it, ""): not missing while its archive holds it.
            if !location.isEmpty && !FileManager.default.fileExists(atPath: location) {
                report.findings.append(Finding(.fileMissing, .warning, table: record.tableName, file: path,
                                               message: "archived to \(location) after it loaded, and gone from there too; its rows stay", fixable: false))
            }
            return
        }
        guard let file = DiscoveredFile.current(path: path) else {
            report.findings.append(Finding(.fileMissing, .warning, table: record.tableName, file: path,
                                           message: "loaded, then removed or archived; its rows stay", fixable: false))
            return
        }
        var detail = record.changeDetected
        if detail == nil, file.size != record.fileSize || file.modifiedTime != record.fileModifiedTime {
            if let digest = try? FileHasher.sha256(path: path), let known = record.contentSHA256, digest != known {
                detail = "content changed (SHA-256 \(known.prefix(12))… → \(digest.prefix(12))…, size \(record.fileSize) → \(file.size))"
            }
        }
        if let detail {
            report.findings.append(Finding(.fileChanged, table: record.tableName, file: path,
                                           message: "\(detail); --fix reloads it, replacing its rows", fixable: true))
        }
    }

    /// I4: per key at most one current version and no overlapping periods.
    private func checkHistory(_ report: inout ConsistencyReport, table: TableConfig, warehouse: any Warehouse) throws {
        guard try warehouse.tableExists(table.name) else { return }
        let doubled = try warehouse.keysWithSeveralCurrentVersions(in: table.name, layout: table.scd2Layout, limit: Finding.listLimit)
        for example in doubled.examples {
            let key = example.key.map { $0 ?? "NULL" }.joined(separator: ", ")
            report.findings.append(Finding(.scd2MultipleCurrent, table: table.name,
                message: "key (\(key)) has \(example.versions) current versions; --fix replays the table from its files", fixable: true))
        }
        appendRest(&report, .scd2MultipleCurrent, table: table.name, total: doubled.total, advice: "--fix replays the table from its files")
        // Sorted by start, each version must end no later than the next one starts. One
        // finding per key, its first overlap.
        let overlaps = try warehouse.keysWithOverlappingVersions(in: table.name, layout: table.scd2Layout, limit: Finding.listLimit)
        for example in overlaps.examples {
            let key = example.key.map { $0 ?? "NULL" }.joined(separator: ", ")
            report.findings.append(Finding(.scd2OverlappingVersions, table: table.name,
                message: "key (\(key)): the version from \(example.start ?? "?") overlaps the next one starting \(example.nextStart ?? "?"); --fix replays the table", fixable: true))
        }
        appendRest(&report, .scd2OverlappingVersions, table: table.name, total: overlaps.total, advice: "--fix replays the table")
    }

    /// SPEC §5 merge: one row per key.
    private func checkMergeKeys(_ report: inout ConsistencyReport, table: TableConfig, warehouse: any Warehouse) throws {
        guard try warehouse.tableExists(table.name) else { return }
        let doubled = try warehouse.duplicateKeys(in: table.name, keys: table.primaryKeys, limit: Finding.listLimit)
        for example in doubled.examples {
            let key = example.key.map { $0 ?? "NULL" }.joined(separator: ", ")
            report.findings.append(Finding(.mergeDuplicateKeys, table: table.name,
                message: "key (\(key)) is held by \(example.versions) rows; --fix replays the table from its files", fixable: true))
        }
        appendRest(&report, .mergeDuplicateKeys, table: table.name, total: doubled.total, advice: "--fix replays the table from its files")
    }

    /// SPEC §5 overwrite: every row comes from the latest applied file, as many as its
    /// ledger row says.
    private func checkOverwriteRows(_ report: inout ConsistencyReport, table: TableConfig, ledger: [LedgerRow], warehouse: any Warehouse) throws {
        guard try warehouse.tableExists(table.name) else { return }
        let applied = ledger.filter { $0.tableName == table.name && $0.status == .complete }
        guard let latest = applied.max(by: { TableReplay.precedes(table, $0.sourceFile, $0.fileModifiedTime, $1.sourceFile, $1.fileModifiedTime) }) else { return }
        let counts = try warehouse.rowCountsBySourceFile(in: table.name)
        let others = counts.filter { $0.key != latest.sourceFile && $0.value > 0 }
        let own = counts[latest.sourceFile] ?? 0
        guard !others.isEmpty || own != latest.rowsLoaded else { return }
        var message = "its rows should be exactly the \(latest.rowsLoaded) of its latest file \(Paths.fileName(of: latest.sourceFile)); it holds \(own) of them"
        if !others.isEmpty {
            message += " and \(others.values.reduce(0, +)) from \(others.keys.sorted().prefix(3).map(Paths.fileName).joined(separator: ", "))"
        }
        report.findings.append(Finding(.overwriteStaleRows, table: table.name, file: latest.sourceFile,
                                       message: message + "; --fix replays the table", fixable: true))
    }

    /// The line closing a capped list: how many more keys there are and the true total,
    /// counted as that many findings so `inconsistencies_found` stays true.
    private func appendRest(_ report: inout ConsistencyReport, _ kind: Finding.Kind, table: String, total: Int, advice: String) {
        let listed = report.findings.filter { $0.kind == kind && $0.table == table }.count
        guard total > listed else { return }
        let rest = total - listed
        report.findings.append(Finding(kind, table: table,
            message: "and \(Finding.grouped(rest)) more key\(rest == 1 ? "" : "s") (\(Finding.grouped(total)) in all); \(advice)", fixable: true, count: rest))
    }
}

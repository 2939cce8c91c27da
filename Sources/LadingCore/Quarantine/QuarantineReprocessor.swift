import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `quarantine reprocess` (SPEC §2): reads quarantined records again through the
/// current config and table schema, after someone fixed what made them bad.
///
/// Records that now pass are inserted with their file's audit values, marked
/// reprocessed, and moved from `rows_quarantined` to `rows_loaded` in the ledger, all
/// in one warehouse transaction: a second reprocess (or a crash and a retry) never
/// inserts them twice, and `records_read = rows_loaded + rows_quarantined` still
/// holds (I2). Records that still fail stay quarantined with today's reason.
public struct QuarantineReprocessor {
    public struct Outcome: Encodable, Sendable {
        public var table: String
        public var file: String?
        public var reprocessed = 0
        public var stillBad = 0
        public var note: String?
        public var dryRun = false

        enum CodingKeys: String, CodingKey {
            case table, file, reprocessed, stillBad = "still_bad", note, dryRun = "dry_run"
        }

        public var text: String {
            if let note { return "\(table)\(file.map { " \($0)" } ?? ""): \(note)" }
            if dryRun { return "would: \(table) \(file ?? ""): \(reprocessed) record(s) load, \(stillBad) stay bad" }
            return "\(table) \(file ?? ""): \(reprocessed) record(s) loaded, \(stillBad) still bad"
        }
    }

    let config: LadingConfig
    let environment: Environment
    let logger: Logger

    public init(config: LadingConfig, environment: Environment, logger: Logger) {
        self.config = config
        self.environment = environment
        self.logger = logger
    }

    /// `dryRun`: every record is read again and inserted inside the transaction as for
    /// real, then the transaction rolls back and the tracker is left alone, so the counts
    /// are exact and nothing changes (the lock is held meanwhile, as for a real run).
    public func reprocess(tables: [TableConfig], dryRun: Bool = false) throws -> [Outcome] {
        let widenings = try DeclaredTypeCheck(config: config, environment: environment).widenings(for: tables)
        let state = try LockedState.open(config: config, environment: environment, logger: logger, runID: environment.makeID(prefix: "reprocess-"),
                                         readOnlyIntent: dryRun)
        defer { state.lock.release() }
        let (warehouse, tracker) = (state.warehouse, state.tracker)
        if !dryRun {
            try DeclaredTypeCheck.migrate(widenings, warehouse: warehouse, logger: logger) { table, columns in
                try TableReplay(config: config, table: table, warehouse: warehouse, tracker: tracker, environment: environment, logger: logger)
                    .replayAll(widening: columns) != nil
            }
        }
        var outcomes: [Outcome] = []
        for table in tables {
            let pending = try warehouse.quarantinedRecords(table: table.name, file: nil, pendingOnly: true)
            guard !pending.isEmpty else { continue }
            if table.strategy.appliesInOrder {
                outcomes.append(Outcome(table: table.name, note: "\(table.strategy.rawValue) records belong to their file, which applies in order: fix the file and run 'lading reset-state --file F --yes' to replay the table"))
                continue
            }
            // Raw text that was not valid UTF-8, held a NUL or was cut at 64 KiB is not the
            // record any more: reading it again would load altered data. Those stay.
            let unrecoverable: Set<String> = ["invalid_utf8", "nul_byte", "record_too_large"]
            let byFile = Dictionary(grouping: pending.filter { !unrecoverable.contains($0.errorType) }, by: \.file)
            for file in byFile.keys.sorted() {
                guard let ledger = try warehouse.ledgerRow(table: table.name, file: file), ledger.status == .complete else {
                    outcomes.append(Outcome(table: table.name, file: file, note: "the file is not completely loaded; it is reprocessed by its next load"))
                    continue
                }
                let outcome = try reprocess(byFile[file] ?? [], of: file, table: table, ledger: ledger, warehouse: warehouse, dryRun: dryRun)
                if dryRun {
                    outcomes.append(outcome)
                    continue
                }
                if outcome.reprocessed > 0 {
                    try tracker.noteReprocessed(table: table.name, file: file, records: outcome.reprocessed)
                }
                logger.info("reprocessed quarantined records", metadata: ["table": "\(table.name)", "file": "\(file)",
                                                                         "loaded": "\(outcome.reprocessed)", "still_bad": "\(outcome.stillBad)"])
                outcomes.append(outcome)
            }
        }
        return outcomes
    }

    private func reprocess(_ records: [QuarantinedRecord], of file: String, table original: TableConfig, ledger: LedgerRow,
                           warehouse: any Warehouse, dryRun: Bool) throws -> Outcome {
        var table = original
        let format = try ReaderFactory.format(for: file, configured: table.format)
        table.format = format
        // The records, behind the file's own header, in a scratch file the readers know.
        let scratch = config.stateDirectory + "/reprocess-\(environment.makeID()).\(format.rawValue)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var text = ""
        if format != .jsonl && table.csv.header {
            let names = FileManager.default.fileExists(atPath: file)
                ? try ReaderFactory.open(path: file, table: original, maxRecordBytes: config.maxRecordBytes).columnNames
                : try warehouse.columns(of: table.name).map(\.name)
            text += header(names, table: table, format: format) + "\n"
        }
        for record in records { text += record.rawRecord + "\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: scratch))

        let stamp = Timestamp.iso8601(environment.clock.now())
        let context = LoadContext(warehouse: warehouse, table: table, batchSize: records.count + 1, maxRecordBytes: config.maxRecordBytes,
                                  clock: environment.clock, logger: logger)
        let (reader, initialPlan) = try context.openWithPlan(path: scratch, reserved: WarehouseNames.auditColumns)
        var plan = initialPlan
        if !plan.newColumns.isEmpty, table.schemaEvolution == .fail {
            throw LoadError.schemaChanged(file: file, table: table.name, changes: plan.newColumns.map { "new column \($0.name)" })
        }
        var pending = plan.newColumns
        var batch = RecordBatch()
        defer { batch.free() }
        _ = try context.filler(file: file).fill(&batch, reader: reader, plan: &plan, pendingColumns: &pending)
        let bad = Dictionary(batch.badRecords.map { ($0.recordNumber, $0) }, uniquingKeysWith: { a, _ in a })
        var outcome = Outcome(table: table.name, file: file)
        outcome.dryRun = dryRun
        struct RollBack: Error {}
        do {
        var widening = plan.widened
        try warehouse.transaction {
            try context.applyWidening(&widening, file: file)
            if !pending.isEmpty {
                try warehouse.ensureTable(table.name, columns: try warehouse.columns(of: table.name) + pending, scd2: nil)
            }
            try warehouse.insert(batch, into: table.name, columns: plan.names,
                                 audit: AuditValues(sourceFile: file, loadTimestamp: stamp, batchID: ledger.batchID))
            for (index, record) in records.enumerated() {
                if let problem = bad[index + 1] {
                    outcome.stillBad += 1
                    try warehouse.updateQuarantined(id: record.id, errorType: problem.errorType, message: problem.reason)
                } else {
                    outcome.reprocessed += 1
                    try warehouse.markReprocessed(id: record.id, at: stamp)
                }
            }
            try warehouse.moveQuarantinedToLoaded(table: table.name, file: file, count: outcome.reprocessed)
            if dryRun { throw RollBack() }
        }
        } catch is RollBack {
            // The dry run's changes are gone with the transaction.
        }
        return outcome
    }

    /// The header line, quoted where a name needs it.
    private func header(_ names: [String], table: TableConfig, format: TableConfig.Format) -> String {
        let delimiter = Character(UnicodeScalar(table.csv.delimiter ?? (format == .tsv ? 0x09 : UInt8(ascii: ","))))
        let quote = Character(UnicodeScalar(table.csv.quote))
        return names.map { name in
            guard name.contains(delimiter) || name.contains(quote) || name.contains("\n") || name.contains("\r") else { return name }
            return String(quote) + name.replacingOccurrences(of: String(quote), with: String(quote) + String(quote)) + String(quote)
        }.joined(separator: String(delimiter))
    }
}

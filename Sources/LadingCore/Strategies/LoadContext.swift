import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// What a strategy needs to load one file, beyond the file itself.
public struct LoadContext {
    public var warehouse: any Warehouse
    public var table: TableConfig
    public var batchSize: Int
    public var maxRecordBytes: Int
    /// Records read from a file to infer the types of columns it introduces.
    public var sampleSize = 10_000
    public var clock: any WallClock
    public var logger: Logger
    /// Returns a signal number once SIGINT/SIGTERM arrived, checked between batches.
    public var interruption: () -> Int32? = { nil }
    /// Called before a load commits anything of its own (staging checkpoints): a group of
    /// small files open in the warehouse is committed first, so this file's checkpoints
    /// are durable on their own (issue 18, `GroupCommitWarehouse`).
    public var beforeOwnCommits: () throws -> Void = {}

    public init(warehouse: any Warehouse, table: TableConfig, batchSize: Int, maxRecordBytes: Int, clock: any WallClock, logger: Logger) {
        self.warehouse = warehouse
        self.table = table
        self.batchSize = batchSize
        self.maxRecordBytes = maxRecordBytes
        self.clock = clock
        self.logger = logger
    }

    /// Opens the file and infers column types from a sample when the table will gain
    /// columns (or does not exist yet), then returns a fresh reader and the column plan.
    func openWithPlan(path: String, reserved: [String]) throws -> (RecordReader, ColumnPlan) {
        let existing = try warehouse.columns(of: table.name)
        let reader = try ReaderFactory.open(path: path, table: table, maxRecordBytes: maxRecordBytes)
        let known = Set(existing.map { $0.name.lowercased() })
        let headerKnown = !(reader is JSONLReader) && table.csv.header
        // SPEC §3: an inferred column widens when a later file needs it, so a file meeting
        // an existing inferred column that is not text yet is sampled too.
        let declared = Set(table.columns.map { $0.name.lowercased() })
        let mayWiden = existing.contains { $0.type != .text && !declared.contains($0.name.lowercased()) }
        let needsSample = !headerKnown || existing.isEmpty || mayWiden || reader.columnNames.contains { !known.contains($0.lowercased()) }
        var inference = TypeInference()
        var columns = reader.columnNames
        if needsSample {
            let sampler = try ReaderFactory.open(path: path, table: table, maxRecordBytes: maxRecordBytes)
            sample: while inference.sampled < sampleSize {
                switch try sampler.next() {
                case .end: break sample
                case .bad: continue
                case .record:
                    for index in 0..<sampler.fieldCount { inference.observe(column: index, sampler.field(index)) }
                    inference.finishRecord()
                }
            }
            if reader is JSONLReader || !table.csv.header { columns = sampler.columnNames }
        }
        let plan = ColumnPlan.make(readerColumns: columns, existing: existing, declared: table.columns,
                                   inferred: { needsSample ? inference.type(of: $0) : nil },
                                   observed: { mayWiden ? inference.observedType(of: $0) : nil }, reserved: reserved + warehouse.reservedColumnNames)
        if !plan.widened.isEmpty, table.schemaEvolution == .fail {
            throw LoadError.schemaChanged(file: path, table: table.name,
                                          changes: plan.widened.map { "\($0.name) widened to \($0.type.rawValue)" } + plan.newColumns.map { "new column \($0.name)" })
        }
        return (reader, plan)
    }
}

extension LoadContext {
    /// SPEC §3: migrates the columns the plan widens, in the caller's transaction (the
    /// one that writes the file's first rows), and logs each change.
    func applyWidening(_ widened: inout [TableConfig.Column], file: String) throws {
        guard !widened.isEmpty else { return }
        let before = try warehouse.widen(table.name, to: widened)
        for column in widened {
            logger.notice("widened an inferred column: a file needs a wider type", metadata: [
                "table": "\(table.name)", "column": "\(column.name)", "from": "\(before[column.name.lowercased()]?.rawValue ?? "?")",
                "to": "\(column.type.rawValue)", "file": "\(file)"])
        }
        widened.removeAll()
    }

    /// The rules for reading `file`'s batches, fixed before its first record so that
    /// reading never has to ask the warehouse (and can run on another thread).
    func filler(file: String, skipThrough: Int64 = 0, reserved: [String] = WarehouseNames.auditColumns,
                nonNullColumns: [Int] = []) throws -> BatchFiller {
        BatchFiller(table: table, batchSize: batchSize, file: file, skipThrough: skipThrough,
                    reserved: reserved + warehouse.reservedColumnNames, tableExists: try warehouse.tableExists(table.name),
                    nonNullColumns: nonNullColumns)
    }

    /// I1 for a staged load (append, overwrite, merge): the previous attempt's `partial`
    /// ledger row when its staging table still holds rows of the same content, to resume
    /// after its checkpoint. Any other partial row goes back to a reload marker, its
    /// staging dropped, and the load starts from the first record.
    func resumableCheckpoint(_ previous: LedgerRow?, sha256: String?, file: String, staging fallback: String) throws -> LedgerRow? {
        guard let previous, previous.status == .partial else { return nil }
        if previous.contentSHA256 == sha256, let stage = previous.stagingTable, try warehouse.tableExists(stage) {
            logger.info("resuming a file from its checkpoint", metadata: [
                "table": "\(table.name)", "file": "\(file)", "after_record": "\(previous.checkpoint)"])
            return previous
        }
        try warehouse.transaction {
            try warehouse.dropTable(previous.stagingTable ?? fallback)
            try warehouse.markForReload(table: table.name, file: file)
        }
        return nil
    }

    /// A staged load that failed for good: its staging goes, and its partial ledger row
    /// becomes a reload marker (`keepMarker`: an earlier load's rows stay until a reload
    /// replaces them) or goes with the file's quarantine rows.
    func discardStaged(file: String, staging: String, keepMarker: Bool) throws {
        try warehouse.transaction {
            try warehouse.dropTable(staging)
            if let row = try warehouse.ledgerRow(table: table.name, file: file), row.status == .partial {
                if keepMarker {
                    try warehouse.markForReload(table: table.name, file: file)
                } else {
                    try warehouse.deleteQuarantine(table: table.name, file: file)
                    try warehouse.deleteLedger(table: table.name, file: file)
                }
            }
        }
    }

    /// The `complete` ledger row of a file applied in one transaction (SCD2, merge), as
    /// the last write of that transaction; then the fault point before its commit.
    func writeCompleteLedger(file: DiscoveredFile, batchID: String, result: LoadResult, boundary: String?) throws {
        try warehouse.writeLedger(LedgerRow(
            tableName: table.name, sourceFile: file.path, batchID: batchID, contentSHA256: result.contentSHA256, status: .complete,
            checkpoint: result.recordsRead, checkpointLine: 0, stagingTable: nil, recordsRead: result.recordsRead,
            rowsLoaded: result.rowsLoaded, rowsQuarantined: result.rowsQuarantined, fileSize: file.size,
            fileModifiedTime: file.modifiedTime, boundary: boundary, committedAt: Timestamp.iso8601(clock.now())))
        FaultPoint.beforeFinalCommit.hit()
    }

    /// I2 with `max_bad_record_ratio`: a file whose share of bad records is above it
    /// fails whole, naming its first problems.
    func enforceBadRecordRatio(_ result: LoadResult, examples: [BadRecord], file: String, wholeFile: Bool = true) throws {
        guard Double(result.rowsQuarantined) > table.maxBadRecordRatio * Double(max(result.recordsRead, 1)) else { return }
        throw LoadError.tooManyBadRecords(file: file, bad: Int(result.rowsQuarantined), read: Int(result.recordsRead),
                                          allowed: table.maxBadRecordRatio,
                                          examples: examples.prefix(3).map { "line \($0.lineNumber): \($0.reason)" }, wholeFile: wholeFile)
    }
}

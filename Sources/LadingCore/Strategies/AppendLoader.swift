import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The append strategy (SPEC §5): a file's rows reach the target table in one
/// transaction with its `complete` ledger row. The overwrite strategy is the same load
/// whose final commit replaces the whole table instead of the file's earlier rows.
///
/// A file that fits in one batch, or is at most `direct_load_max_mb` on disk, goes
/// straight in (delete earlier rows of the file, insert, quarantine, ledger: one
/// commit). A larger file is staged `batch_size` records at a time, each batch committed
/// with a `partial` ledger checkpoint, so a crash resumes at the last checkpoint; the
/// final commit moves the staged rows in. Staging writes every row twice: on SQLite
/// that costs little, on PostgreSQL it doubles the load time, hence the choice.
public final class AppendLoader {
    let context: LoadContext
    private var warehouse: any Warehouse { context.warehouse }
    private var table: TableConfig { context.table }

    /// Inferred columns this file widens, migrated with its first write.
    private var widening: [TableConfig.Column] = []
    private var loadingFile = ""
    /// The target table exists with every column applied so far (inside this load's
    /// transactions: a rollback ends the load, and the next load starts a new loader).
    private var tableReady = false

    /// Bytes of converted rows held in memory per batch part (the reader's and the
    /// writer's together stay under about three times this): a wide file or long text is
    /// read in several parts per batch instead of growing memory with the row width
    /// (issue 18). 3 MiB keeps a 10,000-row batch of ten ordinary columns in one part;
    /// it was chosen when every part was a COPY of its own on PostgreSQL (2 MiB cost 10%
    /// there), before the parts of one transaction shared one COPY.
    static let partBytes = 3 << 20

    /// Files at most this big are read on the loading thread: reading one takes less
    /// than starting a thread for it.
    static let inlineReadBytes: Int64 = 256 << 10

    public init(context: LoadContext) {
        self.context = context
    }

    public func load(file: DiscoveredFile, sha256: String?, batchID proposedBatchID: String) throws -> (LoadResult, String) {
        let loadStamp = Timestamp.iso8601(context.clock.now())
        var result = LoadResult()
        var batchID = proposedBatchID
        let stagingName = WarehouseNames.stagingPrefix + AppendLoader.stagingSuffix(table: table.name, file: file.path)
        let previous = try warehouse.ledgerRow(table: table.name, file: file.path)
        var resumeAfter: Int64 = 0
        var staged = false
        if let checkpoint = try context.resumableCheckpoint(previous, sha256: sha256, file: file.path, staging: stagingName) {
            // I1: continue after the last committed checkpoint, never before it.
            resumeAfter = checkpoint.checkpoint
            batchID = checkpoint.batchID
            result.recordsRead = checkpoint.recordsRead
            result.rowsLoaded = checkpoint.rowsLoaded
            result.rowsQuarantined = checkpoint.rowsQuarantined
            result.resumed = true
            staged = true
        }
        // Rows of an earlier (complete, or half-reloaded) load of this file are replaced.
        let reloading = previous != nil
        let audit = AuditValues(sourceFile: file.path, loadTimestamp: loadStamp, batchID: batchID)

        let (reader, initialPlan) = try context.openWithPlan(path: file.readPath, reserved: WarehouseNames.auditColumns)
        var plan = initialPlan
        widening = plan.widened
        loadingFile = file.path
        if !plan.newColumns.isEmpty, table.schemaEvolution == .fail, try warehouse.tableExists(table.name) {
            throw LoadError.schemaChanged(file: file.path, table: table.name, changes: plan.newColumns.map { "new column \($0.name)" })
        }
        var pendingColumns = plan.newColumns
        var firstBatch = true
        var examples: [BadRecord] = []
        // The last record and line committed to staging, for the checkpoint.
        var lastLine = 0
        // Straight into the table in one transaction (`direct_load_max_mb`): no staging
        // copy, no checkpoint; a resumed load keeps staging to the end.
        let direct = !staged && file.size <= table.directLoadMaxBytes
        let prefetcher = BatchPrefetcher(filler: try context.filler(file: file.path, skipThrough: resumeAfter), reader: reader, plan: plan,
                                         partBytes: AppendLoader.partBytes)
        prefetcher.start(inline: file.size <= AppendLoader.inlineReadBytes)
        defer { prefetcher.finish() }

        /// Counts a batch part in the result, and checks what can be checked once it is read.
        func account(_ part: BatchPrefetcher.Filled) throws {
            let batch = part.batch
            part.advance(&plan, pending: &pendingColumns)
            result.recordsRead += Int64(batch.records)
            result.rowsLoaded += Int64(batch.rowCount)
            result.rowsQuarantined += Int64(batch.badRecords.count)
            if examples.count < 3 { examples += batch.badRecords.prefix(3 - examples.count) }
            // With a ratio of 0 the first bad record already decides; otherwise the end does.
            if part.finished || table.maxBadRecordRatio == 0 {
                try context.enforceBadRecordRatio(result, examples: examples, file: file.path, wholeFile: part.finished)
            }
            result.bytesRead = part.bytesConsumed
            if part.finished { result.contentSHA256 = part.contentSHA256 ?? sha256 }
            if part.finished, table.strategy == .overwrite, result.recordsRead == 0, table.maxDeleteRatio < 1 {
                throw LoadError.emptyExtract(file: file.path, table: table.name)
            }
            if batch.records > 0 {
                resumeAfter = max(resumeAfter, Int64(batch.lastRecordNumber))
                lastLine = batch.lastLineNumber
            }
        }

        /// Hands `part` back to the reader and takes the next one, with the columns it adds.
        func advance(_ part: inout BatchPrefetcher.Filled, staging: String?) throws {
            let next = try prefetcher.next()
            prefetcher.recycle(part.batch)
            part = next
            try account(part)
            try applySchema(&pendingColumns, staging: staging)
        }

        do {
            while true {
                if let signal = context.interruption() { throw LoadError.interrupted(signal: signal) }
                // The part in hand; handed back to the prefetcher once written (every
                // part exactly once, on error paths too).
                var part = try prefetcher.next()
                defer { prefetcher.recycle(part.batch) }
                try account(part)
                if firstBatch && !staged && (part.finished || direct) {
                    if !part.finished {
                        // A direct load of several batches: table and columns first, in a
                        // short transaction of their own. Inside the file's long one the DDL
                        // would hold the table's ACCESS EXCLUSIVE lock (and, on PostgreSQL,
                        // the definition lock other workers' DDL waits for) to the end of the
                        // file, so readers and other workers would wait that long.
                        try warehouse.transaction { try applySchema(&pendingColumns, staging: nil) }
                    }
                    try warehouse.transaction {
                        try applySchema(&pendingColumns, staging: nil)
                        try replaceEarlierRows(of: file.path, reloading: reloading)
                        try warehouse.deleteQuarantine(table: table.name, file: file.path)
                        while true {
                            try warehouse.insert(part.batch, into: table.name, columns: plan.names, audit: audit)
                            try quarantine(part.batch, file: file.path, batchID: batchID, stamp: loadStamp)
                            if part.finished { break }
                            if part.endsBatch {
                                // A crash or signal here rolls the whole file back: nothing of it
                                // is committed, and the next run starts it again.
                                FaultPoint.betweenDirectBatches.hit()
                                TestPause.afterCheckpoint()
                                if let signal = context.interruption() { throw LoadError.interrupted(signal: signal) }
                            }
                            try advance(&part, staging: nil)
                        }
                        try warehouse.writeLedger(ledger(file: file, sha256: result.contentSHA256, batchID: batchID, status: .complete, result: result, staging: nil, line: lastLine, checkpoint: resumeAfter))
                        FaultPoint.beforeFinalCommit.hit()
                    }
                    return (result, batchID)
                }
                firstBatch = false
                try context.beforeOwnCommits()
                // I1: a batch that read nothing new writes no checkpoint. A resumed load
                // skips every record up to the checkpoint; rewriting the ledger from that
                // empty batch would move the checkpoint back to 0 while staging still holds
                // every row, and the next resume would stage the file a second time. (A
                // batch in several parts has rows in its first, so it is never empty.)
                if part.batch.records > 0 || !staged {
                    try warehouse.transaction {
                        if !staged {
                            try applySchema(&pendingColumns, staging: nil)
                            try warehouse.deleteQuarantine(table: table.name, file: file.path)
                            try warehouse.createStaging(stagingName, like: table.name)
                            staged = true
                        } else {
                            try applySchema(&pendingColumns, staging: stagingName)
                        }
                        // Audit values are the same for every row of the file: the final copy adds them.
                        try warehouse.insert(part.batch, into: stagingName, columns: plan.names, audit: nil)
                        try quarantine(part.batch, file: file.path, batchID: batchID, stamp: loadStamp)
                        // The rest of a batch read in parts goes into the same transaction.
                        while !part.endsBatch {
                            try advance(&part, staging: stagingName)
                            try warehouse.insert(part.batch, into: stagingName, columns: plan.names, audit: nil)
                            try quarantine(part.batch, file: file.path, batchID: batchID, stamp: loadStamp)
                        }
                        try warehouse.writeLedger(ledger(file: file, sha256: sha256, batchID: batchID, status: .partial, result: result, staging: stagingName, line: lastLine, checkpoint: resumeAfter))
                    }
                    FaultPoint.afterBatchCommit.hit()
                    TestPause.afterCheckpoint()
                }
                if part.finished {
                    // SPEC §4: recorded as read. Rows staged before a resume came from the
                    // bytes its checkpoints hashed; if the file changed since, start over.
                    if result.resumed, let read = part.contentSHA256, let checkpointed = sha256, read != checkpointed {
                        throw LoadError.changedWhileLoading(file: file.path)
                    }
                    try warehouse.transaction {
                        try applySchema(&pendingColumns, staging: stagingName)
                        try replaceEarlierRows(of: file.path, reloading: reloading)
                        let moved = try warehouse.moveStaged(stagingName, into: table.name, audit: audit)
                        // I1: the ledger's count comes from what staging really held. Staging
                        // that disagrees with its checkpoints is never committed: the load
                        // rolls back and starts the file again from its first record.
                        if Int64(moved) != result.rowsLoaded {
                            throw LoadError.stagingMismatch(file: file.path, staged: Int64(moved), expected: result.rowsLoaded)
                        }
                        try warehouse.dropTable(stagingName)
                        try warehouse.writeLedger(ledger(file: file, sha256: result.contentSHA256, batchID: batchID, status: .complete, result: result, staging: nil, line: lastLine, checkpoint: resumeAfter))
                        FaultPoint.beforeFinalCommit.hit()
                    }
                    return (result, batchID)
                }
            }
        } catch let error as LoadError where error.kind == .transient && !error.discardsStaging {
            // Interrupted: keep the committed checkpoint so the next run resumes.
            throw error
        } catch {
            // A reload keeps its marker so the next attempt still replaces the rows of the
            // earlier load (which stay until a reload commits).
            if staged { try? context.discardStaged(file: file.path, staging: stagingName, keepMarker: reloading) }
            throw error
        }
    }

    /// Creates or extends the target (and staging) table for columns not applied yet.
    private func applySchema(_ pending: inout [TableConfig.Column], staging: String?) throws {
        // Nothing to change: no statement either (on PostgreSQL one would end the COPY
        // that the file's batches share).
        if pending.isEmpty && widening.isEmpty && tableReady { return }
        try context.applyWidening(&widening, file: loadingFile)
        let exists = try warehouse.tableExists(table.name)
        tableReady = true
        guard !pending.isEmpty || !exists else { return }
        let before = try warehouse.columns(of: table.name)
        try warehouse.ensureTable(table.name, columns: before + pending, scd2: nil)
        if let staging { try warehouse.addColumns(pending, to: staging) }
        pending.removeAll()
    }

    /// Append: a reload replaces the file's own earlier rows. Overwrite: the file replaces
    /// the whole table, in the same commit that writes its rows.
    private func replaceEarlierRows(of file: String, reloading: Bool) throws {
        if table.strategy == .overwrite {
            if try warehouse.tableExists(table.name) { _ = try warehouse.deleteRows(in: table.name, file: nil) }
            FaultPoint.midApply.hit()
        } else if reloading {
            _ = try warehouse.deleteRows(in: table.name, file: file)
        }
    }

    private func quarantine(_ batch: RecordBatch, file: String, batchID: String, stamp: String) throws {
        for bad in batch.badRecords { try warehouse.quarantine(bad, table: table.name, file: file, batchID: batchID, at: stamp) }
    }

    private func ledger(file: DiscoveredFile, sha256: String?, batchID: String, status: LedgerRow.Status, result: LoadResult,
                        staging: String?, line: Int, checkpoint: Int64) -> LedgerRow {
        LedgerRow(tableName: table.name, sourceFile: file.path, batchID: batchID, contentSHA256: sha256, status: status,
                  checkpoint: checkpoint, checkpointLine: Int64(line), stagingTable: staging, recordsRead: result.recordsRead,
                  rowsLoaded: result.rowsLoaded, rowsQuarantined: result.rowsQuarantined, fileSize: file.size,
                  fileModifiedTime: file.modifiedTime, boundary: nil, committedAt: Timestamp.iso8601(context.clock.now()))
    }

    /// A short stable name part for a file's staging table (FNV-1a of table and path).
    static func stagingSuffix(table: String, file: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (table + "\u{1F}" + file).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The merge strategy (SPEC §5: upsert, SCD1): per key the row of the latest applied
/// file wins, all or nothing per file, set-based.
///
/// The file is staged in a temporary table and checked (NULL keys are bad records,
/// duplicate keys fail the file naming both lines); then, with `merge_deletes: delete`,
/// the table's keys the snapshot lacks are deleted under the `max_delete_ratio` guard;
/// rows whose non-key columns differ (NULL-safe) are updated in place with this file's
/// audit values, and new keys are inserted. An unchanged row keeps its audit columns.
/// Columns the table has and the file lacks are NULL in the file's rows: the latest
/// file's row wins whole.
public final class MergeLoader {
    let context: LoadContext
    fileprivate var warehouse: any Warehouse { context.warehouse }
    fileprivate var table: TableConfig { context.table }

    public init(context: LoadContext) { self.context = context }

    public func load(file: DiscoveredFile, sha256: String?, batchID proposedBatchID: String) throws -> (LoadResult, String) {
        let loadStamp = Timestamp.iso8601(context.clock.now())
        var result = LoadResult()
        var batchID = proposedBatchID
        let reserved = WarehouseNames.auditColumns
        // A file larger than one batch is staged in a table that survives its checkpoint
        // commits (as an append file is), so a crash resumes after the last checkpoint.
        let stagingName = WarehouseNames.stagingPrefix + AppendLoader.stagingSuffix(table: table.name, file: file.path)
        let previous = try warehouse.ledgerRow(table: table.name, file: file.path)
        var resumeAfter: Int64 = 0
        var staged = false
        if let checkpoint = try context.resumableCheckpoint(previous, sha256: sha256, file: file.path, staging: stagingName) {
            resumeAfter = checkpoint.checkpoint
            batchID = checkpoint.batchID
            result.recordsRead = checkpoint.recordsRead
            result.rowsQuarantined = checkpoint.rowsQuarantined
            result.resumed = true
            staged = true
        }
        let reloading = previous != nil
        let (reader, initialPlan) = try context.openWithPlan(path: file.readPath, reserved: reserved)
        var plan = initialPlan
        let lowered = plan.names.map { $0.lowercased() }
        for key in table.primaryKeys where !lowered.contains(key.lowercased()) {
            throw LoadError.missingKeyColumn(file: file.path, column: key)
        }
        if !plan.newColumns.isEmpty, table.schemaEvolution == .fail, try warehouse.tableExists(table.name) {
            throw LoadError.schemaChanged(file: file.path, table: table.name, changes: plan.newColumns.map { "new column \($0.name)" })
        }
        var pending = plan.newColumns
        var widening = plan.widened
        // As for SCD2: values converted in place would compare as changed ("10" becomes
        // "10.0") and update every row; a replay with the wider types reads every file again.
        if !widening.isEmpty, !table.name.hasPrefix(TableReplay.shadowPrefix), try warehouse.tableExists(table.name) {
            throw LoadError.widenByReplay(columns: widening)
        }
        let keyIndexes = table.primaryKeys.compactMap { key in lowered.firstIndex(of: key.lowercased()) }
        let audit = AuditValues(sourceFile: file.path, loadTimestamp: loadStamp, batchID: batchID)
        let apply = Apply(loader: self, file: file, batchID: batchID, loadStamp: loadStamp, audit: audit, keyIndexes: keyIndexes)
        let prefetcher = BatchPrefetcher(filler: try context.filler(file: file.path, skipThrough: resumeAfter, reserved: reserved, nonNullColumns: keyIndexes),
                                         reader: reader, plan: plan)
        prefetcher.start()
        defer { prefetcher.finish() }
        var stage: (any MergeStage)?
        var firstBatch = true
        func columnsOfPlan() -> [TableConfig.Column] { plan.names.indices.map { .init(name: plan.names[$0], type: plan.types[$0]) } }
        do {
            while true {
                if let signal = context.interruption() { throw LoadError.interrupted(signal: signal) }
                let filled = try prefetcher.next()
                let batch = filled.batch
                defer { prefetcher.recycle(filled.batch) }
                filled.advance(&plan, pending: &pending)
                result.recordsRead += Int64(batch.records)
                result.rowsQuarantined += Int64(batch.badRecords.count)
                result.bytesRead = filled.bytesConsumed
                if filled.finished { result.contentSHA256 = filled.contentSHA256 ?? sha256 }
                if firstBatch && filled.finished && !staged {
                    // The whole file in one batch: one transaction, a temporary stage.
                    try warehouse.transaction {
                        try context.applyWidening(&widening, file: file.path)
                        try ensureTable(&pending)
                        try warehouse.ensureKeyIndex(on: table.name, keys: table.primaryKeys)
                        let temporary = try warehouse.makeMergeStage(for: table.name, keys: table.primaryKeys, columns: columnsOfPlan(), persistentName: nil)
                        try temporary.insert(batch, width: plan.names.count, presentOnly: false)
                        try apply.run(temporary, result: &result, bad: batch.badRecords, quarantineNow: true, plan: plan)
                    }
                    return (result, batchID)
                }
                firstBatch = false
                // I1: a batch that read nothing new writes no checkpoint (see AppendLoader).
                if batch.records > 0 || !staged {
                    try warehouse.transaction {
                        if !staged {
                            try context.applyWidening(&widening, file: file.path)
                            try ensureTable(&pending)
                            try warehouse.ensureKeyIndex(on: table.name, keys: table.primaryKeys)
                            try warehouse.deleteQuarantine(table: table.name, file: file.path)
                            stage = try warehouse.makeMergeStage(for: table.name, keys: table.primaryKeys, columns: columnsOfPlan(), persistentName: stagingName)
                            staged = true
                        } else {
                            if stage == nil {
                                stage = try warehouse.makeMergeStage(for: table.name, keys: table.primaryKeys, columns: columnsOfPlan(), persistentName: stagingName)
                            }
                            if !pending.isEmpty {
                                try stage?.addColumns(pending)
                                try ensureTable(&pending)
                            }
                        }
                        try stage?.insert(batch, width: plan.names.count, presentOnly: false)
                        for bad in batch.badRecords { try warehouse.quarantine(bad, table: table.name, file: file.path, batchID: batchID, at: loadStamp) }
                        try warehouse.writeLedger(LedgerRow(
                            tableName: table.name, sourceFile: file.path, batchID: batchID, contentSHA256: sha256, status: .partial,
                            checkpoint: Int64(batch.lastRecordNumber), checkpointLine: Int64(batch.lastLineNumber), stagingTable: stagingName,
                            recordsRead: result.recordsRead, rowsLoaded: result.recordsRead - result.rowsQuarantined, rowsQuarantined: result.rowsQuarantined,
                            fileSize: file.size, fileModifiedTime: file.modifiedTime, boundary: nil, committedAt: Timestamp.iso8601(context.clock.now())))
                    }
                    FaultPoint.afterBatchCommit.hit()
                    TestPause.afterCheckpoint()
                }
                if filled.finished {
                    if result.resumed, let read = filled.contentSHA256, let checkpointed = sha256, read != checkpointed {
                        throw LoadError.changedWhileLoading(file: file.path)
                    }
                    try warehouse.transaction {
                        let final = try stage ?? warehouse.makeMergeStage(for: table.name, keys: table.primaryKeys, columns: columnsOfPlan(),
                                                                          persistentName: stagingName)
                        if !pending.isEmpty {
                            try final.addColumns(pending)
                            try ensureTable(&pending)
                        }
                        // Every bad record of the file, also those of batches before a resume.
                        let bad = try warehouse.quarantinedRecords(table: table.name, file: file.path, pendingOnly: false).map {
                            BadRecord(recordNumber: Int($0.recordNumber), lineNumber: Int($0.lineNumber), raw: [], errorType: $0.errorType, reason: $0.errorMessage)
                        }
                        try apply.run(final, result: &result, bad: bad, quarantineNow: false, plan: plan)
                    }
                    return (result, batchID)
                }
            }
        } catch let error as LoadError where error.kind == .transient && !error.discardsStaging {
            // Interrupted: the committed checkpoint stays, so the next run resumes.
            throw error
        } catch {
            if staged { try? context.discardStaged(file: file.path, staging: stagingName, keepMarker: reloading) }
            throw error
        }
    }

    /// The checks and the set-based apply of a staged file, in the caller's transaction.
    struct Apply {
        let loader: MergeLoader
        let file: DiscoveredFile
        let batchID: String
        let loadStamp: String
        let audit: AuditValues
        let keyIndexes: [Int]

        func run(_ stage: any MergeStage, result: inout LoadResult, bad: [BadRecord], quarantineNow: Bool, plan: ColumnPlan) throws {
            let table = loader.table, warehouse = loader.warehouse
            result.rowsLoaded = result.recordsRead - result.rowsQuarantined
            if table.mergeDeletes == .delete {
                try loader.stagePresentKeys(of: bad, file: file.readPath, plan: plan, keyIndexes: keyIndexes, into: stage)
            }
            // Columns the table has and this file lacks: NULL in its rows.
            let staged = Set(plan.names.map { $0.lowercased() })
            let tableColumns = try warehouse.columns(of: table.name)
            try stage.addColumns(tableColumns.filter { !staged.contains($0.name.lowercased()) })
            try stage.finishStaging()
            if let duplicate = try stage.firstDuplicateKey() {
                let key = duplicate.key.map { $0 ?? "NULL" }.joined(separator: ", ")
                throw LoadError.duplicateKey(file: file.path, key: "(\(key))", firstLine: duplicate.firstLine, secondLine: duplicate.secondLine,
                                             kind: "a merge")
            }
            try loader.context.enforceBadRecordRatio(result, examples: bad, file: file.path)
            if quarantineNow {
                try warehouse.deleteQuarantine(table: table.name, file: file.path)
                for record in bad { try warehouse.quarantine(record, table: table.name, file: file.path, batchID: batchID, at: loadStamp) }
            }
            var counts = MergeCounts()
            if table.mergeDeletes == .delete {
                // Delete first, then judge by the count: throwing rolls the whole file back.
                let (deleted, keysBefore) = try stage.deleteMissingKeys()
                if keysBefore > 0, Double(deleted) > table.maxDeleteRatio * Double(keysBefore) {
                    throw LoadError.tooManyMergeDeletes(file: file.path, deleting: deleted, keys: keysBefore, allowed: table.maxDeleteRatio)
                }
                counts.deleted = deleted
            }
            FaultPoint.midApply.hit()
            let columns = tableColumns.map(\.name)
            counts.updated = try stage.updateChanged(columns: columns, audit: audit)
            counts.inserted = try stage.insertNew(columns: columns, audit: audit)
            counts.unchanged = max(0, Int(result.rowsLoaded) - counts.updated - counts.inserted)
            result.merge = counts
            try stage.drop()
            try loader.context.writeCompleteLedger(file: file, batchID: batchID, result: result, boundary: nil)
        }
    }

    private func ensureTable(_ pending: inout [TableConfig.Column]) throws {
        let before = try warehouse.columns(of: table.name)
        try warehouse.ensureTable(table.name, columns: before + pending, scd2: nil)
        pending.removeAll()
    }

    /// SPEC §5: with `merge_deletes: delete`, a record quarantined for a value that does
    /// not convert, whose key columns could be read, still says its key is in the
    /// snapshot: it must not be deleted. Those keys are read again from the file (bad
    /// records are rare; staging every raw record would tax every load).
    fileprivate func stagePresentKeys(of bad: [BadRecord], file: String, plan: ColumnPlan, keyIndexes: [Int], into stage: any MergeStage) throws {
        let lines = Set(bad.filter { $0.errorType == "type_conversion" }.map(\.lineNumber))
        guard !lines.isEmpty else { return }
        var batch = RecordBatch()
        defer { batch.free() }
        let keySet = Set(keyIndexes)
        let reader = try ReaderFactory.open(path: file, table: table, maxRecordBytes: context.maxRecordBytes)
        var found = 0
        reading: while found < lines.count {
            switch try reader.next() {
            case .end: break reading
            case .bad: continue
            case .record:
                guard lines.contains(reader.lineNumber) else { continue }
                found += 1
                guard keyIndexes.allSatisfy({ $0 < reader.fieldCount && reader.field($0) != nil }) else { continue }
                batch.beginRow(line: reader.lineNumber)
                for index in 0..<plan.names.count {
                    if keySet.contains(index) {
                        if ValueConverter.append(reader.field(index), as: plan.types[index], column: plan.names[index], into: &batch) != nil {
                            batch.abandonRow()
                            continue reading
                        }
                    } else {
                        batch.appendNull()
                    }
                }
            }
        }
        try stage.insert(batch, width: plan.names.count, presentOnly: true)
    }
}

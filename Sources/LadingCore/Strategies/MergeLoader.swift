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
    private var warehouse: any Warehouse { context.warehouse }
    private var table: TableConfig { context.table }

    public init(context: LoadContext) { self.context = context }

    public func load(file: DiscoveredFile, sha256: String?, batchID: String) throws -> (LoadResult, String) {
        let loadStamp = Timestamp.iso8601(context.clock.now())
        var result = LoadResult()
        let reserved = WarehouseNames.auditColumns
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
        try warehouse.transaction {
            try context.applyWidening(&widening, file: file.path)
            try ensureTable(&pending)
            try warehouse.ensureKeyIndex(on: table.name, keys: table.primaryKeys)
            let stage = try warehouse.makeMergeStage(for: table.name, keys: table.primaryKeys,
                                                     columns: plan.names.indices.map { .init(name: plan.names[$0], type: plan.types[$0]) })
            var allBad: [BadRecord] = []
            let prefetcher = BatchPrefetcher(filler: try context.filler(file: file.path, reserved: reserved, nonNullColumns: keyIndexes),
                                             reader: reader, plan: plan)
            prefetcher.start()
            defer { prefetcher.finish() }
            while true {
                let filled = try prefetcher.next()
                let batch = filled.batch
                defer { prefetcher.recycle(filled.batch) }
                filled.advance(&plan, pending: &pending)
                if !pending.isEmpty {
                    try stage.addColumns(pending)
                    try ensureTable(&pending)
                }
                allBad.append(contentsOf: batch.badRecords)
                try stage.insert(batch, width: plan.names.count, presentOnly: false)
                result.recordsRead += Int64(batch.records)
                result.bytesRead = filled.bytesConsumed
                if filled.finished {
                    result.contentSHA256 = filled.contentSHA256 ?? sha256
                    break
                }
            }
            result.rowsQuarantined = Int64(allBad.count)
            result.rowsLoaded = result.recordsRead - result.rowsQuarantined
            if table.mergeDeletes == .delete {
                try stagePresentKeys(of: allBad, file: file.readPath, plan: plan, keyIndexes: keyIndexes, into: stage)
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
            try context.enforceBadRecordRatio(result, examples: allBad, file: file.path)
            try warehouse.deleteQuarantine(table: table.name, file: file.path)
            for bad in allBad { try warehouse.quarantine(bad, table: table.name, file: file.path, batchID: batchID, at: loadStamp) }
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
            try context.writeCompleteLedger(file: file, batchID: batchID, result: result, boundary: nil)
        }
        return (result, batchID)
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
    private func stagePresentKeys(of bad: [BadRecord], file: String, plan: ColumnPlan, keyIndexes: [Int], into stage: any MergeStage) throws {
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

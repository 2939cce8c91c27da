import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The SCD2 strategy (SPEC §5, I4): one file applies all or nothing, set-based.
///
/// The file is staged in a temporary table, checked (null keys are bad records,
/// duplicate keys fail the file, the mass-delete guard), then a few statements close
/// changed (and, with `scd2_deletes: close`, missing) current versions at the file's
/// boundary timestamp and insert new current versions. A unique partial index on the
/// keys `WHERE` current makes a second current version impossible in the database.
public final class SCD2Loader {
    let context: LoadContext
    private var warehouse: any Warehouse { context.warehouse }
    private var table: TableConfig { context.table }
    private var layout: SCD2Layout { table.scd2Layout }

    public init(context: LoadContext) { self.context = context }

    var reserved: [String] { WarehouseNames.auditColumns + [table.effectiveDateColumn, table.endDateColumn, table.currentFlagColumn] }

    /// `recordedBoundary`: the boundary a replay reuses (SPEC §7), so dates come back
    /// identical; without it the file's own ledger row's, else a new one.
    public func load(file: DiscoveredFile, sha256: String?, batchID: String, recordedBoundary: String? = nil) throws -> (LoadResult, String) {
        let loadStamp = Timestamp.iso8601(context.clock.now())
        let previous = try warehouse.ledgerRow(table: table.name, file: file.path)
        // A replay keeps the boundary recorded for the file, so history is reproducible
        // (a `touch` on a snapshot does not move its versions).
        let boundary: String
        if let recorded = recordedBoundary ?? previous?.boundary {
            boundary = recorded
        } else if case .fileModifiedTime = table.effectiveFrom {
            boundary = Timestamp.iso8601(Date(timeIntervalSince1970: file.modifiedSeconds))
        } else {
            boundary = loadStamp
        }
        var result = LoadResult()
        let (reader, initialPlan) = try context.openWithPlan(path: file.readPath, reserved: reserved)
        var plan = initialPlan
        let lowered = plan.names.map { $0.lowercased() }
        for key in table.primaryKeys + table.trackingColumns where !lowered.contains(key.lowercased()) {
            throw LoadError.missingKeyColumn(file: file.path, column: key)
        }
        if case .column(let column) = table.effectiveFrom, !lowered.contains(column.lowercased()) {
            throw LoadError.missingKeyColumn(file: file.path, column: column)
        }
        if !plan.newColumns.isEmpty, table.schemaEvolution == .fail, try warehouse.tableExists(table.name) {
            throw LoadError.schemaChanged(file: file.path, table: table.name, changes: plan.newColumns.map { "new column \($0.name)" })
        }
        var pending = plan.newColumns
        var widening = plan.widened
        // SPEC §3 and I4: converting versions in place would render old values in the new
        // type ("10" as real becomes "10.0" as text) and open versions for keys that did not
        // change; a replay with the wider types reads every snapshot again, as a reset would.
        if !widening.isEmpty, !table.name.hasPrefix(TableReplay.shadowPrefix),
           try warehouse.ledgerRows(table: table.name).contains(where: { $0.sourceFile != file.path && $0.status == .complete }) {
            throw LoadError.widenByReplay(columns: widening)
        }
        let keyIndexes = table.primaryKeys.compactMap { key in lowered.firstIndex(of: key.lowercased()) }
        try warehouse.transaction {
            try context.applyWidening(&widening, file: file.path)
            try ensureTable(&pending)
            let stage = try warehouse.makeSCD2Stage(for: table.name, layout: layout,
                                                    columns: plan.names.indices.map { .init(name: plan.names[$0], type: plan.types[$0]) })
            var allBad: [BadRecord] = []
            // One transaction for the whole file: batches may come in parts (bounded memory).
            let prefetcher = BatchPrefetcher(filler: try context.filler(file: file.path, reserved: reserved, nonNullColumns: keyIndexes),
                                             reader: reader, plan: plan, partBytes: AppendLoader.partBytes)
            prefetcher.start()
            defer { prefetcher.finish() }
            while true {
                let filled = try prefetcher.next()
                let batch = filled.batch
                defer { prefetcher.recycle(filled.batch) }
                let finished = filled.finished
                filled.advance(&plan, pending: &pending)
                if !pending.isEmpty {
                    try stage.addColumns(pending)
                    try ensureTable(&pending)
                }
                // A NULL key makes its record bad (quarantined), never a version.
                allBad.append(contentsOf: batch.badRecords)
                try stage.insert(batch, width: plan.names.count)
                result.recordsRead += Int64(batch.records)
                result.bytesRead = filled.bytesConsumed
                if finished {
                    result.contentSHA256 = filled.contentSHA256 ?? sha256
                    break
                }
            }
            result.rowsQuarantined = Int64(allBad.count)
            result.rowsLoaded = result.recordsRead - result.rowsQuarantined
            try stage.finishStaging()
            if let duplicate = try stage.firstDuplicateKey() {
                let key = duplicate.key.map { $0 ?? "NULL" }.joined(separator: ", ")
                throw LoadError.duplicateKey(file: file.path, key: "(\(key))", firstLine: duplicate.firstLine, secondLine: duplicate.secondLine)
            }
            let staged = Set(plan.names.map { $0.lowercased() })
            if case .column(let column) = table.effectiveFrom {
                let late = try lateRows(file: file.readPath, column: column, stage: stage, staged: staged)
                allBad += late
                result.rowsQuarantined += Int64(late.count)
                result.rowsLoaded -= Int64(late.count)
            }
            try context.enforceBadRecordRatio(result, examples: allBad, file: file.path)
            try warehouse.deleteQuarantine(table: table.name, file: file.path)
            for bad in allBad { try warehouse.quarantine(bad, table: table.name, file: file.path, batchID: batchID, at: loadStamp) }
            let (endBoundary, counts) = try apply(stage, staged: staged, file: file, boundary: boundary,
                                                  audit: AuditValues(sourceFile: file.path, loadTimestamp: loadStamp, batchID: batchID), applied: result.rowsLoaded)
            result.scd2 = counts
            try stage.drop()
            try context.writeCompleteLedger(file: file, batchID: batchID, result: result, boundary: endBoundary)
        }
        return (result, batchID)
    }

    private func ensureTable(_ pending: inout [TableConfig.Column]) throws {
        let before = try warehouse.columns(of: table.name)
        try warehouse.ensureTable(table.name, columns: before + pending, scd2: layout)
        pending.removeAll()
    }

    /// Tracking columns: the configured ones, else every non-key column the file has,
    /// except the `scd2_effective_from` column (SPEC §3): a snapshot date that moves
    /// every day must not open a new version of every key every day.
    private func trackingColumns(staged: Set<String>) throws -> [String] {
        guard table.trackingColumns.isEmpty else { return table.trackingColumns }
        var keys = Set(table.primaryKeys.map { $0.lowercased() })
        if case .column(let column) = table.effectiveFrom { keys.insert(column.lowercased()) }
        return try warehouse.columns(of: table.name).map(\.name).filter { !keys.contains($0.lowercased()) && staged.contains($0.lowercased()) }
    }

    /// With `scd2_effective_from: <column>`, a row that would start a version no later
    /// than its key's current version (or has no start at all) cannot extend the history
    /// without rewriting it: it is late data, a bad record, unless it changes nothing.
    /// Late rows leave the stage and are quarantined with their raw text (read again:
    /// late rows are rare, and staging every raw record would tax every load).
    private func lateRows(file: String, column: String, stage: any SCD2Stage, staged: Set<String>) throws -> [BadRecord] {
        var reasons: [Int: String] = [:]
        for line in try stage.linesWithoutStart(column: column) {
            reasons[line] = "column '\(column)' (scd2_effective_from) is NULL, so the version has no start"
        }
        for late in try stage.lateLines(column: column, tracking: try trackingColumns(staged: staged)) {
            reasons[late.line] = "late data: '\(column)' \(late.start ?? "NULL") is not after the current version's start \(late.currentStart ?? "NULL") for this key; SCD2 history only moves forward"
        }
        guard !reasons.isEmpty else { return [] }
        // Skipped, not deleted: the key is still present in the snapshot, so
        // `scd2_deletes: close` must not close it.
        try stage.skip(lines: Array(reasons.keys))
        var bad: [BadRecord] = []
        let reader = try ReaderFactory.open(path: file, table: table, maxRecordBytes: context.maxRecordBytes)
        reading: while bad.count < reasons.count {
            switch try reader.next() {
            case .end: break reading
            case .bad: continue
            case .record:
                if let reason = reasons[reader.lineNumber] {
                    bad.append(BadRecord(recordNumber: reader.recordNumber, lineNumber: reader.lineNumber, raw: reader.rawRecord(), errorType: "late_data", reason: reason))
                }
            }
        }
        return bad
    }

    /// The set-based apply; returns the boundary used to close deleted keys and what it
    /// did per key (`applied`: the records applied, for the unchanged count).
    private func apply(_ stage: any SCD2Stage, staged: Set<String>, file: DiscoveredFile, boundary: String, audit: AuditValues,
                       applied: Int64) throws -> (String, SCD2Counts) {
        var counts = SCD2Counts()
        let tracking = try trackingColumns(staged: staged)
        var startColumn: String?
        var deleteBoundary = boundary
        if case .column(let column) = table.effectiveFrom {
            startColumn = column
            if let latest = try stage.latestStart(column: column) { deleteBoundary = latest }
        }
        if table.deletes == .close {
            // Close first, then judge by the count closed: throwing rolls the whole file
            // back, and the set of missing keys is scanned once instead of twice.
            let (closing, currentCount) = try stage.closeMissingKeys(at: deleteBoundary)
            if currentCount > 0, Double(closing) > table.maxDeleteRatio * Double(currentCount) {
                throw LoadError.tooManyDeletes(file: file.path, closing: closing, current: currentCount, allowed: table.maxDeleteRatio)
            }
            counts.closedKeys = closing
        }
        FaultPoint.midSCD2Apply.hit()
        // Close changed current versions at the new version's start, then insert new
        // current versions: new keys, returning keys and changed keys.
        counts.changedKeys = try stage.closeChangedVersions(tracking: tracking, startColumn: startColumn, boundary: boundary)
        let insertColumns = try warehouse.columns(of: table.name).map(\.name).filter { staged.contains($0.lowercased()) }
        let inserted = try stage.insertNewVersions(columns: insertColumns, audit: audit, startColumn: startColumn, boundary: boundary)
        counts.newKeys = inserted - counts.changedKeys
        counts.unchangedKeys = max(0, Int(applied) - inserted)
        return (deleteBoundary, counts)
    }
}

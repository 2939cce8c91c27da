import Foundation
import Logging

/// The SCD2 strategy (SPEC §5, I4): one file applies all or nothing, set-based.
///
/// The file is staged in a temporary table, checked (null keys are bad records,
/// duplicate keys fail the file, the mass-delete guard), then a few statements close
/// changed (and, with `scd2_deletes: close`, missing) current versions at the file's
/// boundary timestamp and insert new current versions. A unique partial index on the
/// keys `WHERE` current makes a second current version impossible in the database.
public final class SCD2Loader {
    let context: LoadContext
    private var warehouse: SQLiteWarehouse { context.warehouse }
    private var db: Connection { context.warehouse.db }
    private var table: TableConfig { context.table }
    static let stage = "_lading_scd2_stage"

    public init(context: LoadContext) { self.context = context }

    var reserved: [String] { WarehouseSchema.auditColumns + [table.effectiveDateColumn, table.endDateColumn, table.currentFlagColumn] }

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
        let (reader, initialPlan) = try context.openWithPlan(path: file.path, reserved: reserved)
        var plan = initialPlan
        let lowered = plan.names.map { $0.lowercased() }
        for key in table.primaryKeys + table.trackingColumns where !lowered.contains(key.lowercased()) {
            throw LoadError.missingKeyColumn(file: file.path, column: key)
        }
        if case .column(let column) = table.effectiveFrom, !lowered.contains(column.lowercased()) {
            throw LoadError.missingKeyColumn(file: file.path, column: column)
        }
        if !plan.newColumns.isEmpty, table.schemaEvolution == .fail, try warehouse.tableExists(table.name) {
            throw LoadError.schemaChanged(file: file.path, table: table.name, newColumns: plan.newColumns.map(\.name))
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
        var batch = RecordBatch()
        defer { batch.free() }

        let keyIndexes = table.primaryKeys.compactMap { key in lowered.firstIndex(of: key.lowercased()) }
        try db.transaction {
            try context.applyWidening(&widening, file: file.path)
            try ensureTable(&pending)
            try db.execute("DROP TABLE IF EXISTS temp.\(SCD2Loader.stage)")
            let stageColumns = plan.names.enumerated().map { "\(SQL.quoteIdentifier($0.element)) \(plan.types[$0.offset].sqlType)" }
            try db.execute("CREATE TEMP TABLE \(SCD2Loader.stage) (\(stageColumns.joined(separator: ", ")), _line INTEGER, _skip INTEGER NOT NULL DEFAULT 0)")
            var allBad: [BadRecord] = []
            while true {
                batch.reset()
                let finished = try context.fill(&batch, reader: reader, plan: &plan, pendingColumns: &pending, skipThrough: 0, file: file.path, reserved: reserved, nonNullColumns: keyIndexes)
                if !pending.isEmpty {
                    for column in pending {
                        try db.execute("ALTER TABLE temp.\(SCD2Loader.stage) ADD COLUMN \(SQL.quoteIdentifier(column.name)) \(column.type.sqlType)")
                    }
                    try ensureTable(&pending)
                }
                try insertStaged(batch, plan: plan, keyIndexes: keyIndexes, bad: &allBad)
                result.recordsRead += Int64(batch.records)
                if finished { break }
            }
            result.rowsQuarantined = Int64(allBad.count)
            result.rowsLoaded = result.recordsRead - result.rowsQuarantined
            result.bytesRead = reader.bytesConsumed
            result.contentSHA256 = reader.contentSHA256 ?? sha256
            // Every statement of the apply looks keys up in the stage: index them once.
            let stageKeys = table.primaryKeys.map(SQL.quoteIdentifier).joined(separator: ", ")
            try db.execute("CREATE INDEX temp.\(SCD2Loader.stage)_keys ON \(SCD2Loader.stage) (\(stageKeys))")
            try checkDuplicates(file: file.path)
            if case .column(let column) = table.effectiveFrom {
                let late = try lateRows(file: file.path, column: column)
                allBad += late
                result.rowsQuarantined += Int64(late.count)
                result.rowsLoaded -= Int64(late.count)
            }
            try context.enforceBadRecordRatio(result, examples: allBad, file: file.path)
            try warehouse.deleteQuarantine(table: table.name, file: file.path)
            for bad in allBad { try warehouse.quarantine(bad, table: table.name, file: file.path, batchID: batchID, at: loadStamp) }
            let (endBoundary, counts) = try apply(file: file, boundary: boundary, batchID: batchID, loadStamp: loadStamp, applied: result.rowsLoaded)
            result.scd2 = counts
            try db.execute("DROP TABLE temp.\(SCD2Loader.stage)")
            try warehouse.writeLedger(LedgerRow(
                tableName: table.name, sourceFile: file.path, batchID: batchID, contentSHA256: result.contentSHA256, status: .complete,
                checkpoint: result.recordsRead, checkpointLine: 0, stagingTable: nil, recordsRead: result.recordsRead,
                rowsLoaded: result.rowsLoaded, rowsQuarantined: result.rowsQuarantined, fileSize: file.size,
                fileModifiedTime: file.modifiedTime, boundary: endBoundary, committedAt: Timestamp.iso8601(context.clock.now())))
            FaultPoint.beforeFinalCommit.hit()
        }
        return (result, batchID)
    }

    /// Stages good rows; a NULL key makes its record bad (quarantined), never a version.
    private func insertStaged(_ batch: RecordBatch, plan: ColumnPlan, keyIndexes: [Int], bad: inout [BadRecord]) throws {
        bad.append(contentsOf: batch.badRecords)
        guard batch.rowCount > 0 else { return }
        let columns = (plan.names.map(SQL.quoteIdentifier) + ["_line"]).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: plan.names.count + 1).joined(separator: ", ")
        let statement = try db.prepare("INSERT INTO temp.\(SCD2Loader.stage) (\(columns)) VALUES (\(placeholders))")
        for row in 0..<batch.rowCount {
            let cells = Array(batch.cells(ofRow: row))
            for index in 0..<plan.names.count {
                if index < cells.count { try batch.bind(cells[index], to: statement, at: index + 1) } else { try statement.bindNull(at: index + 1) }
            }
            try statement.bindInt64(Int64(batch.rowLines[row]), at: plan.names.count + 1)
            try statement.step()
            try statement.reset()
        }
    }

    private func ensureTable(_ pending: inout [TableConfig.Column]) throws {
        if try !warehouse.tableExists(table.name) || !pending.isEmpty {
            let before = try warehouse.columns(of: table.name)
            try warehouse.ensureTable(table.name, columns: before + pending, extraColumns: [
                (table.effectiveDateColumn, "TEXT"), (table.endDateColumn, "TEXT"), (table.currentFlagColumn, "INTEGER"),
            ])
            pending.removeAll()
        }
        // Also after a repair replayed a table whose index someone dropped.
        let keys = table.primaryKeys.map(SQL.quoteIdentifier).joined(separator: ", ")
        let index = SQL.quoteIdentifier("_lading_current_" + table.name)
        try db.execute("CREATE UNIQUE INDEX IF NOT EXISTS \(index) ON \(SQL.quoteIdentifier(table.name)) (\(keys)) WHERE \(SQL.quoteIdentifier(table.currentFlagColumn)) = 1")
    }

    private func checkDuplicates(file: String) throws {
        let keys = table.primaryKeys.map(SQL.quoteIdentifier).joined(separator: ", ")
        let rows = try db.rows("SELECT \(keys), min(_line), max(_line) FROM temp.\(SCD2Loader.stage) GROUP BY \(keys) HAVING count(*) > 1 LIMIT 1")
        if let row = rows.first {
            let key = row.prefix(table.primaryKeys.count).map { $0.textValue ?? "NULL" }.joined(separator: ", ")
            throw LoadError.duplicateKey(file: file, key: "(\(key))", firstLine: Int(row[row.count - 2].integerValue ?? 0), secondLine: Int(row[row.count - 1].integerValue ?? 0))
        }
    }

    /// Tracking columns: the configured ones, else every non-key column the file has,
    /// except the `scd2_effective_from` column (SPEC §3): a snapshot date that moves
    /// every day must not open a new version of every key every day.
    private func trackingColumns() throws -> [String] {
        guard table.trackingColumns.isEmpty else { return table.trackingColumns }
        let staged = Set(try db.columns(of: SCD2Loader.stage).map { $0.lowercased() })
        var keys = Set(table.primaryKeys.map { $0.lowercased() })
        if case .column(let column) = table.effectiveFrom { keys.insert(column.lowercased()) }
        return try warehouse.columns(of: table.name).map(\.name).filter { !keys.contains($0.lowercased()) && staged.contains($0.lowercased()) }
    }

    /// With `scd2_effective_from: <column>`, a row that would start a version no later
    /// than its key's current version (or has no start at all) cannot extend the history
    /// without rewriting it: it is late data, a bad record, unless it changes nothing.
    /// Late rows leave the stage and are quarantined with their raw text (read again:
    /// late rows are rare, and staging every raw record would tax every load).
    private func lateRows(file: String, column: String) throws -> [BadRecord] {
        let target = SQL.quoteIdentifier(table.name)
        let start = "s.\(SQL.quoteIdentifier(column))"
        let effective = "t.\(SQL.quoteIdentifier(table.effectiveDateColumn))"
        let keyMatch = table.primaryKeys.map { "t.\(SQL.quoteIdentifier($0)) = s.\(SQL.quoteIdentifier($0))" }.joined(separator: " AND ")
        let tracking = try trackingColumns()
        let changed = tracking.isEmpty ? "0" : tracking.map { "s.\(SQL.quoteIdentifier($0)) IS NOT t.\(SQL.quoteIdentifier($0))" }.joined(separator: " OR ")
        var reasons: [Int: String] = [:]
        for row in try db.rows("SELECT _line FROM temp.\(SCD2Loader.stage) s WHERE \(start) IS NULL") {
            reasons[Int(row[0].integerValue ?? 0)] = "column '\(column)' (scd2_effective_from) is NULL, so the version has no start"
        }
        let lateQuery = """
            SELECT s._line, \(start), \(effective) FROM temp.\(SCD2Loader.stage) s JOIN \(target) t
            ON t.\(SQL.quoteIdentifier(table.currentFlagColumn)) = 1 AND \(keyMatch)
            WHERE \(start) <= \(effective) AND (\(changed))
            """
        for row in try db.rows(lateQuery) {
            reasons[Int(row[0].integerValue ?? 0)] = "late data: '\(column)' \(row[1].textValue ?? "NULL") is not after the current version's start \(row[2].textValue ?? "NULL") for this key; SCD2 history only moves forward"
        }
        guard !reasons.isEmpty else { return [] }
        // Skipped, not deleted: the key is still present in the snapshot, so
        // `scd2_deletes: close` must not close it.
        let remove = try db.prepare("UPDATE temp.\(SCD2Loader.stage) SET _skip = 1 WHERE _line = ?")
        for line in reasons.keys {
            try remove.bindInt64(Int64(line), at: 1)
            _ = try remove.step()
            try remove.reset()
        }
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
    private func apply(file: DiscoveredFile, boundary: String, batchID: String, loadStamp: String, applied: Int64) throws -> (String, SCD2Counts) {
        var counts = SCD2Counts()
        let target = SQL.quoteIdentifier(table.name)
        let current = SQL.quoteIdentifier(table.currentFlagColumn)
        let end = SQL.quoteIdentifier(table.endDateColumn)
        let keyMatch = table.primaryKeys.map { "s.\(SQL.quoteIdentifier($0)) = \(target).\(SQL.quoteIdentifier($0))" }.joined(separator: " AND ")
        let keyMatchT = table.primaryKeys.map { "t.\(SQL.quoteIdentifier($0)) = s.\(SQL.quoteIdentifier($0))" }.joined(separator: " AND ")
        let dataColumns = try warehouse.columns(of: table.name).map(\.name)
        let stagedColumns = Set(try db.columns(of: SCD2Loader.stage).map { $0.lowercased() })
        let tracking = try trackingColumns()
        // NULL-safe: `IS NOT` treats NULL→NULL as unchanged and NULL→value as a change.
        let changed = tracking.isEmpty ? "0" : tracking.map { "s.\(SQL.quoteIdentifier($0)) IS NOT \(target).\(SQL.quoteIdentifier($0))" }.joined(separator: " OR ")
        let startValue: String
        var deleteBoundary = boundary
        if case .column(let column) = table.effectiveFrom {
            startValue = "s.\(SQL.quoteIdentifier(column))"
            if let latest = try db.scalar("SELECT max(\(SQL.quoteIdentifier(column))) FROM temp.\(SCD2Loader.stage) WHERE _skip = 0")?.textValue {
                deleteBoundary = latest
            }
        } else {
            startValue = "?"
        }

        if table.deletes == .close {
            // Close first, then judge by the count closed: throwing rolls the whole file
            // back, and the set of missing keys is scanned once instead of twice.
            let currentCount = try db.scalar("SELECT count(*) FROM \(target) WHERE \(current) = 1")?.integerValue ?? 0
            let closing = try db.run("UPDATE \(target) SET \(end) = ?, \(current) = 0 WHERE \(current) = 1 AND NOT EXISTS (SELECT 1 FROM temp.\(SCD2Loader.stage) s WHERE \(keyMatch))",
                                     [.text(deleteBoundary)])
            if currentCount > 0, Double(closing) > table.maxDeleteRatio * Double(currentCount) {
                throw LoadError.tooManyDeletes(file: file.path, closing: closing, current: Int(currentCount), allowed: table.maxDeleteRatio)
            }
            counts.closedKeys = closing
        }
        FaultPoint.midSCD2Apply.hit()
        // Close changed current versions at the new version's start.
        let closeEnd = startValue == "?" ? "?" : "(SELECT \(startValue) FROM temp.\(SCD2Loader.stage) s WHERE \(keyMatch))"
        counts.changedKeys = try db.run("""
            UPDATE \(target) SET \(end) = \(closeEnd), \(current) = 0
            WHERE \(current) = 1 AND EXISTS (SELECT 1 FROM temp.\(SCD2Loader.stage) s WHERE \(keyMatch) AND s._skip = 0 AND (\(changed)))
            """, startValue == "?" ? [.text(boundary)] : [])
        // New current versions: new keys, returning keys and changed keys (no current version left).
        let insertColumns = dataColumns.filter { stagedColumns.contains($0.lowercased()) }
        let columnList = (insertColumns + WarehouseSchema.auditColumns + [table.effectiveDateColumn, table.endDateColumn, table.currentFlagColumn])
            .map(SQL.quoteIdentifier).joined(separator: ", ")
        let selectList = insertColumns.map { "s.\(SQL.quoteIdentifier($0))" }.joined(separator: ", ")
        var values: [SQLValue] = [.text(file.path), .text(loadStamp), .text(batchID)]
        if startValue == "?" { values.append(.text(boundary)) }
        let inserted = try db.run("""
            INSERT INTO \(target) (\(columnList))
            SELECT \(selectList)\(selectList.isEmpty ? "" : ", ")?, ?, ?, \(startValue), NULL, 1 FROM temp.\(SCD2Loader.stage) s
            WHERE s._skip = 0 AND NOT EXISTS (SELECT 1 FROM \(target) t WHERE t.\(current) = 1 AND \(keyMatchT))
            ORDER BY s._line
            """, values)
        counts.newKeys = inserted - counts.changedKeys
        counts.unchangedKeys = max(0, Int(applied) - inserted)
        return (deleteBoundary, counts)
    }
}

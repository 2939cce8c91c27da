import Foundation
import LadingConfiguration
import LadingReaders
import LadingStore
import LadingSupport

/// The PostgreSQL warehouse (SPEC §9): target tables, the load ledger, the quarantine,
/// lading's column types and the run mirror, all in `schema`.
///
/// Bulk rows travel by `COPY … FROM STDIN` with the values lading's readers already
/// converted, so quarantine, types and NULLs behave exactly as on SQLite. Staging tables
/// are plain (logged) tables: checkpoints point at them, so they must survive a server
/// restart. Timestamps lading writes (`_load_timestamp`, SCD2 validity) are `timestamptz`;
/// its own bookkeeping keeps SQLite's text columns, so both backends report alike.
public final class PostgresWarehouse: Warehouse {
    let db: PGConnection
    let schema: String
    /// Fenced before each writing transaction commits (SPEC §9).
    private let transactions: PostgresTransactions
    public var location: String { "schema \"\(schema)\" of \(db.target)" }
    /// PostgreSQL's system columns: a table cannot have a column of these names.
    public var reservedColumnNames: [String] { ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"] }

    init(connection: PGConnection, schema: String, readOnly: Bool, fence: PostgresFence?) throws {
        db = connection
        self.schema = schema
        transactions = PostgresTransactions(db: connection, fence: fence, checksLease: true)
        try PostgresSession.prepare(db, readOnly: readOnly)
        if !readOnly {
            do {
                try PostgresSession.createSchema(schema, on: db, statements: PostgresWarehouseSchema.create(schema))
            } catch {
                // Cut off while opening (force-unlock ended a paused worker's sessions): the
                // lost lock is what to report.
                try fence?.checkStillHeld(db, lease: false)
                throw error
            }
            bookkeepingSeen = true
        }
    }

    /// `plan`: one transaction, rolled back by `discard()`. lading's own tables are
    /// created inside it only when missing (a first plan on an empty database), so a
    /// plan beside workers takes no schema lock.
    init(scratchOn connection: PGConnection, schema: String) throws {
        db = connection
        self.schema = schema
        transactions = PostgresTransactions(db: connection, fence: nil, checksLease: false)
        try PostgresSession.prepare(db, readOnly: false)
        try db.execute("BEGIN")
        if try db.rows("SELECT to_regclass($1) IS NULL", [PGName.qualified(schema, WarehouseNames.ledger)]).first?.first == "t" {
            try PostgresSession.createSchema(schema, on: db, statements: PostgresWarehouseSchema.create(schema))
        }
        bookkeepingSeen = true
    }

    func q(_ name: String) -> String { PGName.qualified(schema, name) }
    private var ledgerTable: String { q(WarehouseNames.ledger) }
    private var quarantineTable: String { q(WarehouseNames.quarantine) }
    private var catalogTable: String { q(WarehouseNames.columns) }
    private var runsTable: String { q(WarehouseNames.runs) }

    /// Whether lading's own tables exist (a read-only open of a fresh database has none).
    /// Once seen, or created by a writing open, they are not looked up again: every
    /// ledger read would otherwise pay a round trip for it.
    private var bookkeepingSeen = false
    /// The binary COPY the last `insert` left open on `db` (see `PGConnection.hold`):
    /// its target and audit values, and the layout worked out when it began.
    private var heldBinary: (key: String, types: [PGBinaryType], trailing: [[UInt8]], copyIn: PGCopyIn)?

    private func bookkeepingExists() throws -> Bool {
        if !bookkeepingSeen { bookkeepingSeen = try tableExists(WarehouseNames.ledger) }
        return bookkeepingSeen
    }

    // MARK: - Ledger

    static let ledgerColumns = """
        table_name, source_file, batch_id, content_sha256, status, checkpoint, checkpoint_line, staging_table,
        records_read, rows_loaded, rows_quarantined, file_size, file_modified_time, boundary, committed_at
        """

    public func ledgerRows(table: String?) throws -> [LedgerRow] {
        guard try bookkeepingExists() else { return [] }
        let condition = table == nil ? "" : " WHERE table_name = $1"
        return try ledgerRows(condition, table.map { [$0] } ?? [])
    }

    public func completeFiles() throws -> [String: [String]] {
        guard try bookkeepingExists() else { return [:] }
        return PGConnection.filesByTable(try db.rows("SELECT table_name, source_file FROM \(ledgerTable) WHERE status = 'complete'"))
    }

    public func ledgerRow(table: String, file: String) throws -> LedgerRow? {
        guard try bookkeepingExists() else { return nil }
        return try ledgerRows(" WHERE table_name = $1 AND source_file = $2", [table, file]).first
    }

    private func ledgerRows(_ condition: String, _ values: [String?]) throws -> [LedgerRow] {
        try db.rows("SELECT \(Self.ledgerColumns) FROM \(ledgerTable)\(condition) ORDER BY table_name COLLATE \"C\", source_file COLLATE \"C\"", values).map { row in
            LedgerRow(
                tableName: row[0] ?? "", sourceFile: row[1] ?? "", batchID: row[2] ?? "", contentSHA256: row[3],
                status: LedgerRow.Status(rawValue: row[4] ?? "") ?? .partial, checkpoint: Int64(row[5] ?? "") ?? 0,
                checkpointLine: Int64(row[6] ?? "") ?? 0, stagingTable: row[7], recordsRead: Int64(row[8] ?? "") ?? 0,
                rowsLoaded: Int64(row[9] ?? "") ?? 0, rowsQuarantined: Int64(row[10] ?? "") ?? 0, fileSize: row[11].flatMap { Int64($0) },
                fileModifiedTime: row[12], boundary: row[13], committedAt: row[14] ?? "")
        }
    }

    public func writeLedger(_ row: LedgerRow) throws {
        if row.status == .partial, row.stagingTable != nil {
            // A checkpoint commits its staged rows and this row together, so one lost in a
            // server crash takes both with it and the load resumes from the checkpoint
            // before: it need not wait for the disk. Every later commit that matters (the
            // file's final one, the tracker's) is synchronous and flushes the WAL before it.
            try db.execute("SET LOCAL synchronous_commit TO OFF")
        }
        try db.run("""
            INSERT INTO \(ledgerTable) (\(Self.ledgerColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT (table_name, source_file) DO UPDATE SET batch_id = excluded.batch_id, content_sha256 = excluded.content_sha256,
                status = excluded.status, checkpoint = excluded.checkpoint, checkpoint_line = excluded.checkpoint_line,
                staging_table = excluded.staging_table, records_read = excluded.records_read, rows_loaded = excluded.rows_loaded,
                rows_quarantined = excluded.rows_quarantined, file_size = excluded.file_size,
                file_modified_time = excluded.file_modified_time, boundary = excluded.boundary, committed_at = excluded.committed_at
            """, [row.tableName, row.sourceFile, row.batchID, row.contentSHA256, row.status.rawValue, String(row.checkpoint),
                  String(row.checkpointLine), row.stagingTable, String(row.recordsRead), String(row.rowsLoaded), String(row.rowsQuarantined),
                  row.fileSize.map(String.init), row.fileModifiedTime, row.boundary, row.committedAt])
    }

    public func markForReload(table: String, file: String) throws {
        guard let row = try ledgerRow(table: table, file: file) else { return }
        if let staging = row.stagingTable { try dropTable(staging) }
        try db.run("""
            UPDATE \(ledgerTable) SET status = 'partial', checkpoint = 0, checkpoint_line = 0, staging_table = NULL,
                records_read = 0, rows_loaded = 0, rows_quarantined = 0 WHERE table_name = $1 AND source_file = $2
            """, [table, file])
    }

    public func deleteLedger(table: String, file: String) throws {
        try db.run("DELETE FROM \(ledgerTable) WHERE table_name = $1 AND source_file = $2", [table, file])
    }

    public func writeReloadMarker(table: String, file: String) throws {
        try writeLedger(LedgerRow(tableName: table, sourceFile: file, batchID: "reload", contentSHA256: nil, status: .partial, checkpoint: 0,
                                  checkpointLine: 0, stagingTable: nil, recordsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, fileSize: nil,
                                  fileModifiedTime: nil, boundary: nil, committedAt: ""))
    }

    public func moveQuarantinedToLoaded(table: String, file: String, count: Int) throws {
        try db.run("""
            UPDATE \(ledgerTable) SET rows_loaded = rows_loaded + $1, rows_quarantined = rows_quarantined - $1
            WHERE table_name = $2 AND source_file = $3
            """, [String(count), table, file])
    }

    // MARK: - Tables and column types

    public func tableExists(_ table: String) throws -> Bool {
        try db.rows("SELECT to_regclass($1) IS NOT NULL", [q(table)]).first?.first == "t"
    }

    public func dropTable(_ name: String) throws {
        try db.execute("DROP TABLE IF EXISTS \(q(name))")
    }

    public func columns(of table: String) throws -> [TableConfig.Column] {
        guard try tableExists(WarehouseNames.columns) else { return [] }
        return try db.rows("SELECT column_name, column_type FROM \(catalogTable) WHERE table_name = $1 ORDER BY position", [table]).map {
            TableConfig.Column(name: $0[0] ?? "", type: ColumnType(rawValue: $0[1] ?? "") ?? .text)
        }
    }

    /// The table's physical columns, in order (staging has no catalog rows).
    func physicalColumns(of table: String) throws -> [String] {
        try db.rows("""
            SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, [q(table)]).compactMap { $0[0] }
    }

    public func ensureTable(_ table: String, columns: [TableConfig.Column], scd2: SCD2Layout?) throws {
        try checkNames(columns, of: table)
        try lockDefinition(of: table)
        let existing = try self.columns(of: table)
        if !(try tableExists(table)) {
            let total = columns.count + (scd2 == nil ? 0 : 3) + WarehouseNames.auditColumns.count
            // PostgreSQL's own limit is 1600 columns per table.
            if total > 1600 { throw WarehouseError.tooManyColumns(table: table, count: total, limit: 1600) }
            var definitions = columns.map { "\(PGName.quote($0.name)) \($0.type.postgresType)" }
            definitions += WarehouseNames.auditColumns.map { "\(PGName.quote($0)) \($0 == "_load_timestamp" ? "timestamptz" : "text")" }
            if let scd2 {
                definitions += ["\(PGName.quote(scd2.validFrom)) timestamptz", "\(PGName.quote(scd2.validTo)) timestamptz",
                                "\(PGName.quote(scd2.isCurrent)) boolean"]
            }
            try db.execute("CREATE TABLE \(q(table)) (\(definitions.joined(separator: ", ")))")
            try db.run("DELETE FROM \(catalogTable) WHERE table_name = $1", [table])
            for (position, column) in columns.enumerated() {
                try db.run("INSERT INTO \(catalogTable) (table_name, column_name, column_type, position) VALUES ($1, $2, $3, $4)",
                           [table, column.name, column.type.rawValue, String(position)])
            }
        } else {
            let known = Set(existing.map { $0.name.lowercased() })
            var position = existing.count
            for column in columns where !known.contains(column.name.lowercased()) {
                let physical = try physicalColumns(of: table)
                // A column an operator added by hand is taken into the catalog as it is:
                // adding it again failed every later file that has it.
                if !physical.contains(where: { $0.utf8.elementsEqual(column.name.utf8) }) {
                    if physical.count + 1 > 1600 { throw WarehouseError.tooManyColumns(table: table, count: physical.count + 1, limit: 1600) }
                    try db.execute("ALTER TABLE \(q(table)) ADD COLUMN \(PGName.quote(column.name)) \(column.type.postgresType)")
                }
                try db.run("INSERT INTO \(catalogTable) (table_name, column_name, column_type, position) VALUES ($1, $2, $3, $4)",
                           [table, column.name, column.type.rawValue, String(position)])
                position += 1
            }
        }
        guard let scd2 else { return }
        // Also after a repair replayed a table whose index someone dropped.
        try createCurrentIndex(on: table, scd2)
    }

    /// Several workers may meet a new table or column at once (SPEC §9): its definition
    /// changes one transaction at a time, each looking again once the one before committed.
    private func lockDefinition(of table: String) throws {
        _ = try db.rows("SELECT pg_advisory_xact_lock(hashtext($1))", ["lading table " + schema + "\u{1F}" + table])
    }

    private func createCurrentIndex(on table: String, _ layout: SCD2Layout) throws {
        let keys = layout.keys.map(PGName.quote).joined(separator: ", ")
        try db.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS \(PGName.quote("_lading_current_" + table)) ON \(q(table)) (\(keys)) WHERE \(PGName.quote(layout.isCurrent))
            """)
    }

    /// SPEC §3 widenings in place: `ALTER COLUMN … TYPE … USING` rewrites every row in
    /// the caller's transaction, rendering each value as SQLite's rebuild does.
    @discardableResult
    public func widen(_ table: String, to wider: [TableConfig.Column]) throws -> [String: ColumnType] {
        guard !wider.isEmpty else { return [:] }
        try lockDefinition(of: table)
        guard try tableExists(table) else { return [:] }
        let catalog = Dictionary(try columns(of: table).map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var changes: [String] = []
        for column in wider {
            guard let old = catalog[column.name.lowercased()], old.type != column.type else { continue }
            let quoted = PGName.quote(old.name)
            let using: String
            switch (old.type, column.type) {
            case (_, .real): using = "\(quoted)::double precision"
            case (.date, .timestamp): using = "\(quoted)::timestamp AT TIME ZONE 'UTC'"
            case (.timestamp, .text):
                // lading's canonical text: 2024-01-01T00:00:17Z, a fraction only when there is one.
                using = "regexp_replace(to_char(\(quoted) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '\\.?0+$', '') || 'Z'"
            default: using = "\(quoted)::text"
            }
            changes.append("ALTER COLUMN \(quoted) TYPE \(column.type.postgresType) USING \(using)")
        }
        if !changes.isEmpty { try db.execute("ALTER TABLE \(q(table)) \(changes.joined(separator: ", "))") }
        for column in wider {
            try db.run("UPDATE \(catalogTable) SET column_type = $1 WHERE table_name = $2 AND lower(column_name) = lower($3)",
                       [column.type.rawValue, table, column.name])
        }
        return catalog.mapValues(\.type)
    }

    public func orphanStagingTables() throws -> [String] {
        let staging = try db.rows("""
            SELECT tablename FROM pg_tables WHERE schemaname = $1 AND starts_with(tablename, $2)
            """, [schema, WarehouseNames.stagingPrefix]).compactMap { $0[0] }
        // No staging table (every clean run): no need to read the whole ledger.
        guard !staging.isEmpty else { return [] }
        let referenced = Set(try ledgerRows().filter { $0.status == .partial }.compactMap(\.stagingTable))
        return staging.filter { !referenced.contains($0) }
    }

    // MARK: - Rows

    public func deleteRows(in table: String, file: String?) throws -> Int {
        guard let file else { return try db.run("DELETE FROM \(q(table))") }
        return try db.run("DELETE FROM \(q(table)) WHERE _source_file = $1", [file])
    }

    public func rowCount(in table: String, file: String) throws -> Int64 {
        Int64(try db.rows("SELECT count(*) FROM \(q(table)) WHERE _source_file = $1", [file]).first?.first.flatMap { $0 } ?? "0") ?? 0
    }

    public func rowCount(of table: String) throws -> Int {
        Int(try db.rows("SELECT count(*) FROM \(q(table))").first?.first.flatMap { $0 } ?? "0") ?? 0
    }

    public func rowCountsBySourceFile(in table: String) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for row in try db.rows("SELECT _source_file, count(*) FROM \(q(table)) GROUP BY _source_file") {
            counts[row[0] ?? ""] = Int64(row[1] ?? "0") ?? 0
        }
        return counts
    }

    public func batchSummary(in table: String, file: String) throws -> (rows: Int64, batches: Int, firstBatch: String?) {
        let row = try db.rows("SELECT count(*), count(DISTINCT _batch_id), min(_batch_id) FROM \(q(table)) WHERE _source_file = $1", [file]).first ?? []
        guard row.count == 3 else { return (0, 0, nil) }
        return (Int64(row[0] ?? "0") ?? 0, Int(row[1] ?? "0") ?? 0, row[2])
    }

    // MARK: - Loading

    public func createStaging(_ name: String, like table: String) throws {
        // Plain, not UNLOGGED: a checkpoint points at these rows, and an unlogged table is
        // emptied by a server crash.
        try db.execute("CREATE TABLE \(q(name)) AS SELECT * FROM \(q(table)) WHERE false")
    }

    /// A column name PostgreSQL would cut (and so could merge with another) fails the file.
    private func checkNames(_ columns: [TableConfig.Column], of table: String) throws {
        if let long = columns.first(where: { $0.name.utf8.count > PGName.maxBytes }) {
            throw WarehouseError.columnNameTooLong(table: table, column: long.name, limit: PGName.maxBytes)
        }
    }

    public func addColumns(_ columns: [TableConfig.Column], to staging: String) throws {
        for column in columns {
            try db.execute("ALTER TABLE \(q(staging)) ADD COLUMN \(PGName.quote(column.name)) \(column.type.postgresType)")
        }
    }

    public func insert(_ batch: RecordBatch, into table: String, columns: [String], audit: AuditValues?) throws {
        guard batch.rowCount > 0 else { return }
        let names = columns + (audit == nil ? [] : WarehouseNames.auditColumns)
        let key = ([q(table)] + names + (audit?.values ?? [])).joined(separator: "\u{0}")
        // The next batch of the same load continues the binary COPY the last one left open.
        if let held = heldBinary, held.key == key, PGCopyBinary.fits(batch, types: held.types),
           let copyIn = db.takeHeldCopy(held.copyIn) {
            try sendBinary(batch, to: copyIn, types: held.types, trailing: held.trailing, header: false)
            try db.hold(copyIn)
            return
        }
        heldBinary = nil
        if let layout = try binaryLayout(of: table, columns: names, dataColumns: columns.count, audit: audit),
           PGCopyBinary.fits(batch, types: layout.types) {
            let copyIn = try db.beginCopy("COPY \(q(table)) (\(names.map(PGName.quote).joined(separator: ", "))) FROM STDIN (FORMAT binary)")
            copyIn.trailer = PGCopyBinary.trailer
            try sendBinary(batch, to: copyIn, types: layout.types, trailing: layout.trailing, header: true)
            try db.hold(copyIn)
            heldBinary = (key, layout.types, layout.trailing, copyIn)
            return
        }
        let trailing = audit.map { $0.values.map { Array($0.utf8) } } ?? []
        try copy(into: q(table), columns: names, rowCount: batch.rowCount) { text, row in
            text.appendRow(of: batch, row, width: columns.count, trailing: trailing)
        }
    }

    /// A batch's rows into an open binary COPY; any failure aborts the COPY.
    private func sendBinary(_ batch: RecordBatch, to copyIn: PGCopyIn, types: [PGBinaryType], trailing: [[UInt8]], header: Bool) throws {
        do {
            var rows = PGCopyBinary()
            if header { rows.appendHeader() }
            try copyIn.send(&rows, count: batch.rowCount) { rows, row in
                rows.appendRow(of: batch, row, types: types, trailing: trailing)
            }
        } catch {
            copyIn.abort("lading stopped the copy: \(error)")
            throw error
        }
    }

    /// How a COPY into these columns of `table` goes in binary: each data column's type
    /// and the audit values encoded once. Nil (send text) when a column has a type lading
    /// does not write in binary. Types come from the table as it is now, after any column
    /// this file added or widened; names are compared byte for byte, as PostgreSQL does.
    ///
    /// The table is locked first (ROW EXCLUSIVE, the lock the COPY itself takes), so the
    /// types read are the ones the COPY meets: without it, another worker's uncommitted
    /// widening (`ALTER … TYPE` under ACCESS EXCLUSIVE) was invisible to the catalog read,
    /// the COPY then waited for that commit and sent 8-byte integers into what had become
    /// a `double precision` column (wrong values, found by an adversarial pass). The lock
    /// lasts to the end of the transaction, so nothing can retype the columns while a
    /// held COPY goes on; outside a transaction there is no such guarantee: text then.
    private func binaryLayout(of table: String, columns: [String], dataColumns: Int, audit: AuditValues?) throws
        -> (types: [PGBinaryType], trailing: [[UInt8]])? {
        guard db.isInTransaction else { return nil }
        try db.execute("LOCK TABLE \(q(table)) IN ROW EXCLUSIVE MODE")
        var oids: [[UInt8]: Int64] = [:]
        for row in try db.rows("""
            SELECT attname, atttypid::int8 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
            """, [q(table)]) {
            if let name = row[0], let oid = row[1].flatMap({ Int64($0) }) { oids[Array(name.utf8)] = oid }
        }
        var types: [PGBinaryType] = []
        for name in columns {
            guard let oid = oids[Array(name.utf8)], let type = PGBinaryType(oid: oid) else { return nil }
            types.append(type)
        }
        var trailing: [[UInt8]] = []
        if let audit {
            for (value, type) in zip(audit.values, types[dataColumns...]) {
                guard let field = PGCopyBinary.encode(value, as: type) else { return nil }
                trailing.append(field)
            }
        }
        return (Array(types[0..<dataColumns]), trailing)
    }

    /// One `COPY … FROM STDIN` in text format, streamed as it is encoded.
    func copy(into target: String, columns: [String], rowCount: Int, row: (inout PGCopyText, Int) throws -> Void) throws {
        var text = PGCopyText()
        try stream("COPY \(target) (\(columns.map(PGName.quote).joined(separator: ", "))) FROM STDIN") { copyIn in
            try copyIn.send(&text, count: rowCount, row)
        }
    }

    /// Runs one COPY; any failure aborts it, so the connection never stays in COPY mode.
    private func stream(_ sql: String, _ body: (PGCopyIn) throws -> Void) throws {
        let copyIn = try db.beginCopy(sql)
        do {
            try body(copyIn)
            _ = try copyIn.finish()
        } catch {
            copyIn.abort("lading stopped the copy: \(error)")
            throw error
        }
    }

    public func moveStaged(_ staging: String, into table: String, audit: AuditValues) throws -> Int {
        let auditColumns = WarehouseNames.auditColumns
        let data = try physicalColumns(of: staging).filter { !auditColumns.contains($0) }.map(PGName.quote).joined(separator: ", ")
        let targetColumns = data + ", " + auditColumns.map(PGName.quote).joined(separator: ", ")
        return try db.run("INSERT INTO \(q(table)) (\(targetColumns)) SELECT \(data), $1, $2::timestamptz, $3 FROM \(q(staging))", audit.values)
    }

    // MARK: - SCD2

    public func ensureKeyIndex(on table: String, keys: [String]) throws {
        let columns = keys.map(PGName.quote).joined(separator: ", ")
        try db.execute("CREATE UNIQUE INDEX IF NOT EXISTS \(PGName.quote("_lading_keys_" + table)) ON \(q(table)) (\(columns))")
    }

    public func makeMergeStage(for table: String, keys: [String], columns: [TableConfig.Column], persistentName: String?) throws -> any MergeStage {
        try PostgresMergeStage(warehouse: self, table: table, keys: keys, columns: columns, persistentName: persistentName)
    }

    public func makeSCD2Stage(for table: String, layout: SCD2Layout, columns: [TableConfig.Column]) throws -> any SCD2Stage {
        try PostgresSCD2Stage(warehouse: self, table: table, layout: layout, columns: columns)
    }

    public func keysWithSeveralCurrentVersions(in table: String, layout: SCD2Layout, limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int) {
        try keysOnSeveralRows(in: table, keys: layout.keys, where: PGName.quote(layout.isCurrent), limit: limit)
    }

    public func duplicateKeys(in table: String, keys: [String], limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int) {
        try keysOnSeveralRows(in: table, keys: keys, where: "true", limit: limit)
    }

    private func keysOnSeveralRows(in table: String, keys keyNames: [String], where condition: String, limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int) {
        let keys = keyNames.map(PGName.quote).joined(separator: ", ")
        let texts = keyNames.map { "\(PGName.quote($0))::text" }.joined(separator: ", ")
        let doubled = "SELECT \(texts), count(*) FROM \(q(table)) WHERE \(condition) GROUP BY \(keys) HAVING count(*) > 1"
        let examples = try db.rows(doubled + " LIMIT \(limit)").map { row in
            (key: Array(row.dropLast()), versions: Int(row.last.flatMap { $0 } ?? "0") ?? 0)
        }
        let total = examples.count < limit ? examples.count
            : Int(try db.rows("SELECT count(*) FROM (\(doubled)) d").first?.first.flatMap { $0 } ?? "0") ?? 0
        return (examples, total)
    }

    public func keysWithOverlappingVersions(in table: String, layout: SCD2Layout, limit: Int) throws -> (examples: [(key: [String?], start: String?, nextStart: String?)], total: Int) {
        let keys = layout.keys.map(PGName.quote).joined(separator: ", ")
        let start = PGName.quote(layout.validFrom), end = PGName.quote(layout.validTo)
        // One row per key: its first overlap.
        let overlapping = """
            SELECT DISTINCT ON (\(keys)) \(keys), \(PostgresSession.isoText(start)), \(PostgresSession.isoText("next_start")) FROM (
                SELECT \(keys), \(start), \(end), lead(\(start)) OVER (PARTITION BY \(keys) ORDER BY \(start), ctid) AS next_start FROM \(q(table))) v
            WHERE next_start IS NOT NULL AND (\(end) IS NULL OR \(end) > next_start)
            ORDER BY \(keys), \(start)
            """
        let count = layout.keys.count
        let examples = try db.rows(overlapping + " LIMIT \(limit)").map { row in
            (key: Array(row.prefix(count)), start: row[count], nextStart: row[count + 1])
        }
        let total = examples.count < limit ? examples.count
            : Int(try db.rows("SELECT count(*) FROM (\(overlapping)) o").first?.first.flatMap { $0 } ?? "0") ?? 0
        return (examples, total)
    }

    // MARK: - Replays

    public func forgetTable(_ name: String) throws {
        try dropTable(name)
        for catalog in [ledgerTable, quarantineTable, catalogTable] {
            try db.run("DELETE FROM \(catalog) WHERE table_name = $1", [name])
        }
    }

    public func copyColumnCatalog(from table: String, to other: String, overriding: [TableConfig.Column]) throws {
        try db.run("""
            INSERT INTO \(catalogTable) (table_name, column_name, column_type, position)
            SELECT $1, column_name, column_type, position FROM \(catalogTable) WHERE table_name = $2
            """, [other, table])
        for column in overriding {
            try db.run("UPDATE \(catalogTable) SET column_type = $1 WHERE table_name = $2 AND lower(column_name) = lower($3)",
                       [column.type.rawValue, other, column.name])
        }
    }

    public func swapIn(_ shadow: String, as table: String, scd2: SCD2Layout?, keys: [String]?) throws {
        for catalog in [ledgerTable, quarantineTable, catalogTable] {
            try db.run("DELETE FROM \(catalog) WHERE table_name = $1", [table])
            try db.run("UPDATE \(catalog) SET table_name = $1 WHERE table_name = $2", [table, shadow])
        }
        try dropTable(table)
        try db.execute("DROP INDEX IF EXISTS \(q("_lading_current_" + shadow))")
        try db.execute("DROP INDEX IF EXISTS \(q("_lading_keys_" + shadow))")
        try db.execute("ALTER TABLE \(q(shadow)) RENAME TO \(PGName.quote(table))")
        if let scd2 { try createCurrentIndex(on: table, scd2) }
        if let keys { try ensureKeyIndex(on: table, keys: keys) }
    }

    // MARK: - Quarantine

    public func quarantine(_ bad: BadRecord, table: String, file: String, batchID: String, at stamp: String) throws {
        try db.run("""
            INSERT INTO \(quarantineTable) (table_name, source_file, record_number, line_number, raw_record, error_type, error_message, batch_id, quarantined_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, [table, file, String(bad.recordNumber), String(bad.lineNumber), PostgresSession.storable(bad.rawText),
                  bad.errorType, PostgresSession.storable(bad.reason), batchID, stamp])
    }

    public func deleteQuarantine(table: String, file: String) throws {
        try db.run("DELETE FROM \(quarantineTable) WHERE table_name = $1 AND source_file = $2", [table, file])
    }

    public func quarantinedRecords(table: String?, file: String?, pendingOnly: Bool) throws -> [QuarantinedRecord] {
        guard try tableExists(WarehouseNames.quarantine) else { return [] }
        var conditions: [String] = []
        var values: [String?] = []
        if let table { values.append(table); conditions.append("table_name = $\(values.count)") }
        if let file { values.append(file); conditions.append("source_file = $\(values.count)") }
        if pendingOnly { conditions.append("reprocessed_at IS NULL") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try db.rows("""
            SELECT id, table_name, source_file, record_number, line_number, raw_record, error_type, error_message, batch_id, quarantined_at, reprocessed_at
            FROM \(quarantineTable)\(filter) ORDER BY table_name COLLATE "C", source_file COLLATE "C", record_number
            """, values).map { row in
            QuarantinedRecord(id: Int64(row[0] ?? "") ?? 0, table: row[1] ?? "", file: row[2] ?? "", recordNumber: Int64(row[3] ?? "") ?? 0,
                              lineNumber: Int64(row[4] ?? "") ?? 0, rawRecord: row[5] ?? "", errorType: row[6] ?? "", errorMessage: row[7] ?? "",
                              batchID: row[8] ?? "", quarantinedAt: row[9] ?? "", reprocessedAt: row[10])
        }
    }

    public func updateQuarantined(id: Int64, errorType: String, message: String) throws {
        try db.run("UPDATE \(quarantineTable) SET error_type = $1, error_message = $2 WHERE id = $3", [errorType, PostgresSession.storable(message), String(id)])
    }

    public func markReprocessed(id: Int64, at stamp: String) throws {
        try db.run("UPDATE \(quarantineTable) SET reprocessed_at = $1 WHERE id = $2", [stamp, String(id)])
    }

    // MARK: - Runs, transactions, integrity

    static let runColumns = "run_id, started_at, finished_at, status, pid, hostname, files_discovered, files_loaded, files_failed, rows_loaded, rows_quarantined, error_message"

    public func recordRun(_ run: RunRecord) throws {
        try db.run("""
            INSERT INTO \(runsTable) (\(Self.runColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (run_id) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at, status = excluded.status,
                pid = excluded.pid, hostname = excluded.hostname, files_discovered = excluded.files_discovered, files_loaded = excluded.files_loaded,
                files_failed = excluded.files_failed, rows_loaded = excluded.rows_loaded, rows_quarantined = excluded.rows_quarantined,
                error_message = excluded.error_message
            """, PostgresSession.values(of: run))
    }

    public func runRecords() throws -> [RunRecord] {
        guard try tableExists(WarehouseNames.runs) else { return [] }
        return try db.rows("SELECT \(Self.runColumns) FROM \(runsTable) ORDER BY started_at").map(PostgresSession.runRecord)
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T { try transactions.run(body) }

    /// PostgreSQL has no `integrity_check` twin that a client can run on any server
    /// (`amcheck` needs an extension and superuser grants): lading checks that the server
    /// answers and that its own tables are readable, and says so in the README.
    public func integrityProblems(quick: Bool) throws -> [String]? {
        guard try bookkeepingExists() else { return nil }
        _ = try db.rows("SELECT count(*) FROM \(ledgerTable)")
        return nil
    }
}

extension PostgresWarehouse: ScratchWarehouse {
    public func discard() {
        _ = try? db.execute("ROLLBACK")
        db.close()
    }
}

import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The embedded SQLite warehouse (SPEC §5): target tables, the load ledger, the
/// quarantine and lading's column types.
///
/// A rollback journal (`TRUNCATE`) with `synchronous = FULL`, not WAL: a bulk load
/// appends new pages, which a rollback journal writes once while WAL writes them twice
/// (log, then checkpoint); measured, that alone was a third of a large load. Commits stay
/// atomic and durable through any crash (I1). The price is that a reader (a health check
/// beside a live run) waits, within the busy timeout, while a commit is being written.
///
/// `secure_delete` is turned off (Debian builds SQLite with it on): with it, dropping a
/// file's staging table wrote every freed page to the journal, 80 MB for a 1M-row file.
/// Freed pages keep their old bytes until reused, the same data the target table holds.
public final class SQLiteWarehouse: GroupCommitWarehouse {
    public let path: String
    public var location: String { path }
    /// SQLite lets a table column shadow `rowid`.
    public var reservedColumnNames: [String] { [] }
    let db: Connection
    /// Binds batches straight from their arena; kept so its audit buffer is reused.
    private let inserter = BatchInserter()

    private let readOnly: Bool

    /// `integrityStamp`: where a writer keeps the stamp that lets the next run skip its
    /// `quick_check` of a warehouse nothing else touched (`IntegrityTrust`).
    public init(path: String, readOnly: Bool = false, busyTimeoutSeconds: Double = 30, integrityStamp: String? = nil) throws {
        self.path = path
        self.readOnly = readOnly
        if !readOnly {
            do {
                try FileManager.default.createDirectory(atPath: Paths.directory(of: path), withIntermediateDirectories: true)
            } catch {
                throw StateIOError(path: Paths.directory(of: path), detail: error.localizedDescription)
            }
        }
        // A run killed mid-transaction leaves a hot rollback journal, which only a
        // connection that may write can roll back (a read-only one fails with
        // SQLITE_READONLY_ROLLBACK): a reader then opens read-write, so SQLite restores
        // the last committed state, and writes nothing else.
        let hotJournal = readOnly && (DatabaseStamp.File.of(path + "-journal", in: AT_FDCWD)?.size ?? 0) > 0
        db = try Connection(path: path, mode: readOnly ? (hotJournal ? .readWrite : .readOnly) : .readWriteCreate,
                            busyTimeoutMilliseconds: Int32(clamping: Int((busyTimeoutSeconds * 1000).rounded())))
        if !readOnly {
            if let integrityStamp { db.trustIntegrity(stampPath: integrityStamp) }
            try db.execute("PRAGMA page_size = 16384; PRAGMA journal_mode = TRUNCATE; PRAGMA synchronous = FULL; PRAGMA secure_delete = OFF; PRAGMA mmap_size = 0; " + Self.cachePragmas)
            try db.execute(WarehouseSchema.create)
        }
    }

    deinit { inserter.finalizeStatements() }

    public func close() {
        inserter.finalizeStatements()
        db.close()
    }

    /// Page caches of 8 MiB for the warehouse and 4 MiB for temporary tables (SCD2 and
    /// merge stages), and no memory map: a load's peak memory stays under 64 MiB whatever the
    /// file (issue 18; mapped pages of a staged file counted in full). Appends write
    /// pages in order and need little cache; a stage larger than its cache spills to a
    /// temporary file the OS keeps in memory anyway.
    static let cachePragmas = "PRAGMA cache_size = -8192; PRAGMA temp.cache_size = -4096;"

    /// `plan`: the warehouse at `path` (an empty in-memory one when there is none yet)
    /// inside a transaction that `discard()` rolls back. The first write takes SQLite's
    /// write lock, so beside a live run the plan waits within the busy timeout.
    public init(scratchOf path: String, busyTimeoutSeconds: Double) throws {
        self.path = path
        self.readOnly = false
        let exists = FileManager.default.fileExists(atPath: path)
        db = try Connection(path: exists ? path : ":memory:", mode: .readWriteCreate,
                            busyTimeoutMilliseconds: Int32(clamping: Int((busyTimeoutSeconds * 1000).rounded())))
        try db.execute(Self.cachePragmas)
        try db.execute("BEGIN")
        try db.execute(WarehouseSchema.create)
    }

    // MARK: - Ledger

    static let ledgerColumns = """
        table_name, source_file, batch_id, content_sha256, status, checkpoint, checkpoint_line, staging_table,
        records_read, rows_loaded, rows_quarantined, file_size, file_modified_time, boundary, committed_at
        """

    public func ledgerRows(table: String?) throws -> [LedgerRow] {
        let condition = table == nil ? "" : " WHERE table_name = ?"
        return try ledgerRows(where: condition, table.map { [.text($0)] } ?? [])
    }

    public func ledgerRow(table: String, file: String) throws -> LedgerRow? {
        try ledgerRows(where: " WHERE table_name = ? AND source_file = ?", [.text(table), .text(file)]).first
    }

    private func ledgerRows(where condition: String, _ values: [SQLValue]) throws -> [LedgerRow] {
        guard try db.tableExists(WarehouseSchema.ledger) else { return [] }
        let rows = try db.rows("SELECT \(SQLiteWarehouse.ledgerColumns) FROM _lading_loads\(condition) ORDER BY table_name, source_file", values)
        return rows.map { row in
            LedgerRow(
                tableName: row[0].textValue ?? "", sourceFile: row[1].textValue ?? "", batchID: row[2].textValue ?? "",
                contentSHA256: row[3].textValue, status: LedgerRow.Status(rawValue: row[4].textValue ?? "") ?? .partial,
                checkpoint: row[5].integerValue ?? 0, checkpointLine: row[6].integerValue ?? 0, stagingTable: row[7].textValue,
                recordsRead: row[8].integerValue ?? 0, rowsLoaded: row[9].integerValue ?? 0, rowsQuarantined: row[10].integerValue ?? 0,
                fileSize: row[11].integerValue, fileModifiedTime: row[12].textValue, boundary: row[13].textValue,
                committedAt: row[14].textValue ?? ""
            )
        }
    }

    public func writeLedger(_ row: LedgerRow) throws {
        try db.run("""
            INSERT INTO _lading_loads (\(SQLiteWarehouse.ledgerColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (table_name, source_file) DO UPDATE SET batch_id = excluded.batch_id, content_sha256 = excluded.content_sha256,
                status = excluded.status, checkpoint = excluded.checkpoint, checkpoint_line = excluded.checkpoint_line,
                staging_table = excluded.staging_table, records_read = excluded.records_read, rows_loaded = excluded.rows_loaded,
                rows_quarantined = excluded.rows_quarantined, file_size = excluded.file_size,
                file_modified_time = excluded.file_modified_time, boundary = excluded.boundary, committed_at = excluded.committed_at
            """, [.text(row.tableName), .text(row.sourceFile), .text(row.batchID), row.contentSHA256.sqlValue, .text(row.status.rawValue),
                  .integer(row.checkpoint), .integer(row.checkpointLine), row.stagingTable.sqlValue, .integer(row.recordsRead),
                  .integer(row.rowsLoaded), .integer(row.rowsQuarantined), row.fileSize.map(SQLValue.integer) ?? .null,
                  row.fileModifiedTime.sqlValue, row.boundary.sqlValue, .text(row.committedAt)])
    }

    /// Turns a ledger row into the reload marker: `partial` at checkpoint 0 with no
    /// staging. The Reconciler does not adopt it as complete, and the next load of the
    /// file first deletes the file's earlier rows. The SCD2 boundary is kept for replays.
    /// The staging table of the load it replaces goes too. Quarantine rows stay until
    /// the reload commits its own (they describe the rows still in the table).
    public func markForReload(table: String, file: String) throws {
        guard let row = try ledgerRow(table: table, file: file) else { return }
        if let staging = row.stagingTable { try dropTable(staging) }
        try db.run("""
            UPDATE _lading_loads SET status = 'partial', checkpoint = 0, checkpoint_line = 0, staging_table = NULL,
                records_read = 0, rows_loaded = 0, rows_quarantined = 0 WHERE table_name = ? AND source_file = ?
            """, [.text(table), .text(file)])
    }

    public func writeReloadMarker(table: String, file: String) throws {
        try writeLedger(LedgerRow(tableName: table, sourceFile: file, batchID: "reload", contentSHA256: nil, status: .partial, checkpoint: 0,
                                  checkpointLine: 0, stagingTable: nil, recordsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, fileSize: nil,
                                  fileModifiedTime: nil, boundary: nil, committedAt: ""))
    }

    public func rowCount(in table: String, file: String) throws -> Int64 {
        try db.rows("SELECT count(*) FROM \(SQL.quoteIdentifier(table)) WHERE _source_file = ?", [.text(file)]).first?.first?.integerValue ?? 0
    }

    public func deleteLedger(table: String, file: String) throws {
        try db.run("DELETE FROM _lading_loads WHERE table_name = ? AND source_file = ?", [.text(table), .text(file)])
    }

    // MARK: - Tables and column types

    /// Column names and lading types of a target table, in order (empty when it does not exist).
    public func columns(of table: String) throws -> [TableConfig.Column] {
        // A read-only warehouse file created but never given lading's tables holds no types yet.
        if readOnly, !(try db.tableExists(WarehouseSchema.columns)) { return [] }
        return try db.rows("SELECT column_name, column_type FROM _lading_columns WHERE table_name = ? ORDER BY position", [.text(table)]).map {
            TableConfig.Column(name: $0[0].textValue ?? "", type: ColumnType(rawValue: $0[1].textValue ?? "") ?? .text)
        }
    }

    public func tableExists(_ table: String) throws -> Bool { try db.tableExists(table) }

    public func ensureTable(_ table: String, columns: [TableConfig.Column], scd2: SCD2Layout?) throws {
        let extra: [(String, String)] = scd2.map { [($0.validFrom, "TEXT"), ($0.validTo, "TEXT"), ($0.isCurrent, "INTEGER")] } ?? []
        try ensureTable(table, columns: columns, extraColumns: extra)
        guard let scd2 else { return }
        // Also after a repair replayed a table whose index someone dropped.
        try createCurrentIndex(on: table, scd2)
    }

    private func createCurrentIndex(on table: String, _ layout: SCD2Layout) throws {
        let keys = layout.keys.map(SQL.quoteIdentifier).joined(separator: ", ")
        let index = SQL.quoteIdentifier("_lading_current_" + table)
        try db.execute("CREATE UNIQUE INDEX IF NOT EXISTS \(index) ON \(SQL.quoteIdentifier(table)) (\(keys)) WHERE \(SQL.quoteIdentifier(layout.isCurrent)) = 1")
    }

    private func ensureTable(_ table: String, columns: [TableConfig.Column], extraColumns: [(String, String)]) throws {
        let existing = try self.columns(of: table)
        if !(try db.tableExists(table)) {
            let total = columns.count + extraColumns.count + WarehouseSchema.auditColumns.count
            if total > 2000 { throw WarehouseError.tooManyColumns(table: table, count: total, limit: 2000) }
            var definitions = columns.map { "\(SQL.quoteIdentifier($0.name)) \($0.type.sqlType)" }
            definitions += extraColumns.map { "\(SQL.quoteIdentifier($0.0)) \($0.1)" }
            definitions += WarehouseSchema.auditColumns.map { "\(SQL.quoteIdentifier($0)) TEXT" }
            try db.execute("CREATE TABLE \(SQL.quoteIdentifier(table)) (\(definitions.joined(separator: ", ")))")
            try db.run("DELETE FROM _lading_columns WHERE table_name = ?", [.text(table)])
            for (position, column) in columns.enumerated() {
                try db.run("INSERT INTO _lading_columns (table_name, column_name, column_type, position) VALUES (?, ?, ?, ?)",
                           [.text(table), .text(column.name), .text(column.type.rawValue), .integer(Int64(position))])
            }
            return
        }
        let known = Set(existing.map { $0.name.lowercased() })
        var position = existing.count
        for column in columns where !known.contains(column.name.lowercased()) {
            let physical = try db.columns(of: table)
            // A column an operator added by hand is taken into the catalog as it is: adding
            // it again failed every later file that has it.
            if !physical.contains(where: { $0.lowercased() == column.name.lowercased() }) {
                if physical.count + 1 > 2000 { throw WarehouseError.tooManyColumns(table: table, count: physical.count + 1, limit: 2000) }
                try db.execute("ALTER TABLE \(SQL.quoteIdentifier(table)) ADD COLUMN \(SQL.quoteIdentifier(column.name)) \(column.type.sqlType)")
            }
            try db.run("INSERT INTO _lading_columns (table_name, column_name, column_type, position) VALUES (?, ?, ?, ?)",
                       [.text(table), .text(column.name), .text(column.type.rawValue), .integer(Int64(position))])
            position += 1
        }
    }

    /// Widens columns of a table (SPEC §3: `integer` → `real`, `date` → `timestamp`, any
    /// → `text`), keeping every value rendered in its new type. SQLite cannot change a
    /// column's declared type (its affinity), and a text value stored under integer
    /// affinity would be converted (`007` → 7), so the table is rebuilt: a copy with the
    /// new types, every row converted in one `INSERT … SELECT`, then swapped in with its
    /// indexes. Runs inside the caller's transaction. Returns the catalog's types before
    /// the change (lower-cased names), for the caller's log.
    @discardableResult
    public func widen(_ table: String, to wider: [TableConfig.Column]) throws -> [String: ColumnType] {
        guard !wider.isEmpty, try db.tableExists(table) else { return [:] }
        let catalog = Dictionary(try columns(of: table).map { ($0.name.lowercased(), $0.type) }, uniquingKeysWith: { a, _ in a })
        let target = Dictionary(wider.map { ($0.name.lowercased(), $0.type) }, uniquingKeysWith: { a, _ in a })
        let info = try db.rows("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", [.text(table)])
        let indexes = try db.rows("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [.text(table)])
            .compactMap { $0[0].textValue }
        var definitions: [String] = [], selects: [String] = []
        for row in info {
            let name = row[0].textValue ?? ""
            let quoted = SQL.quoteIdentifier(name)
            guard let new = target[name.lowercased()], let old = catalog[name.lowercased()], old != new else {
                definitions.append("\(quoted) \(row[1].textValue ?? "")")
                selects.append(quoted)
                continue
            }
            definitions.append("\(quoted) \(new.sqlType)")
            switch (old, new) {
            case (_, .real): selects.append("CAST(\(quoted) AS REAL)")
            case (.date, .timestamp): selects.append("CASE WHEN \(quoted) IS NULL THEN NULL ELSE \(quoted) || 'T00:00:00Z' END")
            case (.boolean, .text): selects.append("CASE \(quoted) WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE CAST(\(quoted) AS TEXT) END")
            default: selects.append("CAST(\(quoted) AS TEXT)")
            }
        }
        let rebuilt = "_lading_widen_" + table
        try db.execute("DROP TABLE IF EXISTS \(SQL.quoteIdentifier(rebuilt))")
        try db.execute("CREATE TABLE \(SQL.quoteIdentifier(rebuilt)) (\(definitions.joined(separator: ", ")))")
        try db.execute("INSERT INTO \(SQL.quoteIdentifier(rebuilt)) SELECT \(selects.joined(separator: ", ")) FROM \(SQL.quoteIdentifier(table)) ORDER BY rowid")
        try db.execute("DROP TABLE \(SQL.quoteIdentifier(table))")
        try db.execute("ALTER TABLE \(SQL.quoteIdentifier(rebuilt)) RENAME TO \(SQL.quoteIdentifier(table))")
        for index in indexes { try db.execute(index) }
        for column in wider {
            try db.run("UPDATE _lading_columns SET column_type = ? WHERE table_name = ? AND lower(column_name) = lower(?)",
                       [.text(column.type.rawValue), .text(table), .text(column.name)])
        }
        return catalog
    }

    // MARK: - Quarantine

    public func quarantine(_ bad: BadRecord, table: String, file: String, batchID: String, at stamp: String) throws {
        try db.run("""
            INSERT INTO _lading_quarantine (table_name, source_file, record_number, line_number, raw_record, error_type, error_message, batch_id, quarantined_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(table), .text(file), .integer(Int64(bad.recordNumber)), .integer(Int64(bad.lineNumber)), .text(bad.rawText),
                  .text(bad.errorType), .text(bad.reason), .text(batchID), .text(stamp)])
    }

    /// Every quarantine row of a file, reprocessed ones too: a load keeps one set per file,
    /// that of the load that replaces the file's rows (SPEC §7).
    public func deleteQuarantine(table: String, file: String) throws {
        try db.run("DELETE FROM _lading_quarantine WHERE table_name = ? AND source_file = ?", [.text(table), .text(file)])
    }

    /// Staging tables left by loads that no partial ledger row refers to any more.
    public func orphanStagingTables() throws -> [String] {
        let staging = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_lading\\_stage\\_%' ESCAPE '\\'").compactMap { $0[0].textValue }
        // No staging table (every clean run): no need to read the whole ledger.
        guard !staging.isEmpty else { return [] }
        let referenced = Set(try ledgerRows().filter { $0.status == .partial }.compactMap(\.stagingTable))
        return staging.filter { !referenced.contains($0) }
    }

    public func deleteRows(in table: String, file: String?) throws -> Int {
        guard let file else { return try db.run("DELETE FROM \(SQL.quoteIdentifier(table))") }
        return try db.run("DELETE FROM \(SQL.quoteIdentifier(table)) WHERE _source_file = ?", [.text(file)])
    }

    public func beginGroup() throws {
        db.releaseCachedPages()
        try db.execute("BEGIN IMMEDIATE")
    }

    public func commitGroup(files: Int) throws {
        // SQLite ends a transaction itself after some errors: committing "nothing" then
        // would let the tracker mark files whose rows are gone.
        guard db.isInTransaction else { throw WarehouseError.groupRolledBack(files: files) }
        try db.execute("COMMIT")
    }

    public func rollbackGroup() {
        if db.isInTransaction { try? db.execute("ROLLBACK") }
    }

    public var groupIsOpen: Bool { db.isInTransaction }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        // Without a memory map (it would count a whole staged file towards the process's
        // memory), cached pages could hide damage done to the file since: read afresh.
        if !db.isInTransaction { db.releaseCachedPages() }
        return try db.transaction(body)
    }

    static let runColumns = "run_id, started_at, finished_at, status, pid, hostname, files_discovered, files_loaded, files_failed, rows_loaded, rows_quarantined, error_message"

    public func recordRun(_ run: RunRecord) throws {
        try db.run("INSERT OR REPLACE INTO _lading_runs (\(Self.runColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            .text(run.runID), .text(run.startedAt), run.finishedAt.sqlValue, .text(run.status), .integer(Int64(run.pid)), .text(run.hostname),
            .integer(Int64(run.filesDiscovered)), .integer(Int64(run.filesLoaded)), .integer(Int64(run.filesFailed)),
            .integer(run.rowsLoaded), .integer(run.rowsQuarantined), run.errorMessage.sqlValue])
    }

    public func runRecords() throws -> [RunRecord] {
        guard try db.tableExists("_lading_runs") else { return [] }
        return try db.rows("SELECT \(Self.runColumns) FROM _lading_runs ORDER BY started_at").map(RunRecord.init(row:))
    }

    public func integrityProblems(quick: Bool) throws -> [String]? { try db.integrityProblems(limit: 5, quick: quick, unlessUnchanged: quick) }

    public func dropTable(_ name: String) throws {
        try db.execute("DROP TABLE IF EXISTS \(SQL.quoteIdentifier(name))")
    }

    public func moveQuarantinedToLoaded(table: String, file: String, count: Int) throws {
        try db.run("""
            UPDATE _lading_loads SET rows_loaded = rows_loaded + ?, rows_quarantined = rows_quarantined - ? WHERE table_name = ? AND source_file = ?
            """, [.integer(Int64(count)), .integer(Int64(count)), .text(table), .text(file)])
    }

    // MARK: - Counts

    public func rowCount(of table: String) throws -> Int {
        Int(try db.scalar("SELECT count(*) FROM \(SQL.quoteIdentifier(table))")?.integerValue ?? 0)
    }

    public func rowCountsBySourceFile(in table: String) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for row in try db.rows("SELECT _source_file, count(*) FROM \(SQL.quoteIdentifier(table)) GROUP BY _source_file") {
            counts[row[0].textValue ?? ""] = row[1].integerValue ?? 0
        }
        return counts
    }

    public func batchSummary(in table: String, file: String) throws -> (rows: Int64, batches: Int, firstBatch: String?) {
        let found = try db.rows("SELECT count(*), count(DISTINCT _batch_id), min(_batch_id) FROM \(SQL.quoteIdentifier(table)) WHERE _source_file = ?",
                                [.text(file)]).first ?? []
        guard found.count == 3 else { return (0, 0, nil) }
        return (found[0].integerValue ?? 0, Int(found[1].integerValue ?? 0), found[2].textValue)
    }

    // MARK: - Loading

    public func createStaging(_ name: String, like table: String) throws {
        try db.execute("CREATE TABLE \(SQL.quoteIdentifier(name)) AS SELECT * FROM \(SQL.quoteIdentifier(table)) WHERE 0")
    }

    public func addColumns(_ columns: [TableConfig.Column], to staging: String) throws {
        for column in columns {
            try db.execute("ALTER TABLE \(SQL.quoteIdentifier(staging)) ADD COLUMN \(SQL.quoteIdentifier(column.name)) \(column.type.sqlType)")
        }
    }

    public func insert(_ batch: RecordBatch, into table: String, columns: [String], audit: AuditValues?) throws {
        if let audit, inserter.trailingValues != audit.values {
            inserter.setTrailing(audit.values, names: WarehouseSchema.auditColumns)
        }
        try inserter.insert(batch, into: table, columns: columns, db: db, withTrailing: audit != nil)
    }

    public func moveStaged(_ staging: String, into table: String, audit: AuditValues) throws -> Int {
        let auditColumns = WarehouseSchema.auditColumns
        let data = try db.columns(of: staging).filter { !auditColumns.contains($0) }.map(SQL.quoteIdentifier).joined(separator: ", ")
        let targetColumns = data + ", " + auditColumns.map(SQL.quoteIdentifier).joined(separator: ", ")
        return try db.run("INSERT INTO \(SQL.quoteIdentifier(table)) (\(targetColumns)) SELECT \(data), ?, ?, ? FROM \(SQL.quoteIdentifier(staging))",
                          audit.values.map(SQLValue.text))
    }

    // MARK: - Merge

    public func ensureKeyIndex(on table: String, keys: [String]) throws {
        let columns = keys.map(SQL.quoteIdentifier).joined(separator: ", ")
        try db.execute("CREATE UNIQUE INDEX IF NOT EXISTS \(SQL.quoteIdentifier("_lading_keys_" + table)) ON \(SQL.quoteIdentifier(table)) (\(columns))")
    }

    public func makeMergeStage(for table: String, keys: [String], columns: [TableConfig.Column], persistentName: String?) throws -> any MergeStage {
        try SQLiteMergeStage(db: db, table: table, keys: keys, columns: columns, persistentName: persistentName)
    }

    // MARK: - SCD2

    public func makeSCD2Stage(for table: String, layout: SCD2Layout, columns: [TableConfig.Column]) throws -> any SCD2Stage {
        try SQLiteSCD2Stage(db: db, table: table, layout: layout, columns: columns)
    }

    public func keysWithSeveralCurrentVersions(in table: String, layout: SCD2Layout, limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int) {
        try keysOnSeveralRows(in: table, keys: layout.keys, where: "\(SQL.quoteIdentifier(layout.isCurrent)) = 1", limit: limit)
    }

    public func duplicateKeys(in table: String, keys: [String], limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int) {
        try keysOnSeveralRows(in: table, keys: keys, where: "1", limit: limit)
    }

    private func keysOnSeveralRows(in table: String, keys keyNames: [String], where condition: String, limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int) {
        let keys = keyNames.map(SQL.quoteIdentifier).joined(separator: ", ")
        let doubled = "SELECT \(keys), count(*) FROM \(SQL.quoteIdentifier(table)) WHERE \(condition) GROUP BY \(keys) HAVING count(*) > 1"
        let examples = try db.rows(doubled + " LIMIT \(limit)").map { row in
            (key: row.dropLast().map(\.textValue), versions: Int(row.last?.integerValue ?? 0))
        }
        let total = examples.count < limit ? examples.count : Int(try db.scalar("SELECT count(*) FROM (\(doubled))")?.integerValue ?? 0)
        return (examples, total)
    }

    public func keysWithOverlappingVersions(in table: String, layout: SCD2Layout, limit: Int) throws -> (examples: [(key: [String?], start: String?, nextStart: String?)], total: Int) {
        let keys = layout.keys.map(SQL.quoteIdentifier).joined(separator: ", ")
        let start = SQL.quoteIdentifier(layout.validFrom), end = SQL.quoteIdentifier(layout.validTo)
        // One row per key, its first overlap (SQLite takes the bare columns from the row of min()).
        let overlapping = """
            SELECT \(keys), min(\(start)), \(end), next_start FROM (
                SELECT \(keys), \(start), \(end), lead(\(start)) OVER (PARTITION BY \(keys) ORDER BY \(start), rowid) AS next_start FROM \(SQL.quoteIdentifier(table)))
            WHERE next_start IS NOT NULL AND (\(end) IS NULL OR \(end) > next_start)
            GROUP BY \(keys)
            """
        let count = layout.keys.count
        let examples = try db.rows(overlapping + " LIMIT \(limit)").map { row in
            (key: row.prefix(count).map(\.textValue), start: row[count].textValue, nextStart: row.last?.textValue)
        }
        let total = examples.count < limit ? examples.count : Int(try db.scalar("SELECT count(*) FROM (\(overlapping))")?.integerValue ?? 0)
        return (examples, total)
    }

    // MARK: - Replays

    public func forgetTable(_ name: String) throws {
        try dropTable(name)
        for catalog in ["_lading_loads", "_lading_quarantine", "_lading_columns"] {
            try db.run("DELETE FROM \(catalog) WHERE table_name = ?", [.text(name)])
        }
    }

    public func copyColumnCatalog(from table: String, to other: String, overriding: [TableConfig.Column]) throws {
        try db.run("""
            INSERT INTO _lading_columns (table_name, column_name, column_type, position)
            SELECT ?, column_name, column_type, position FROM _lading_columns WHERE table_name = ?
            """, [.text(other), .text(table)])
        for column in overriding {
            try db.run("UPDATE _lading_columns SET column_type = ? WHERE table_name = ? AND lower(column_name) = lower(?)",
                       [.text(column.type.rawValue), .text(other), .text(column.name)])
        }
    }

    public func swapIn(_ shadow: String, as table: String, scd2: SCD2Layout?, keys: [String]?) throws {
        for catalog in ["_lading_loads", "_lading_quarantine", "_lading_columns"] {
            try db.run("DELETE FROM \(catalog) WHERE table_name = ?", [.text(table)])
            try db.run("UPDATE \(catalog) SET table_name = ? WHERE table_name = ?", [.text(table), .text(shadow)])
        }
        try dropTable(table)
        try db.execute("DROP INDEX IF EXISTS \(SQL.quoteIdentifier("_lading_current_" + shadow))")
        try db.execute("DROP INDEX IF EXISTS \(SQL.quoteIdentifier("_lading_keys_" + shadow))")
        try db.execute("ALTER TABLE \(SQL.quoteIdentifier(shadow)) RENAME TO \(SQL.quoteIdentifier(table))")
        if let scd2 { try createCurrentIndex(on: table, scd2) }
        if let keys { try ensureKeyIndex(on: table, keys: keys) }
    }

    // MARK: - Quarantine rows

    public func quarantinedRecords(table: String?, file: String?, pendingOnly: Bool) throws -> [QuarantinedRecord] {
        guard try db.tableExists(WarehouseSchema.quarantine) else { return [] }
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let table { conditions.append("table_name = ?"); values.append(.text(table)) }
        if let file { conditions.append("source_file = ?"); values.append(.text(file)) }
        if pendingOnly { conditions.append("reprocessed_at IS NULL") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try db.rows("""
            SELECT id, table_name, source_file, record_number, line_number, raw_record, error_type, error_message, batch_id, quarantined_at, reprocessed_at
            FROM _lading_quarantine\(filter) ORDER BY table_name, source_file, record_number
            """, values).map { row in
            QuarantinedRecord(id: row[0].integerValue ?? 0, table: row[1].textValue ?? "", file: row[2].textValue ?? "",
                              recordNumber: row[3].integerValue ?? 0, lineNumber: row[4].integerValue ?? 0, rawRecord: row[5].textValue ?? "",
                              errorType: row[6].textValue ?? "", errorMessage: row[7].textValue ?? "", batchID: row[8].textValue ?? "",
                              quarantinedAt: row[9].textValue ?? "", reprocessedAt: row[10].textValue)
        }
    }

    public func updateQuarantined(id: Int64, errorType: String, message: String) throws {
        try db.run("UPDATE _lading_quarantine SET error_type = ?, error_message = ? WHERE id = ?", [.text(errorType), .text(message), .integer(id)])
    }

    public func markReprocessed(id: Int64, at stamp: String) throws {
        try db.run("UPDATE _lading_quarantine SET reprocessed_at = ? WHERE id = ?", [.text(stamp), .integer(id)])
    }
}

extension SQLiteWarehouse: ScratchWarehouse {
    public func discard() {
        if db.isInTransaction { try? db.execute("ROLLBACK") }
    }
}

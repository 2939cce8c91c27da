import LadingConfiguration
import LadingStore

/// A merge file staged in a PostgreSQL temporary table (SPEC §5, §9): rows arrive by
/// COPY with their line numbers and a `_present` mark (keys that only count as present),
/// and the apply is set-based in the file's transaction. `IS DISTINCT FROM` is the
/// NULL-safe comparison.
final class PostgresMergeStage: MergeStage {
    private let warehouse: PostgresWarehouse
    private var db: PGConnection { warehouse.db }
    private let target: String
    private let keys: [String]
    private var columns: [String]
    private let stage: String

    init(warehouse: PostgresWarehouse, table: String, keys: [String], columns: [TableConfig.Column], persistentName: String?) throws {
        self.warehouse = warehouse
        self.target = warehouse.q(table)
        self.keys = keys
        self.columns = columns.map(\.name)
        let definitions = (columns.map { "\(PGName.quote($0.name)) \($0.type.postgresType)" } + ["_line bigint", "_present boolean NOT NULL DEFAULT false"])
            .joined(separator: ", ")
        if let persistentName {
            stage = warehouse.q(persistentName)
            if try warehouse.tableExists(persistentName) {
                // Resumed: the staged rows' columns, in the order they were staged.
                self.columns = try warehouse.physicalColumns(of: persistentName).filter { $0 != "_line" && $0 != "_present" }
            } else {
                try warehouse.db.execute("CREATE TABLE \(stage) (\(definitions))")
            }
        } else {
            stage = "pg_temp._lading_merge_stage"
            try warehouse.db.execute("DROP TABLE IF EXISTS \(stage)")
            try warehouse.db.execute("CREATE TEMP TABLE _lading_merge_stage (\(definitions))")
        }
    }

    func addColumns(_ added: [TableConfig.Column]) throws {
        for column in added {
            try db.execute("ALTER TABLE \(stage) ADD COLUMN \(PGName.quote(column.name)) \(column.type.postgresType)")
            columns.append(column.name)
        }
    }

    func insert(_ batch: RecordBatch, width: Int, presentOnly: Bool) throws {
        guard batch.rowCount > 0 else { return }
        let mark = [Array((presentOnly ? "t" : "f").utf8)]
        try warehouse.copy(into: stage, columns: Array(columns.prefix(width)) + ["_present", "_line"], rowCount: batch.rowCount) { text, row in
            text.appendRow(of: batch, row, width: width, trailing: mark, line: batch.rowLines[row])
        }
    }

    func finishStaging() throws {
        try db.execute("CREATE INDEX ON \(stage) (\(keyList)); ANALYZE \(stage)")
    }

    private var keyList: String { keys.map(PGName.quote).joined(separator: ", ") }

    private func keyMatch(_ left: String, _ right: String) -> String {
        keys.map { "\(left).\(PGName.quote($0)) = \(right).\(PGName.quote($0))" }.joined(separator: " AND ")
    }

    func firstDuplicateKey() throws -> (key: [String?], firstLine: Int, secondLine: Int)? {
        let texts = keys.map { "\(PGName.quote($0))::text" }.joined(separator: ", ")
        guard let row = try db.rows("SELECT \(texts), min(_line), max(_line) FROM \(stage) WHERE NOT _present GROUP BY \(keyList) HAVING count(*) > 1 LIMIT 1").first else {
            return nil
        }
        return (Array(row.prefix(keys.count)), Int(row[row.count - 2] ?? "") ?? 0, Int(row[row.count - 1] ?? "") ?? 0)
    }

    func deleteMissingKeys() throws -> (deleted: Int, keysBefore: Int) {
        let before = Int(try db.rows("SELECT count(*) FROM \(target)").first?.first.flatMap { $0 } ?? "0") ?? 0
        let deleted = try db.run("DELETE FROM \(target) t WHERE NOT EXISTS (SELECT 1 FROM \(stage) s WHERE \(keyMatch("s", "t")))")
        return (deleted, before)
    }

    func updateChanged(columns updated: [String], audit: AuditValues) throws -> Int {
        let keySet = Set(keys.map { $0.lowercased() })
        let data = updated.filter { !keySet.contains($0.lowercased()) }
        let assignments = (data.map { "\(PGName.quote($0)) = s.\(PGName.quote($0))" }
            + ["\"_source_file\" = $1", "\"_load_timestamp\" = $2::timestamptz", "\"_batch_id\" = $3"]).joined(separator: ", ")
        let differs = data.isEmpty ? "false" : data.map { "t.\(PGName.quote($0)) IS DISTINCT FROM s.\(PGName.quote($0))" }.joined(separator: " OR ")
        return try db.run("""
            UPDATE \(target) t SET \(assignments)
            FROM \(stage) s
            WHERE NOT s._present AND \(keyMatch("t", "s")) AND (\(differs))
            """, audit.values)
    }

    func insertNew(columns inserted: [String], audit: AuditValues) throws -> Int {
        let list = (inserted + WarehouseNames.auditColumns).map(PGName.quote).joined(separator: ", ")
        let selected = inserted.map { "s.\(PGName.quote($0))" }.joined(separator: ", ")
        return try db.run("""
            INSERT INTO \(target) (\(list))
            SELECT \(selected), $1, $2::timestamptz, $3 FROM \(stage) s
            WHERE NOT s._present AND NOT EXISTS (SELECT 1 FROM \(target) t WHERE \(keyMatch("t", "s")))
            ORDER BY s._line
            """, audit.values)
    }

    func drop() throws {
        try db.execute("DROP TABLE IF EXISTS \(stage)")
    }
}

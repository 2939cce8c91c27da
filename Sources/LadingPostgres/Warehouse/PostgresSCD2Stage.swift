import LadingConfiguration
import LadingStore

/// An SCD2 file staged in a PostgreSQL temporary table (SPEC §5, §9): rows arrive by
/// COPY with their line numbers, and the apply is three set-based statements in the
/// file's transaction. `IS DISTINCT FROM` is the NULL-safe comparison; the current flag
/// is a boolean; validity columns are `timestamptz`.
final class PostgresSCD2Stage: SCD2Stage {
    private let warehouse: PostgresWarehouse
    private var db: PGConnection { warehouse.db }
    private let target: String
    private let layout: SCD2Layout
    private var columns: [String]
    private let stage = "pg_temp._lading_scd2_stage"
    private var current: String { PGName.quote(layout.isCurrent) }

    init(warehouse: PostgresWarehouse, table: String, layout: SCD2Layout, columns: [TableConfig.Column]) throws {
        self.warehouse = warehouse
        self.target = warehouse.q(table)
        self.layout = layout
        self.columns = columns.map(\.name)
        try warehouse.db.execute("DROP TABLE IF EXISTS \(stage)")
        let definitions = columns.map { "\(PGName.quote($0.name)) \($0.type.postgresType)" }
        try warehouse.db.execute("CREATE TEMP TABLE _lading_scd2_stage (\((definitions + ["_line bigint", "_skip boolean NOT NULL DEFAULT false"]).joined(separator: ", ")))")
    }

    func addColumns(_ added: [TableConfig.Column]) throws {
        for column in added {
            try db.execute("ALTER TABLE \(stage) ADD COLUMN \(PGName.quote(column.name)) \(column.type.postgresType)")
            columns.append(column.name)
        }
    }

    func insert(_ batch: RecordBatch, width: Int) throws {
        guard batch.rowCount > 0 else { return }
        try warehouse.copy(into: stage, columns: Array(columns.prefix(width)) + ["_line"], rowCount: batch.rowCount) { text, row in
            text.appendRow(of: batch, row, width: width, trailing: [], line: batch.rowLines[row])
        }
    }

    func finishStaging() throws {
        try db.execute("CREATE INDEX ON \(stage) (\(keyList)); ANALYZE \(stage)")
    }

    private var keyList: String { layout.keys.map(PGName.quote).joined(separator: ", ") }

    private func keyMatch(_ left: String, _ right: String) -> String {
        layout.keys.map { "\(left).\(PGName.quote($0)) = \(right).\(PGName.quote($0))" }.joined(separator: " AND ")
    }

    private func changed(_ tracking: [String], _ left: String, _ right: String) -> String {
        tracking.isEmpty ? "false"
            : tracking.map { "\(left).\(PGName.quote($0)) IS DISTINCT FROM \(right).\(PGName.quote($0))" }.joined(separator: " OR ")
    }

    func firstDuplicateKey() throws -> (key: [String?], firstLine: Int, secondLine: Int)? {
        let texts = layout.keys.map { "\(PGName.quote($0))::text" }.joined(separator: ", ")
        guard let row = try db.rows("SELECT \(texts), min(_line), max(_line) FROM \(stage) GROUP BY \(keyList) HAVING count(*) > 1 LIMIT 1").first else {
            return nil
        }
        return (Array(row.prefix(layout.keys.count)), Int(row[row.count - 2] ?? "") ?? 0, Int(row[row.count - 1] ?? "") ?? 0)
    }

    func linesWithoutStart(column: String) throws -> [Int] {
        try db.rows("SELECT _line FROM \(stage) WHERE \(PGName.quote(column)) IS NULL").compactMap { $0[0].flatMap { Int($0) } }
    }

    func lateLines(column: String, tracking: [String]) throws -> [(line: Int, start: String?, currentStart: String?)] {
        let start = "s.\(PGName.quote(column))"
        let effective = "t.\(PGName.quote(layout.validFrom))"
        return try db.rows("""
            SELECT s._line, \(start)::text, \(PostgresSession.isoText(effective)) FROM \(stage) s JOIN \(target) t
            ON t.\(current) AND \(keyMatch("t", "s"))
            WHERE \(start)::timestamptz <= \(effective) AND (\(changed(tracking, "s", "t")))
            """).map { (Int($0[0] ?? "") ?? 0, $0[1], $0[2]) }
    }

    func skip(lines: [Int]) throws {
        guard !lines.isEmpty else { return }
        try db.run("UPDATE \(stage) SET _skip = true WHERE _line = ANY($1::bigint[])", ["{" + lines.map(String.init).joined(separator: ",") + "}"])
    }

    func latestStart(column: String) throws -> String? {
        try db.rows("SELECT max(\(PGName.quote(column)))::text FROM \(stage) WHERE NOT _skip").first?.first ?? nil
    }

    func closeMissingKeys(at boundary: String) throws -> (closed: Int, currentBefore: Int) {
        let before = Int(try db.rows("SELECT count(*) FROM \(target) WHERE \(current)").first?.first.flatMap { $0 } ?? "0") ?? 0
        let closed = try db.run("""
            UPDATE \(target) t SET \(PGName.quote(layout.validTo)) = $1::timestamptz, \(current) = false
            WHERE t.\(current) AND NOT EXISTS (SELECT 1 FROM \(stage) s WHERE \(keyMatch("s", "t")))
            """, [boundary])
        return (closed, before)
    }

    func closeChangedVersions(tracking: [String], startColumn: String?, boundary: String) throws -> Int {
        let end = startColumn.map { "s.\(PGName.quote($0))::timestamptz" } ?? "$1::timestamptz"
        return try db.run("""
            UPDATE \(target) t SET \(PGName.quote(layout.validTo)) = \(end), \(current) = false
            FROM \(stage) s
            WHERE t.\(current) AND \(keyMatch("s", "t")) AND NOT s._skip AND (\(changed(tracking, "s", "t")))
            """, startColumn == nil ? [boundary] : [])
    }

    func insertNewVersions(columns insertColumns: [String], audit: AuditValues, startColumn: String?, boundary: String) throws -> Int {
        let list = (insertColumns + WarehouseNames.auditColumns + [layout.validFrom, layout.validTo, layout.isCurrent])
            .map(PGName.quote).joined(separator: ", ")
        let selected = insertColumns.map { "s.\(PGName.quote($0))" }.joined(separator: ", ")
        let start = startColumn.map { "s.\(PGName.quote($0))::timestamptz" } ?? "$4::timestamptz"
        var values: [String?] = audit.values
        if startColumn == nil { values.append(boundary) }
        return try db.run("""
            INSERT INTO \(target) (\(list))
            SELECT \(selected)\(selected.isEmpty ? "" : ", ")$1, $2::timestamptz, $3, \(start), NULL, true FROM \(stage) s
            WHERE NOT s._skip AND NOT EXISTS (SELECT 1 FROM \(target) t WHERE t.\(current) AND \(keyMatch("t", "s")))
            ORDER BY s._line
            """, values)
    }

    func drop() throws {
        try db.execute("DROP TABLE IF EXISTS \(stage)")
    }
}

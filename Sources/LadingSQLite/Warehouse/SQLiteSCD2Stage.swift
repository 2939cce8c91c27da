import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// An SCD2 file staged in a SQLite temporary table (SPEC §5): the rows with their line
/// numbers, a `_skip` mark for late rows, and the set-based statements of the apply.
/// `IS NOT` is SQLite's NULL-safe comparison; the current flag is 1 or 0.
final class SQLiteSCD2Stage: SCD2Stage {
    private let db: Connection
    private let target: String
    private let layout: SCD2Layout
    private var columns: [String]
    static let name = "_lading_scd2_stage"
    private var stage: String { "temp.\(Self.name)" }
    private var current: String { SQL.quoteIdentifier(layout.isCurrent) }

    init(db: Connection, table: String, layout: SCD2Layout, columns: [TableConfig.Column]) throws {
        self.db = db
        self.target = SQL.quoteIdentifier(table)
        self.layout = layout
        self.columns = columns.map(\.name)
        try db.execute("DROP TABLE IF EXISTS temp.\(Self.name)")
        let definitions = columns.map { "\(SQL.quoteIdentifier($0.name)) \($0.type.sqlType)" }
        try db.execute("CREATE TEMP TABLE \(Self.name) (\(definitions.joined(separator: ", ")), _line INTEGER, _skip INTEGER NOT NULL DEFAULT 0)")
    }

    func addColumns(_ added: [TableConfig.Column]) throws {
        for column in added {
            try db.execute("ALTER TABLE \(stage) ADD COLUMN \(SQL.quoteIdentifier(column.name)) \(column.type.sqlType)")
            columns.append(column.name)
        }
    }

    func insert(_ batch: RecordBatch, width: Int) throws {
        guard batch.rowCount > 0 else { return }
        let list = (columns.prefix(width).map(SQL.quoteIdentifier) + ["_line"]).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: width + 1).joined(separator: ", ")
        let statement = try db.prepare("INSERT INTO \(stage) (\(list)) VALUES (\(placeholders))")
        for row in 0..<batch.rowCount {
            let cells = Array(batch.cells(ofRow: row))
            for index in 0..<width {
                if index < cells.count { try batch.bind(cells[index], to: statement, at: index + 1) } else { try statement.bindNull(at: index + 1) }
            }
            try statement.bindInt64(Int64(batch.rowLines[row]), at: width + 1)
            try statement.step()
            try statement.reset()
        }
    }

    func finishStaging() throws {
        // Every statement of the apply looks keys up in the stage: index them once.
        try db.execute("CREATE INDEX temp.\(Self.name)_keys ON \(Self.name) (\(keyList))")
    }

    private var keyList: String { layout.keys.map(SQL.quoteIdentifier).joined(separator: ", ") }

    private func keyMatch(_ left: String, _ right: String) -> String {
        layout.keys.map { "\(left).\(SQL.quoteIdentifier($0)) = \(right).\(SQL.quoteIdentifier($0))" }.joined(separator: " AND ")
    }

    private func changed(_ tracking: [String], _ left: String, _ right: String) -> String {
        // NULL-safe: `IS NOT` treats NULL→NULL as unchanged and NULL→value as a change.
        tracking.isEmpty ? "0" : tracking.map { "\(left).\(SQL.quoteIdentifier($0)) IS NOT \(right).\(SQL.quoteIdentifier($0))" }.joined(separator: " OR ")
    }

    func firstDuplicateKey() throws -> (key: [String?], firstLine: Int, secondLine: Int)? {
        let rows = try db.rows("SELECT \(keyList), min(_line), max(_line) FROM \(stage) GROUP BY \(keyList) HAVING count(*) > 1 LIMIT 1")
        guard let row = rows.first else { return nil }
        return (row.prefix(layout.keys.count).map(\.textValue), Int(row[row.count - 2].integerValue ?? 0), Int(row[row.count - 1].integerValue ?? 0))
    }

    func linesWithoutStart(column: String) throws -> [Int] {
        try db.rows("SELECT _line FROM \(stage) WHERE \(SQL.quoteIdentifier(column)) IS NULL").map { Int($0[0].integerValue ?? 0) }
    }

    func lateLines(column: String, tracking: [String]) throws -> [(line: Int, start: String?, currentStart: String?)] {
        let start = "s.\(SQL.quoteIdentifier(column))"
        let effective = "t.\(SQL.quoteIdentifier(layout.validFrom))"
        return try db.rows("""
            SELECT s._line, \(start), \(effective) FROM \(stage) s JOIN \(target) t
            ON t.\(current) = 1 AND \(keyMatch("t", "s"))
            WHERE \(start) <= \(effective) AND (\(changed(tracking, "s", "t")))
            """).map { (Int($0[0].integerValue ?? 0), $0[1].textValue, $0[2].textValue) }
    }

    func skip(lines: [Int]) throws {
        let statement = try db.prepare("UPDATE \(stage) SET _skip = 1 WHERE _line = ?")
        for line in lines {
            try statement.bindInt64(Int64(line), at: 1)
            _ = try statement.step()
            try statement.reset()
        }
    }

    func latestStart(column: String) throws -> String? {
        try db.scalar("SELECT max(\(SQL.quoteIdentifier(column))) FROM \(stage) WHERE _skip = 0")?.textValue
    }

    func closeMissingKeys(at boundary: String) throws -> (closed: Int, currentBefore: Int) {
        let before = Int(try db.scalar("SELECT count(*) FROM \(target) WHERE \(current) = 1")?.integerValue ?? 0)
        let closed = try db.run("""
            UPDATE \(target) SET \(SQL.quoteIdentifier(layout.validTo)) = ?, \(current) = 0
            WHERE \(current) = 1 AND NOT EXISTS (SELECT 1 FROM \(stage) s WHERE \(keyMatch("s", target)))
            """, [.text(boundary)])
        return (closed, before)
    }

    func closeChangedVersions(tracking: [String], startColumn: String?, boundary: String) throws -> Int {
        let end = startColumn.map { "(SELECT s.\(SQL.quoteIdentifier($0)) FROM \(stage) s WHERE \(keyMatch("s", target)))" } ?? "?"
        return try db.run("""
            UPDATE \(target) SET \(SQL.quoteIdentifier(layout.validTo)) = \(end), \(current) = 0
            WHERE \(current) = 1 AND EXISTS (SELECT 1 FROM \(stage) s WHERE \(keyMatch("s", target)) AND s._skip = 0 AND (\(changed(tracking, "s", target))))
            """, startColumn == nil ? [.text(boundary)] : [])
    }

    func insertNewVersions(columns insertColumns: [String], audit: AuditValues, startColumn: String?, boundary: String) throws -> Int {
        let list = (insertColumns + WarehouseSchema.auditColumns + [layout.validFrom, layout.validTo, layout.isCurrent])
            .map(SQL.quoteIdentifier).joined(separator: ", ")
        let selected = insertColumns.map { "s.\(SQL.quoteIdentifier($0))" }.joined(separator: ", ")
        let start = startColumn.map { "s.\(SQL.quoteIdentifier($0))" } ?? "?"
        var values = audit.values.map(SQLValue.text)
        if startColumn == nil { values.append(.text(boundary)) }
        return try db.run("""
            INSERT INTO \(target) (\(list))
            SELECT \(selected)\(selected.isEmpty ? "" : ", ")?, ?, ?, \(start), NULL, 1 FROM \(stage) s
            WHERE s._skip = 0 AND NOT EXISTS (SELECT 1 FROM \(target) t WHERE t.\(current) = 1 AND \(keyMatch("t", "s")))
            ORDER BY s._line
            """, values)
    }

    func drop() throws {
        try db.execute("DROP TABLE IF EXISTS \(stage)")
    }
}

import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// A merge file staged in a SQLite temporary table (SPEC §5): rows with their line
/// numbers and a `_present` mark for keys that only count as present, and the
/// set-based statements of the apply. `IS NOT` is SQLite's NULL-safe comparison.
final class SQLiteMergeStage: MergeStage {
    private let db: Connection
    private let target: String
    private let keys: [String]
    private var columns: [String]
    static let name = "_lading_merge_stage"
    /// The stage table, and its key index (named in the table's own schema).
    private let stage: String
    private let index: String

    init(db: Connection, table: String, keys: [String], columns: [TableConfig.Column], persistentName: String?) throws {
        self.db = db
        self.target = SQL.quoteIdentifier(table)
        self.keys = keys
        self.columns = columns.map(\.name)
        let definitions = columns.map { "\(SQL.quoteIdentifier($0.name)) \($0.type.sqlType)" }.joined(separator: ", ")
        if let persistentName {
            stage = SQL.quoteIdentifier(persistentName)
            index = SQL.quoteIdentifier(persistentName + "_keys")
            if try db.tableExists(persistentName) {
                // Resumed: the staged rows' columns, in the order they were staged.
                self.columns = try db.columns(of: persistentName).filter { $0 != "_line" && $0 != "_present" }
            } else {
                try db.execute("CREATE TABLE \(stage) (\(definitions), _line INTEGER, _present INTEGER NOT NULL DEFAULT 0)")
            }
        } else {
            stage = "temp.\(Self.name)"
            index = "temp.\(Self.name)_keys"
            try db.execute("DROP TABLE IF EXISTS \(stage)")
            try db.execute("CREATE TEMP TABLE \(Self.name) (\(definitions), _line INTEGER, _present INTEGER NOT NULL DEFAULT 0)")
        }
    }

    func addColumns(_ added: [TableConfig.Column]) throws {
        for column in added {
            try db.execute("ALTER TABLE \(stage) ADD COLUMN \(SQL.quoteIdentifier(column.name)) \(column.type.sqlType)")
            columns.append(column.name)
        }
    }

    func insert(_ batch: RecordBatch, width: Int, presentOnly: Bool) throws {
        guard batch.rowCount > 0 else { return }
        let list = (columns.prefix(width).map(SQL.quoteIdentifier) + ["_line", "_present"]).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: width + 2).joined(separator: ", ")
        let statement = try db.prepare("INSERT INTO \(stage) (\(list)) VALUES (\(placeholders))")
        for row in 0..<batch.rowCount {
            let cells = Array(batch.cells(ofRow: row))
            for index in 0..<width {
                if index < cells.count { try batch.bind(cells[index], to: statement, at: index + 1) } else { try statement.bindNull(at: index + 1) }
            }
            try statement.bindInt64(Int64(batch.rowLines[row]), at: width + 1)
            try statement.bindInt64(presentOnly ? 1 : 0, at: width + 2)
            try statement.step()
            try statement.reset()
        }
    }

    /// False once the keys' unique index could be built: no key is staged twice, and the
    /// duplicate search (a GROUP BY over every row) is skipped.
    private var mayHaveDuplicates = true

    func finishStaging() throws {
        // The usual file has unique keys: a unique index proves it as it is built.
        do {
            try db.execute("CREATE UNIQUE INDEX \(index) ON \(unqualified) (\(keyList))")
            mayHaveDuplicates = false
        } catch let error as SQLiteError where error.isConstraintViolation {
            try db.execute("CREATE INDEX \(index) ON \(unqualified) (\(keyList))")
        }
    }

    /// `CREATE INDEX schema.name ON table`: the table named without its schema.
    private var unqualified: String { stage.hasPrefix("temp.") ? String(stage.dropFirst(5)) : stage }

    private var keyList: String { keys.map(SQL.quoteIdentifier).joined(separator: ", ") }

    private func keyMatch(_ left: String, _ right: String) -> String {
        keys.map { "\(left).\(SQL.quoteIdentifier($0)) = \(right).\(SQL.quoteIdentifier($0))" }.joined(separator: " AND ")
    }

    func firstDuplicateKey() throws -> (key: [String?], firstLine: Int, secondLine: Int)? {
        guard mayHaveDuplicates else { return nil }
        let rows = try db.rows("SELECT \(keyList), min(_line), max(_line) FROM \(stage) WHERE _present = 0 GROUP BY \(keyList) HAVING count(*) > 1 LIMIT 1")
        guard let row = rows.first else { return nil }
        return (row.prefix(keys.count).map(\.textValue), Int(row[row.count - 2].integerValue ?? 0), Int(row[row.count - 1].integerValue ?? 0))
    }

    func deleteMissingKeys() throws -> (deleted: Int, keysBefore: Int) {
        let before = Int(try db.scalar("SELECT count(*) FROM \(target)")?.integerValue ?? 0)
        let deleted = try db.run("DELETE FROM \(target) WHERE NOT EXISTS (SELECT 1 FROM \(stage) s WHERE \(keyMatch("s", target)))")
        return (deleted, before)
    }

    func updateChanged(columns updated: [String], audit: AuditValues) throws -> Int {
        let keySet = Set(keys.map { $0.lowercased() })
        let data = updated.filter { !keySet.contains($0.lowercased()) }
        let assignments = (data.map { "\(SQL.quoteIdentifier($0)) = s.\(SQL.quoteIdentifier($0))" }
            + WarehouseSchema.auditColumns.map { "\(SQL.quoteIdentifier($0)) = ?" }).joined(separator: ", ")
        let differs = data.isEmpty ? "0" : data.map { "\(target).\(SQL.quoteIdentifier($0)) IS NOT s.\(SQL.quoteIdentifier($0))" }.joined(separator: " OR ")
        return try db.run("""
            UPDATE \(target) SET \(assignments)
            FROM (SELECT * FROM \(stage) WHERE _present = 0) s
            WHERE \(keyMatch(target, "s")) AND (\(differs))
            """, audit.values.map(SQLValue.text))
    }

    func insertNew(columns inserted: [String], audit: AuditValues) throws -> Int {
        let list = (inserted + WarehouseSchema.auditColumns).map(SQL.quoteIdentifier).joined(separator: ", ")
        let selected = inserted.map { "s.\(SQL.quoteIdentifier($0))" }.joined(separator: ", ")
        return try db.run("""
            INSERT INTO \(target) (\(list))
            SELECT \(selected), ?, ?, ? FROM \(stage) s
            WHERE s._present = 0 AND NOT EXISTS (SELECT 1 FROM \(target) t WHERE \(keyMatch("t", "s")))
            ORDER BY s._line
            """, audit.values.map(SQLValue.text))
    }

    func drop() throws {
        try db.execute("DROP TABLE IF EXISTS \(stage)")
    }
}

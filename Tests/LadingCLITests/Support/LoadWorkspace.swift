import Foundation
import LadingTestSupport
import Testing

/// A workspace with an append table (several files, one spanning many batches) and an
/// SCD2 table, plus the checks of the invariants I1–I4 from outside.
extension Workspace {
    static let appendFiles = [("orders_1.csv", 40), ("orders_2.csv", 730), ("orders_3.csv.gz", 120), ("orders_4.csv", 1), ("orders_bad.csv", 60)]
    /// In `orders_bad.csv` every 20th record has a field too few: quarantined, never loaded.
    static let badEvery = 20

    /// The good rows of an append fixture file, as the sqlite3 CLI prints them
    /// (`order_id|amount|note`), and the physical lines of its bad records. The data
    /// depends only on the file's position in `appendFiles`, never on the process.
    static func expectedRows(of name: String) -> (rows: [String], badLines: [Int]) {
        guard let position = appendFiles.firstIndex(where: { $0.0 == name }) else { return ([], []) }
        let count = appendFiles[position].1
        var rows: [String] = [], bad: [Int] = []
        for index in 0..<count {
            if name == "orders_bad.csv" && (index + 1) % badEvery == 0 { bad.append(index + 2); continue }
            rows.append("\((position + 1) * 100_000 + index)|\(index).5|n, \(index)")
        }
        return (rows, bad)
    }

    static func fileText(of name: String) -> String {
        guard let position = appendFiles.firstIndex(where: { $0.0 == name }) else { return "" }
        var text = "order_id,amount,note\n"
        for index in 0..<appendFiles[position].1 {
            if name == "orders_bad.csv" && (index + 1) % badEvery == 0 { text += "\((position + 1) * 100_000 + index),\(index).5\n"; continue }
            text += "\((position + 1) * 100_000 + index),\(index).5,\"n, \(index)\"\n"
        }
        return text
    }

    /// `top`: extra top-level config lines (for example `direct_load_max_mb: 1\n`).
    func writeLoadFixture(top: String = "") throws {
        try write("lading.yaml", top + "state_dir: ./state\n" + warehouseSection() + """
        batch_size: 100
        max_bad_record_ratio: 0.1
        tables:
          - table_name: orders
            source_path: ./landing/orders
            file_pattern: "*.csv*"
          - table_name: people
            source_path: ./landing/people
            file_pattern: "*.csv"
            loading_strategy: scd2
            primary_keys: [id]
            scd2_deletes: close
        """)
        for (name, _) in Self.appendFiles {
            let text = Self.fileText(of: name)
            if name.hasSuffix(".gz") {
                let plain = try write("tmp/" + name.dropLast(3), text)
                let gzip = Process()
                gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
                gzip.arguments = ["-c", "mkdir -p \(url("landing/orders")) && gzip -c \(plain) > \(url("landing/orders/" + name))"]
                try gzip.run()
                gzip.waitUntilExit()
            } else {
                try write("landing/orders/" + name, text)
            }
        }
        try write("landing/people/people_1.csv", "id,name,city\n1,Ada,London\n2,Bob,Paris\n3,Cy,Rome\n")
        try write("landing/people/people_2.csv", "id,name,city\n1,Ada,Cambridge\n2,Bob,Paris\n3,Cy,Rome\n4,Di,Oslo\n")
        try write("landing/people/people_3.csv", "id,name,city\n1,Ada,Cambridge\n2,Bob,Lyon\n4,Di,Oslo\n5,Ed,\n")
    }

    /// I1–I4 on contents: every file's good rows exactly once (the multiset of rows per
    /// `_source_file` against the source), its bad records quarantined with their lines
    /// (I2), ledger and tracker agreeing (I3), the SCD2 history equal to the replay of
    /// its snapshots (I4), and the health check saying so.
    func expectInvariants(completeLoads: Int = 8, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (name, _) in Self.appendFiles {
            let path = url("landing/orders/" + name)
            let (expected, badLines) = Self.expectedRows(of: name)
            let rows = try query("SELECT order_id, amount, note FROM orders WHERE _source_file = '\(path)' ORDER BY order_id, amount, note")
            #expect(rows == expected.sorted(), "\(name): \(rows.count) rows where \(expected.count) expected", sourceLocation: sourceLocation)
            let quarantined = try query("SELECT line_number FROM _lading_quarantine WHERE source_file = '\(path)' ORDER BY line_number")
            #expect(quarantined == badLines.map(String.init), "\(name): quarantined lines", sourceLocation: sourceLocation)
            let ledger = try query("SELECT records_read, rows_loaded, rows_quarantined FROM _lading_loads WHERE source_file = '\(path)'")
            #expect(ledger == ["\(expected.count + badLines.count)|\(expected.count)|\(badLines.count)"], "\(name): ledger counts", sourceLocation: sourceLocation)
        }
        #expect(try query("SELECT count(*) FROM orders WHERE _source_file NOT IN (SELECT source_file FROM _lading_loads)") == ["0"],
                "rows from no loaded file", sourceLocation: sourceLocation)
        #expect(try query("SELECT count(*) FROM _lading_loads WHERE status = 'complete'") == ["\(completeLoads)"], sourceLocation: sourceLocation)
        #expect(try trackerQuery("SELECT count(*) FROM file_processing_tracker WHERE status = 'COMPLETED'") == ["\(completeLoads)"], sourceLocation: sourceLocation)
        #expect(try stagingTables() == [], sourceLocation: sourceLocation)
        // I4: the SCD2 history equals the replay of the three snapshots.
        let history = try query("SELECT id, name, coalesce(city, 'NULL'), CAST(is_current AS INTEGER), CASE WHEN end_date IS NULL THEN 1 ELSE 0 END FROM people ORDER BY id, effective_date")
        #expect(history == [
            "1|Ada|London|0|0", "1|Ada|Cambridge|1|1",
            "2|Bob|Paris|0|0", "2|Bob|Lyon|1|1",
            "3|Cy|Rome|0|0",
            "4|Di|Oslo|1|1",
            "5|Ed|NULL|1|1",
        ], sourceLocation: sourceLocation)
        let (row, end) = backend == .sqlite ? ("rowid", "'9999'") : ("ctid", "'infinity'")
        let overlaps = try query("""
            SELECT count(*) FROM people a JOIN people b ON a.id = b.id AND a.\(row) < b.\(row)
            WHERE a.effective_date < coalesce(b.end_date, \(end)) AND b.effective_date < coalesce(a.end_date, \(end))
            """)
        #expect(overlaps == ["0"], sourceLocation: sourceLocation)
        let health = try lading("validate-consistency")
        #expect(health.status == 0, "validate-consistency: \(health.stdout)", sourceLocation: sourceLocation)
    }

    /// Staging tables left in the warehouse (none after a clean run).
    func stagingTables() throws -> [String] {
        backend == .sqlite
            ? try query("SELECT name FROM sqlite_master WHERE name LIKE '\\_lading\\_stage\\_%' ESCAPE '\\'")
            : try query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE '\\_lading\\_stage\\_%'")
    }
}

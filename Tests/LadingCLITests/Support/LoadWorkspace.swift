import Foundation
import LadingTestSupport
import Testing

/// A workspace with an append table (several files, one spanning many batches) and an
/// SCD2 table, plus the checks of the invariants I1–I4 from outside.
extension Workspace {
    static let appendFiles = [("orders_1.csv", 40), ("orders_2.csv", 730), ("orders_3.csv.gz", 120), ("orders_4.csv", 1)]

    func writeLoadFixture() throws {
        try write("lading.yaml", """
        state_dir: ./state
        batch_size: 100
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
        for (name, rows) in Self.appendFiles {
            var text = "order_id,amount,note\n"
            for index in 0..<rows { text += "\(name.hashValue & 0xFFFF)\(index),\(index).5,\"n, \(index)\"\n" }
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

    /// I1–I3: every file's rows exactly once, ledger and tracker agreeing.
    func expectInvariants(completeLoads: Int = 7, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (name, rows) in Self.appendFiles {
            let path = url("landing/orders/" + name)
            let count = try sqlite("warehouse.sqlite", "SELECT count(*) FROM orders WHERE _source_file = '\(path)'")
            #expect(count == ["\(rows)"], "\(name)", sourceLocation: sourceLocation)
        }
        #expect(try sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_loads WHERE status = 'complete'") == ["\(completeLoads)"], sourceLocation: sourceLocation)
        #expect(try sqlite("state/tracker.sqlite", "SELECT count(*) FROM file_processing_tracker WHERE status = 'COMPLETED'") == ["\(completeLoads)"], sourceLocation: sourceLocation)
        #expect(try sqlite("warehouse.sqlite", "SELECT count(*) FROM sqlite_master WHERE name LIKE '_lading_stage_%'") == ["0"], sourceLocation: sourceLocation)
        // I4: the SCD2 history equals the replay of the three snapshots.
        let history = try sqlite("warehouse.sqlite", "SELECT id, name, coalesce(city, 'NULL'), is_current, end_date IS NULL FROM people ORDER BY id, effective_date")
        #expect(history == [
            "1|Ada|London|0|0", "1|Ada|Cambridge|1|1",
            "2|Bob|Paris|0|0", "2|Bob|Lyon|1|1",
            "3|Cy|Rome|0|0",
            "4|Di|Oslo|1|1",
            "5|Ed|NULL|1|1",
        ], sourceLocation: sourceLocation)
        let overlaps = try sqlite("warehouse.sqlite", """
            SELECT count(*) FROM people a JOIN people b ON a.id = b.id AND a.rowid < b.rowid
            WHERE a.effective_date < coalesce(b.end_date, '9999') AND b.effective_date < coalesce(a.end_date, '9999')
            """)
        #expect(overlaps == ["0"], sourceLocation: sourceLocation)
    }
}

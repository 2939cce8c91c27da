import Foundation
import LadingTestSupport
import Testing

/// SPEC §6 "a repair never loses data": rows of a file are replaced only in the commit
/// that loads its new content, and rows of a file no longer on disk are never deleted.
@Suite struct RepairCLITests {
    func threeFiles(_ backend: TestBackend) throws -> Workspace {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig(tableExtra: "    columns: {id: integer}\n")
        for (index, name) in ["a", "b", "c"].enumerated() {
            try workspace.write("landing/orders/\(name).csv", "id,name\n" + (1...10).map { "\(index * 100 + $0),\(name)\($0)\n" }.joined())
        }
        #expect(try workspace.lading("run").status == 0)
        return workspace
    }

    /// Issue 12, defect 2: an archived file's damaged rows are listed as not fixable and kept.
    @Test(arguments: TestBackend.allCases)
    func aRepairNeverDeletesRowsOfAnArchivedFile(backend: TestBackend) throws {
        let workspace = try threeFiles(backend)
        let c = workspace.url("landing/orders/c.csv")
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "INSERT INTO orders SELECT * FROM orders WHERE _source_file = '\(c)' LIMIT 5")
        try FileManager.default.createDirectory(atPath: workspace.url("archive"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: c, toPath: workspace.url("archive/c.csv"))
        let fixed = try workspace.lading("fix-inconsistencies")
        #expect(fixed.status == 1, "a finding it cannot fix: \(fixed.stdout)")
        #expect(fixed.stdout.contains("Cannot Fix Automatically: 1") && fixed.stdout.contains("put the file back"), "\(fixed.stdout)")
        #expect(try workspace.query("SELECT count(*) FROM orders WHERE _source_file = '\(c)'") == ["15"], "rows kept")
        #expect(try workspace.query("SELECT status FROM _lading_loads WHERE source_file = '\(c)'") == ["complete"])
        #expect(try workspace.trackerQuery("SELECT status FROM file_processing_tracker WHERE file_path = '\(c)'") == ["COMPLETED"])
        let reset = try workspace.lading("reset-state", "--file", c, "--yes")
        #expect(reset.status == 1 && reset.stderr.contains("no longer at its tracked path"), "\(reset.stderr)")
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["35"], "nothing changed")
        // Back at its path, the same repair heals it.
        try FileManager.default.moveItem(atPath: workspace.url("archive/c.csv"), toPath: c)
        #expect(try workspace.lading("fix-inconsistencies").status == 0)
        #expect(try workspace.query("SELECT count(*), count(DISTINCT id) FROM orders WHERE _source_file = '\(c)'") == ["10|10"])
    }

    /// Issue 12, defect 3: `--fix` of a changed file whose new content is bad keeps the old rows.
    @Test(arguments: TestBackend.allCases)
    func aFailedReloadKeepsTheOldRows(backend: TestBackend) throws {
        let workspace = try threeFiles(backend)
        let a = workspace.url("landing/orders/a.csv")
        try workspace.write("landing/orders/a.csv", "id,name\nx,bad\ny,bad\n")
        let fixed = try workspace.lading("validate-consistency", "--fix")
        #expect(fixed.status == 1, "\(fixed.stdout)")
        #expect(try workspace.query("SELECT count(*), min(name) FROM orders WHERE _source_file = '\(a)'") == ["10|a1"], "old rows kept")
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["30"])
        // Fixed content: the reload replaces the old rows in one commit.
        try workspace.write("landing/orders/a.csv", "id,name\n7,new\n")
        #expect(try workspace.lading("reset-state", "--file", a, "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT id, name FROM orders WHERE _source_file = '\(a)'") == ["7|new"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// Issue 12, defect 4: a dropped table is found (`table_missing`) and reloaded.
    @Test(arguments: TestBackend.allCases)
    func aDroppedTableIsFoundAndReloaded(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeLoadFixture()
        #expect(try workspace.lading("run").status == 0)
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "DROP TABLE orders; DROP TABLE people;")
        let found = try workspace.lading("validate-consistency", "--json")
        #expect(found.status == 1)
        #expect(found.stdout.components(separatedBy: "\"kind\" : \"table_missing\"").count == 3, "\(found.stdout)")
        #expect(try workspace.lading("run").status == 0)
        let fixed = try workspace.lading("fix-inconsistencies")
        #expect(fixed.status == 0, "\(fixed.stdout)")
        try workspace.expectInvariants()
    }

    /// The state defect 1 left behind (a file staged twice, ledger and table agreeing on
    /// twice the rows) passed every check: `ledger_counts` now sees that the ledger read
    /// more records than the file's last record number, and `--fix` reloads it.
    @Test(arguments: TestBackend.allCases)
    func aFileLoadedTwiceWithAnAgreeingLedgerIsFound(backend: TestBackend) throws {
        let workspace = try threeFiles(backend)
        let a = workspace.url("landing/orders/a.csv")
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", """
            INSERT INTO orders SELECT * FROM orders WHERE _source_file = '\(a)';
            UPDATE _lading_loads SET records_read = 20, rows_loaded = 20 WHERE source_file = '\(a)';
            """)
        let found = try workspace.lading("validate-consistency", "--json")
        #expect(found.status == 1 && found.stdout.contains("\"kind\" : \"ledger_counts\""), "\(found.stdout)")
        #expect(try workspace.lading("fix-inconsistencies").status == 0)
        #expect(try workspace.query("SELECT count(*), count(DISTINCT id) FROM orders WHERE _source_file = '\(a)'") == ["10|10"])
        #expect(try workspace.query("SELECT records_read, rows_loaded, checkpoint FROM _lading_loads WHERE source_file = '\(a)'") == ["10|10|10"])
    }

    /// A table dropped after one of its files was archived: the others come back, the
    /// archived one is named as lost, never silently.
    @Test(arguments: TestBackend.allCases)
    func aDroppedTableWithAnArchivedFileSaysWhatCannotComeBack(backend: TestBackend) throws {
        let workspace = try threeFiles(backend)
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "DROP TABLE orders")
        try FileManager.default.removeItem(atPath: workspace.url("landing/orders/b.csv"))
        let fixed = try workspace.lading("fix-inconsistencies", "--json")
        #expect(fixed.status == 1, "\(fixed.stdout)")
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["20"])
        #expect(fixed.stdout.contains("b.csv"), "\(fixed.stdout)")
    }
}

/// The tracker damaged twice within one second: the second damaged copy is kept
/// beside the first, never an error (it used to exit 70, "File exists").
@Suite struct TrackerRebuildCLITests {
    @Test func twoRebuildsWithinOneSecondKeepBothDamagedCopies() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        #expect(try workspace.lading("run").status == 0)
        for round in 0..<2 {
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: workspace.url("state/tracker.sqlite" + suffix)) }
            try workspace.write("state/tracker.sqlite", String(repeating: "garbage ", count: 1_000))
            let run = try workspace.lading("run")
            #expect(run.status == 0, "round \(round): \(run.stderr)")
        }
        let aside = try FileManager.default.contentsOfDirectory(atPath: workspace.url("state")).filter { $0.hasPrefix("tracker.sqlite.corrupt-") }
        #expect(aside.count == 2, "\(aside)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["1"])
    }

    /// A damaged tracker hides every finding that needs it: one `fix-inconsistencies`
    /// rebuilds it and then repairs what the rebuilt one shows (here rows deleted by hand),
    /// not only the tracker. (A random night found a second pass was needed.)
    @Test func oneFixRebuildsTheTrackerAndRepairsWhatItHid() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n2\n3\n4\n5\n")
        #expect(try workspace.lading("run").status == 0)
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "DELETE FROM orders WHERE CAST(id AS INTEGER) IN (2, 3)")
        let left = try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders")
        #expect(left == ["3"], "\(left)")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: workspace.url("state/tracker.sqlite" + suffix)) }
        try workspace.write("state/tracker.sqlite", String(repeating: "garbage ", count: 1_000))
        let fixed = try workspace.lading("fix-inconsistencies")
        #expect(fixed.status == 0, "\(fixed.stdout) \(fixed.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*), count(DISTINCT id) FROM orders") == ["5|5"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

/// The tracker schema dropped or a tracker table damaged on PostgreSQL: the ledger is
/// the truth, validation says so, and a fix (or the next run) brings every file back as
/// COMPLETED without loading anything twice.
@Suite struct PostgresTrackerDamageCLITests {
    @Test(arguments: [("DROP SCHEMA lading_state CASCADE", "ledger_without_completed"), ("DROP TABLE file_processing_tracker", "ledger_without_completed"),
                      ("DELETE FROM file_processing_tracker", "ledger_without_completed"),
                      ("ALTER TABLE file_processing_tracker DROP COLUMN retry_count", "tracker_integrity"), ("DROP TABLE runs", "tracker_integrity"),
                      ("ALTER TABLE file_processing_tracker DROP COLUMN status", "tracker_integrity"),
                      ("ALTER TABLE file_processing_tracker ALTER COLUMN file_path TYPE bytea USING convert_to(file_path, 'UTF8')", "tracker_integrity")])
    func aLostTrackerComesBackFromTheLedger(damage: String, finding: String) throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeLoadFixture()
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.change("state/tracker.sqlite", damage))
        let found = try workspace.lading("validate-consistency", "--json")
        #expect(found.status == 1 && found.stdout.contains(finding), "\(found.stdout)")
        let fixed = try workspace.lading("validate-consistency", "--fix")
        #expect(fixed.status == 0, "\(fixed.stdout) \(fixed.stderr)")
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0 && rerun.stdout.contains("0 files loaded"), "nothing loads twice: \(rerun.stdout)")
        try workspace.expectInvariants()
    }
}

/// The random nights on PostgreSQL (seed 2573): two tracker rebuilds within one second
/// keep both damaged copies, as on SQLite.
@Suite struct PostgresTrackerRebuildCLITests {
    @Test func twoRebuildsWithinOneSecondKeepBothDamagedCopies() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        #expect(try workspace.lading("run").status == 0)
        for damage in ["ALTER TABLE file_processing_tracker RENAME COLUMN retry_count TO tries", "ALTER TABLE file_processing_tracker DROP COLUMN updated_at"] {
            #expect(try workspace.change("state/tracker.sqlite", damage))
            let run = try workspace.lading("run")
            #expect(run.status == 0, "\(damage): \(run.stderr)")
        }
        #expect(try workspace.query("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'lading\\_state\\_corrupt\\_%'") == ["2"])
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["1"])
    }
}

import Foundation
import Testing
import LadingTestSupport

/// `after_load: keep | archive | delete` (issue 17 item 6, SPEC §4) through the binary.
@Suite struct AfterLoadCLITests {
    func writeConfig(_ workspace: Workspace, afterLoad: String = "archive", dimAfterLoad: String? = nil) throws {
        for folder in ["orders", "dim"] {
            try FileManager.default.createDirectory(atPath: workspace.url("landing/\(folder)"), withIntermediateDirectories: true)
        }
        try workspace.write("lading.yaml", "state_dir: ./state\nafter_load: \(afterLoad)\narchive_path: ./archive\n" + workspace.warehouseSection() + """
            tables:
              - table_name: orders
                source_path: ./landing/orders
                file_pattern: "**/*.csv"
              - table_name: dim
                source_path: ./landing/dim
                file_pattern: "*.csv"
                loading_strategy: scd2
                primary_keys: [k]
                scd2_effective_from: file_modified_time
            \(dimAfterLoad.map { "    after_load: \($0)\n" } ?? "")
            """)
    }

    func history(_ workspace: Workspace) throws -> [String] {
        let text = { (column: String) in
            workspace.backend == .sqlite ? column : "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        }
        return try workspace.query("SELECT k, v, \(text("effective_date")), coalesce(\(text("end_date")), 'open'), CAST(is_current AS INTEGER) FROM dim ORDER BY k, effective_date")
    }

    @Test(arguments: TestBackend.allCases)
    func filesAreArchivedOnceCompletedAndReplaysAndResetsReadThemThere(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace)
        try workspace.write("landing/orders/2026/a.csv", "id,v\n1,x\n2,y\n")
        try workspace.write("landing/orders/bad.csv", "id,v\n1,x,extra\n")
        for (day, rows) in [(1, "k,v\n1,a\n2,b\n"), (2, "k,v\n1,A\n2,b\n3,c\n")] {
            try workspace.write("landing/dim/d\(day).csv", rows)
            try workspace.setModified("landing/dim/d\(day).csv", to: Date(timeIntervalSince1970: 1_767_225_600 + Double(day) * 86_400))
        }
        #expect(try workspace.lading("run").status == 1, "bad.csv fails")
        // Moved under archive_path keeping the relative path; the failed file stays.
        #expect(workspace.exists("archive/2026/a.csv") && !workspace.exists("landing/orders/2026/a.csv"))
        #expect(workspace.exists("archive/d1.csv") && workspace.exists("archive/d2.csv"))
        #expect(workspace.exists("landing/orders/bad.csv") && !workspace.exists("archive/bad.csv"))
        #expect(try workspace.trackerQuery("SELECT archived_path FROM file_processing_tracker WHERE file_path LIKE '%a.csv'") == [workspace.url("archive/2026/a.csv")])
        let check = try workspace.lading("validate-consistency", "--json")
        #expect(!check.stdout.contains("file_missing"), "\(check.stdout)")
        #expect(try workspace.lading("explain", "landing/orders/2026/a.csv").stdout.contains("archived to \(workspace.url("archive/2026/a.csv"))"))
        // A replay of the SCD2 table reads its archived files and gives the same history.
        let before = try history(workspace)
        #expect(before.count == 4)
        let reset = try workspace.lading("reset-state", "--table", "dim", "--yes")
        #expect(reset.status == 0, "\(reset.stdout) \(reset.stderr)")
        #expect(try history(workspace) == before)
        // reset-state --file of an archived append file loads it again, once, and archives it again.
        #expect(try workspace.lading("reset-state", "--file", "landing/orders/2026/a.csv", "--yes").status == 0)
        #expect(workspace.exists("landing/orders/2026/a.csv"), "the reset puts the archived file back to be loaded again")
        #expect(try workspace.lading("run").status == 0, "bad.csv failed earlier and is not retried")
        #expect(try workspace.query("SELECT count(*), count(DISTINCT id) FROM orders") == ["2|2"])
        #expect(workspace.exists("archive/2026/a.csv") && !workspace.exists("landing/orders/2026/a.csv"))
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["2"])
    }

    /// A kill between a file's commit and its move: the next run moves it, never loads
    /// it again; a name already taken in the archive gets a suffix, never overwritten.
    @Test func aKillBetweenTheCommitAndTheMoveIsFinishedByTheNextRun() throws {
        let workspace = try Workspace.make(.sqlite)
        try writeConfig(workspace)
        try workspace.write("archive/a.csv", "an older file of the same name\n")
        try workspace.write("landing/orders/a.csv", "id,v\n1,x\n2,y\n")
        let killed = try workspace.lading("run", environment: ["LADING_FAULT": "before-after-load"])
        #expect(killed.killed, "\(killed.stderr)")
        #expect(try workspace.trackerQuery("SELECT status, coalesce(archived_path, 'none') FROM file_processing_tracker") == ["COMPLETED|none"])
        #expect(workspace.exists("landing/orders/a.csv"))
        #expect(try workspace.lading("run").status == 0)
        #expect(!workspace.exists("landing/orders/a.csv") && workspace.exists("archive/a_2.csv"))
        #expect(workspace.read("archive/a.csv") == "an older file of the same name\n")
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["2"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test func deleteRemovesLoadedFilesAndIsRefusedForOrderedTables() throws {
        let workspace = try Workspace.make(.sqlite)
        try writeConfig(workspace, afterLoad: "delete", dimAfterLoad: "keep")
        try workspace.write("landing/orders/a.csv", "id,v\n1,x\n")
        try workspace.write("landing/dim/d1.csv", "k,v\n1,a\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(!workspace.exists("landing/orders/a.csv") && workspace.exists("landing/dim/d1.csv"))
        let check = try workspace.lading("validate-consistency", "--json")
        #expect(check.status == 0 && !check.stdout.contains("file_missing"), "\(check.stdout)")
        try writeConfig(workspace, afterLoad: "delete")
        let refused = try workspace.lading("run")
        #expect(refused.status == 78 && refused.stderr.contains("after_load: delete is refused for a scd2 table"), "\(refused.stderr)")
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "after_load: delete\narchive_path: ./archive\n", with: "after_load: archive\n"))
        let noPlace = try workspace.lading("run")
        #expect(noPlace.status == 78 && noPlace.stderr.contains("archive_path"), "\(noPlace.stderr)")
    }

    /// A tracker from before `archived_path` (version 3): read-only commands read it as
    /// it is; the next run migrates it.
    @Test func aTrackerFromBeforeAfterLoadIsReadAndThenMigrated() throws {
        let workspace = try Workspace.make(.sqlite)
        try writeConfig(workspace, afterLoad: "keep")
        try workspace.write("landing/orders/a.csv", "id,v\n1,x\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.change("state/tracker.sqlite", "ALTER TABLE file_processing_tracker DROP COLUMN archived_path; PRAGMA user_version = 3;"))
        let status = try workspace.lading("status")
        #expect(status.status == 0 && status.stdout.contains("orders: 1 completed"), "\(status.stdout) \(status.stderr)")
        #expect(try workspace.lading("validate-consistency").status == 0)
        try workspace.write("landing/orders/b.csv", "id,v\n2,y\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.trackerQuery("PRAGMA user_version") == ["5"], "migrated to the current version")
    }
}

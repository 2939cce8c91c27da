import Foundation
import Testing
import LadingTestSupport

/// `lading plan` and `lading explain` (issue 17, SPEC §10) through the built binary.
@Suite struct PlanExplainCLITests {
    func writeConfig(_ workspace: Workspace) throws {
        for folder in ["orders", "dim", "prices"] {
            try FileManager.default.createDirectory(atPath: workspace.url("landing/\(folder)"), withIntermediateDirectories: true)
        }
        try workspace.write("lading.yaml", "state_dir: ./state\nbatch_size: 4\nmax_bad_record_ratio: 0.5\n" + workspace.warehouseSection() + """
            tables:
              - table_name: orders
                source_path: ./landing/orders
                file_pattern: "*.csv"
                columns: {id: integer, amount: real}
              - table_name: dim
                source_path: ./landing/dim
                file_pattern: "*.csv"
                loading_strategy: scd2
                primary_keys: [k]
                scd2_deletes: close
                max_delete_ratio: 1.0
                columns: {k: integer, v: text}
              - table_name: prices
                source_path: ./landing/prices
                file_pattern: "*.csv"
                loading_strategy: merge
                primary_keys: [sku]
                merge_deletes: delete
                max_delete_ratio: 1.0
                columns: {sku: text, price: real}

            """)
    }

    /// Everything a plan must leave as it was: the warehouse and tracker contents (every
    /// table lading knows, with its rows) and the state folder's files.
    func snapshot(_ workspace: Workspace) throws -> [String] {
        var lines: [String] = []
        if workspace.backend == .sqlite {
            for name in ["warehouse.sqlite", "state/tracker.sqlite"] {
                lines.append(name + ":" + (FileManager.default.contents(atPath: workspace.url(name)).map { "\($0.count) bytes, \($0.hashValue)" } ?? "absent"))
            }
        } else {
            lines += try workspace.query("SELECT table_name FROM information_schema.tables WHERE table_schema IN (current_schema(), 'lading_state') ORDER BY 1")
            for table in ["orders", "dim", "prices", "_lading_loads", "_lading_quarantine"] {
                lines += (try? workspace.query("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \(table) t")) ?? ["\(table): absent"]
            }
            lines += (try? workspace.trackerQuery("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM file_processing_tracker t")) ?? ["tracker: absent"]
        }
        let state = (try? FileManager.default.contentsOfDirectory(atPath: workspace.url("state")).sorted()) ?? []
        return lines + ["state: " + state.joined(separator: ",")]
    }

    /// What a run did per file, from its JSON report: "file|records|rows|quarantined|scd2|merge".
    func runEffects(_ output: String) throws -> [String: [String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        var effects: [String: [String: Any]] = [:]
        for table in json["tables"] as? [[String: Any]] ?? [] {
            for file in table["files"] as? [[String: Any]] ?? [] { effects[file["file"] as? String ?? ""] = file }
        }
        return effects
    }

    @Test(arguments: TestBackend.allCases)
    func planCountsEqualWhatTheRunThenDoesAndPlanWritesNothing(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace)
        try workspace.write("landing/orders/a.csv", "id,amount\n1,1.5\n2,x\n3,3\n4,4\n5,5\n6,6\n")
        try workspace.write("landing/dim/d1.csv", "k,v\n1,a\n2,b\n3,c\n")
        try workspace.write("landing/dim/d2.csv", "k,v\n1,a\n2,B\n4,d\n")
        try workspace.write("landing/prices/p1.csv", "sku,price\nA,1\nB,2\nC,3\n")
        try workspace.write("landing/prices/p2.csv", "sku,price\nA,1\nB,2.5\nD,4\n")
        // Plans on an empty warehouse create nothing at all.
        let before = try snapshot(workspace)
        let plan = try workspace.lading("plan", "--json")
        #expect(plan.status == 0, "\(plan.stdout) \(plan.stderr)")
        #expect(try snapshot(workspace) == before, "plan wrote something")
        let planned = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any] ?? [:]
        var plannedFiles: [String: [String: Any]] = [:]
        for table in planned["tables"] as? [[String: Any]] ?? [] {
            for file in table["files"] as? [[String: Any]] ?? [] { plannedFiles[file["file"] as? String ?? ""] = file }
        }
        #expect(plannedFiles.count == 5)
        let text = try workspace.lading("plan")
        #expect(text.stdout.contains("line 3: column 'amount': 'x' is not a valid real"), "\(text.stdout)")
        // The run does what the plan said, file by file.
        let run = try workspace.lading("run", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let effects = try runEffects(run.stdout)
        for (file, plannedFile) in plannedFiles {
            let did = try #require(effects[file], "\(file) not in the run report")
            #expect(plannedFile["records"] as? Int == did["records_read"] as? Int, "\(file) records")
            #expect(plannedFile["quarantined"] as? Int == did["rows_quarantined"] as? Int, "\(file) quarantined")
            if let scd2 = plannedFile["scd2"] as? [String: Int] { #expect(scd2 == did["scd2"] as? [String: Int], "\(file) scd2") }
            if let merge = plannedFile["merge"] as? [String: Int] { #expect(merge == did["merge"] as? [String: Int], "\(file) merge") }
            if plannedFile["scd2"] == nil && plannedFile["merge"] == nil {
                #expect(plannedFile["inserted"] as? Int == did["rows_loaded"] as? Int, "\(file) inserted")
            }
        }
        #expect((plannedFiles[workspace.url("landing/dim/d2.csv")]?["scd2"] as? [String: Int]) == ["keys_new": 1, "keys_changed": 1, "keys_unchanged": 1, "keys_closed": 1])
        // A plan on a loaded warehouse with a file that would fail: exit 1, the reason named, nothing written.
        try workspace.write("landing/dim/d3.csv", "k,v\n1,a\n1,z\n")
        try workspace.write("landing/dim/d4.csv", "k,v\n9,q\n")
        try workspace.write("landing/prices/p3.csv", "sku,price\nA,1\n")
        let loaded = try snapshot(workspace)
        let failing = try workspace.lading("plan")
        #expect(failing.status == 1, "\(failing.stdout)")
        #expect(failing.stdout.contains("d3.csv: WOULD FAIL") && failing.stdout.contains("appears twice (lines 2 and 3)"), "\(failing.stdout)")
        #expect(failing.stdout.contains("d4.csv: held"), "\(failing.stdout)")
        #expect(failing.stdout.contains("p3.csv: 1 records: 0 inserted, 0 updated, 1 unchanged, 2 deleted"), "\(failing.stdout)")
        #expect(try snapshot(workspace) == loaded, "plan wrote something")
        let next = try workspace.lading("run", "--json")
        #expect(next.status == 1)
        #expect((try runEffects(next.stdout))[workspace.url("landing/prices/p3.csv")]?["merge"] as? [String: Int]
                == ["inserted": 0, "updated": 0, "unchanged": 1, "deleted": 2])
    }

    @Test(arguments: TestBackend.allCases)
    func explainTellsEachFilesStory(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace)
        try workspace.write("landing/orders/a.csv", "id,amount\n1,1.5\n2,2\n")
        try workspace.write("landing/orders/b.csv", "id,amount\n1,1\n2,x\n3,3\n4,4\n")
        try workspace.write("landing/orders/c.csv", "id,amount\n1,x\n2,y\n")
        #expect(try workspace.lading("run").status == 1)
        let completed = try workspace.lading("explain", "landing/orders/a.csv")
        #expect(completed.status == 0 && completed.stdout.contains("Tracker: COMPLETED") && completed.stdout.contains("Rows in the table from this file now: 2 (ledger: 2)")
                && completed.stdout.contains("Next: none: it is loaded"), "\(completed.stdout)")
        let quarantining = try workspace.lading("explain", "landing/orders/b.csv")
        #expect(quarantining.stdout.contains("Quarantined: 1 record(s)") && quarantining.stdout.contains("line 3: [type_conversion]"), "\(quarantining.stdout)")
        let failed = try workspace.lading("explain", workspace.url("landing/orders/c.csv"), "--json")
        let json = try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any] ?? [:]
        #expect((json["tracker"] as? [String: Any])?["status"] as? String == "FAILED")
        #expect((json["tracker"] as? [String: Any])?["error_type"] as? String == "data")
        #expect((json["next_action"] as? String ?? "").contains("will not be retried"), "\(failed.stdout)")
        #expect((json["runs"] as? [[String: Any]])?.count == 1)
        try workspace.write("landing/orders/d.csv", "id,amount\n7,7\n")
        let untracked = try workspace.lading("explain", "landing/orders/d.csv")
        #expect(untracked.status == 0 && untracked.stdout.contains("not tracked") && untracked.stdout.contains("the next run loads it: d.csv: 1 records: 1 inserted"),
                "\(untracked.stdout)")
        // A table damaged by hand: the file's rows no longer match its ledger row.
        #expect(try workspace.change("warehouse.sqlite", "DELETE FROM orders WHERE id = 1 AND _source_file = '\(workspace.url("landing/orders/a.csv"))'"))
        let damaged = try workspace.lading("explain", "landing/orders/a.csv")
        #expect(damaged.status == 1 && damaged.stdout.contains("row_count_mismatch"), "\(damaged.stdout)")
    }
}

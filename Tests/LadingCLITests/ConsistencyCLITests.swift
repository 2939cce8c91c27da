import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// validate-consistency, --fix, fix-inconsistencies, reset-state and tracker rebuilds,
/// on a loaded workspace damaged the ways real nights damage it.
@Suite struct ConsistencyCLITests {
    static func path(_ workspace: Workspace, _ name: String) -> String { workspace.url("landing/orders/" + name) }

    /// One kind of damage: what it does to a loaded workspace and the words validation uses.
    struct Damage: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: String
        var apply: @Sendable (Workspace) throws -> Void
        var testDescription: String { name }
    }

    /// Damages the warehouse or the tracker of either backend (see `Workspace.change`).
    static func sql(_ workspace: Workspace, _ database: String, _ statements: String) throws {
        #expect(try workspace.change(database, statements), "\(statements)")
    }

    static let damages: [Damage] = [
        Damage(name: "orphaned PROCESSING with committed data", kind: "orphaned_processing") { w in
            try sql(w, "state/tracker.sqlite", "UPDATE file_processing_tracker SET status = 'PROCESSING', run_id = 'run-dead' WHERE file_path = '\(path(w, "orders_1.csv"))'")
        },
        Damage(name: "orphaned PROCESSING without committed data", kind: "orphaned_processing") { w in
            let file = path(w, "orders_2.csv")
            try sql(w, "warehouse.sqlite", "DELETE FROM orders WHERE _source_file = '\(file)'; DELETE FROM _lading_loads WHERE source_file = '\(file)'")
            try sql(w, "state/tracker.sqlite", "UPDATE file_processing_tracker SET status = 'PROCESSING', run_id = 'run-dead' WHERE file_path = '\(file)'")
        },
        Damage(name: "a ledger row deleted", kind: "completed_without_ledger") { w in
            try sql(w, "warehouse.sqlite", "DELETE FROM _lading_loads WHERE source_file = '\(path(w, "orders_2.csv"))'")
        },
        Damage(name: "a tracker row deleted", kind: "ledger_without_completed") { w in
            try sql(w, "state/tracker.sqlite", "DELETE FROM file_processing_tracker WHERE file_path = '\(path(w, "orders_3.csv.gz"))'")
        },
        Damage(name: "rows of one file duplicated", kind: "row_count_mismatch") { w in
            try sql(w, "warehouse.sqlite", "INSERT INTO orders SELECT * FROM orders WHERE _source_file = '\(path(w, "orders_1.csv"))'")
        },
        Damage(name: "rows of one file deleted", kind: "row_count_mismatch") { w in
            try sql(w, "warehouse.sqlite", "DELETE FROM orders WHERE \(w.rowid) IN (SELECT \(w.rowid) FROM orders WHERE _source_file = '\(path(w, "orders_2.csv"))' LIMIT 7)")
        },
        Damage(name: "a stale lock", kind: "stale_lock") { w in
            try w.write("state/lading.lock", #"{"pid": 999999, "hostname": "\#(ProcessInfo.processInfo.hostName)", "acquired_at": "2026-01-01T00:00:00Z", "timeout_at": "2999-01-01T00:00:00Z", "lock_name": "lading", "run_id": "run-dead"}"#)
        },
        Damage(name: "a file changed on disk", kind: "file_changed") { w in
            // Same number of rows, other content.
            try w.write("landing/orders/orders_4.csv", "order_id,amount,note\n999,1.5,\"changed\"\n")
        },
        Damage(name: "a second current SCD2 version", kind: "scd2_multiple_current") { w in
            try sql(w, "warehouse.sqlite", "DROP INDEX \"_lading_current_people\"; UPDATE people SET is_current = (1 = 1) WHERE id = 1")
        },
    ]

    func loadedWorkspace(_ backend: TestBackend = .sqlite) throws -> Workspace {
        let workspace = try Workspace.make(backend)
        try workspace.writeLoadFixture()
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stderr)")
        let clean = try workspace.lading("validate-consistency")
        #expect(clean.status == 0, "\(clean.stdout)")
        return workspace
    }

    func expectRepaired(_ workspace: Workspace, kinds: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let found = try workspace.lading("validate-consistency", "--json")
        #expect(found.status == 1, "\(found.stdout)", sourceLocation: sourceLocation)
        for kind in kinds { #expect(found.stdout.contains("\"kind\" : \"\(kind)\""), "\(kind) not reported: \(found.stdout)", sourceLocation: sourceLocation) }
        let human = try workspace.lading("validate-consistency")
        #expect(human.stdout.contains("Overall Status: INCONSISTENT"), sourceLocation: sourceLocation)
        let fixed = try workspace.lading("validate-consistency", "--fix")
        #expect(fixed.status == 0, "\(fixed.stdout)\n\(fixed.stderr)", sourceLocation: sourceLocation)
        #expect(fixed.stdout.contains("Fixes Applied"), sourceLocation: sourceLocation)
        let again = try workspace.lading("validate-consistency")
        #expect(again.status == 0, "\(again.stdout)", sourceLocation: sourceLocation)
        // The next run loads what a repair sent back for retry; then everything holds.
        #expect(try workspace.lading("run").status == 0, sourceLocation: sourceLocation)
        try workspace.expectInvariants(sourceLocation: sourceLocation)
        #expect(try workspace.lading("validate-consistency").status == 0, sourceLocation: sourceLocation)
    }

    /// Every damage on both backends, but the stale lock on PostgreSQL, whose run lock
    /// is a session lock that ends with its holder (it cannot go stale).
    @Test(arguments: damages.map { (TestBackend.sqlite, $0) } + damages.filter { $0.kind != "stale_lock" }.map { (TestBackend.postgres, $0) })
    func eachDamageIsFoundAndRepaired(backend: TestBackend, damage: Damage) throws {
        let workspace = try loadedWorkspace(backend)
        if damage.kind == "file_changed" {
            // The changed file's rows are its new content after the repair.
            try damage.apply(workspace)
            let found = try workspace.lading("validate-consistency", "--json")
            #expect(found.status == 1 && found.stdout.contains("file_changed"))
            #expect(try workspace.lading("fix-inconsistencies").status == 0)
            #expect(try workspace.query("SELECT order_id FROM orders WHERE _source_file = '\(Self.path(workspace, "orders_4.csv"))'") == ["999"])
            #expect(try workspace.lading("validate-consistency").status == 0)
            return
        }
        try damage.apply(workspace)
        try expectRepaired(workspace, kinds: [damage.kind])
    }

    @Test func allDamageTogetherIsRepairedInOnePass() throws {
        let workspace = try loadedWorkspace()
        for damage in Self.damages where damage.kind != "file_changed" && damage.name != "rows of one file deleted" && damage.name != "orphaned PROCESSING without committed data" {
            try damage.apply(workspace)
        }
        try expectRepaired(workspace, kinds: ["orphaned_processing", "completed_without_ledger", "row_count_mismatch", "stale_lock", "scd2_multiple_current"])
    }

    /// All nine kinds of damage at once, each on its own file (seven more append files
    /// than the shared fixture has), then one fix: every file's rows are its source's.
    @Test func allNineDamagesOnSeparateFilesAreRepairedInOnePass() throws {
        let workspace = try Workspace()
        try workspace.writeLoadFixture()
        let extra = (1...7).map { "extra_\($0).csv" }
        for (index, name) in extra.enumerated() {
            try workspace.write("landing/orders/" + name, "order_id,amount,note\n" + (0..<(10 + index)).map { "\(900_000 + index * 100 + $0),1.5,x\n" }.joined())
        }
        #expect(try workspace.lading("run").status == 0)
        let path = { (name: String) in Self.path(workspace, name) }
        try Self.sql(workspace, "state/tracker.sqlite", """
            UPDATE file_processing_tracker SET status = 'PROCESSING', run_id = 'run-dead' WHERE file_path IN ('\(path("extra_1.csv"))', '\(path("extra_2.csv"))');
            DELETE FROM file_processing_tracker WHERE file_path = '\(path("extra_4.csv"))';
            """)
        try Self.sql(workspace, "warehouse.sqlite", """
            DELETE FROM orders WHERE _source_file = '\(path("extra_2.csv"))'; DELETE FROM _lading_loads WHERE source_file = '\(path("extra_2.csv"))';
            DELETE FROM _lading_loads WHERE source_file = '\(path("extra_3.csv"))';
            INSERT INTO orders SELECT * FROM orders WHERE _source_file = '\(path("extra_5.csv"))';
            DELETE FROM orders WHERE rowid IN (SELECT rowid FROM orders WHERE _source_file = '\(path("extra_6.csv"))' LIMIT 3);
            DROP INDEX "_lading_current_people"; UPDATE people SET is_current = 1 WHERE id = 1;
            """)
        try workspace.write("landing/orders/extra_7.csv", "order_id,amount,note\n" + (0..<16).map { "\(800_000 + $0),2.5,changed\n" }.joined())
        try Self.damages.first { $0.kind == "stale_lock" }?.apply(workspace)
        let found = try workspace.lading("validate-consistency", "--json")
        #expect(found.status == 1)
        for kind in ["orphaned_processing", "completed_without_ledger", "ledger_without_completed", "row_count_mismatch", "file_changed",
                     "scd2_multiple_current", "stale_lock"] {
            #expect(found.stdout.contains("\"kind\" : \"\(kind)\""), "\(kind) not reported")
        }
        let fixed = try workspace.lading("fix-inconsistencies")
        #expect(fixed.status == 0, "\(fixed.stdout)")
        #expect(try workspace.lading("run").status == 0, "the uncommitted orphan loads on the next run")
        try workspace.expectInvariants(completeLoads: 8 + extra.count)
        for (index, name) in extra.enumerated() {
            let expected = name == "extra_7.csv" ? 16 : 10 + index
            #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders WHERE _source_file = '\(path(name))'") == ["\(expected)"], "\(name)")
        }
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// A repair killed in the middle of its reload heals like a run: the next fix (or
    /// run) finishes it, and nothing is duplicated or lost.
    @Test(arguments: ["after-claim", "after-batch-commit:2", "before-final-commit", "after-final-commit"])
    func aRepairKilledMidReloadHeals(fault: String) throws {
        let workspace = try loadedWorkspace()
        try Self.damages.first { $0.name == "rows of one file duplicated" }?.apply(workspace)
        try Self.sql(workspace, "warehouse.sqlite", "INSERT INTO orders SELECT * FROM orders WHERE _source_file = '\(Self.path(workspace, "orders_2.csv"))'")
        let killed = try workspace.lading("fix-inconsistencies", environment: ["LADING_FAULT": fault])
        #expect(killed.killed, "\(fault): \(killed.stdout)")
        let fixed = try workspace.lading("validate-consistency", "--fix")
        #expect(fixed.status == 0, "\(fault): \(fixed.stdout)")
        #expect(try workspace.lading("run").status == 0)
        try workspace.expectInvariants()
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test func aFileGoneFromDiskIsOnlyAWarning() throws {
        let workspace = try loadedWorkspace()
        try FileManager.default.removeItem(atPath: Self.path(workspace, "orders_4.csv"))
        let result = try workspace.lading("validate-consistency")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("Tracked file gone from disk"))
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders WHERE _source_file LIKE '%orders_4.csv'") == ["1"])
    }

    /// Garbage, half a file, or no file: the next run rebuilds the tracker from the
    /// ledger, keeps the old one aside, and loads nothing twice.
    @Test(arguments: ["garbage", "truncated", "deleted", "empty", "schemaless"])
    func aDamagedTrackerIsRebuiltFromTheLedger(damage: String) throws {
        let workspace = try loadedWorkspace()
        let tracker = workspace.url("state/tracker.sqlite")
        // Fold the WAL in first so truncation cuts real pages.
        try Self.sql(workspace, "state/tracker.sqlite", "PRAGMA wal_checkpoint(TRUNCATE)")
        switch damage {
        case "garbage":
            try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: tracker))
        case "truncated":
            let data = try Data(contentsOf: URL(fileURLWithPath: tracker))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: tracker))
        case "schemaless":
            // A valid database that never got its tables (killed while being created).
            try FileManager.default.removeItem(atPath: tracker)
            try Self.sql(workspace, "state/tracker.sqlite", "CREATE TABLE t (a); DROP TABLE t;")
        case "empty":
            // A crash right after the file was created: zero bytes, an empty database.
            try Data().write(to: URL(fileURLWithPath: tracker))
        default:
            try FileManager.default.removeItem(atPath: tracker)
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: tracker + suffix) }
        let found = try workspace.lading("validate-consistency", "--json")
        #expect(found.status == 1, "validation sees the damage before any run: \(found.stdout)")
        #expect(found.stdout.contains(["deleted", "empty", "schemaless"].contains(damage) ? "ledger_without_completed" : "tracker_integrity"))
        if !["deleted", "empty", "schemaless"].contains(damage) {
            let status = try workspace.lading("status")
            #expect(status.status == 0 && status.stdout.contains("Tracker: DAMAGED"), "\(status.stdout)\(status.stderr)")
        }
        let run = try workspace.lading("run", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\"already_completed\" : 5") && run.stdout.contains("\"already_completed\" : 3"), "nothing loads twice: \(run.stdout)")
        try workspace.expectInvariants()
        #expect(try workspace.lading("validate-consistency").status == 0)
        let aside = try FileManager.default.contentsOfDirectory(atPath: workspace.url("state")).filter { $0.hasPrefix("tracker.sqlite.corrupt-") }
        #expect(["deleted", "empty", "schemaless"].contains(damage) ? aside.isEmpty : !aside.isEmpty, "\(aside)")
    }

    @Test(arguments: TestBackend.allCases)
    func resetStateThenRunLeavesEveryTableIdentical(backend: TestBackend) throws {
        let workspace = try loadedWorkspace(backend)
        let appendRows = "SELECT order_id, amount, note, _source_file FROM orders ORDER BY _source_file, order_id"
        let history = "SELECT id, name, coalesce(city, 'NULL'), CAST(effective_date AS TEXT), coalesce(CAST(end_date AS TEXT), 'NULL'), CAST(is_current AS INTEGER) FROM people ORDER BY id, effective_date"
        let before = (try workspace.query(appendRows), try workspace.query(history))
        let reset = try workspace.lading("reset-state", "--yes")
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query(appendRows) == before.0)
        #expect(try workspace.query(history) == before.1, "SCD2 replay keeps each file's boundary")
        try workspace.expectInvariants()
        #expect(try workspace.lading("validate-consistency").status == 0)
        // An SCD2 table alone.
        // Issue 12, defect 15: the replay is built aside and swapped in before reset-state
        // returns: the table is never seen empty, and equals the live one, dates included.
        let replayed = try workspace.lading("reset-state", "--table", "people", "--yes")
        #expect(replayed.status == 0 && replayed.stdout.contains("swapped it in"), "\(replayed.stdout)")
        #expect(try workspace.query(history) == before.1)
        #expect(try workspace.query(backend == .sqlite ? "SELECT count(*) FROM sqlite_master WHERE name LIKE '_lading_shadow_%'"
                                                    : "SELECT count(*) FROM pg_tables WHERE tablename LIKE '\\_lading\\_shadow\\_%'") == ["0"])
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query(history) == before.1)
        try workspace.expectInvariants()
    }

    @Test(arguments: TestBackend.allCases)
    func resetStateOfOneFileReloadsExactlyThatFile(backend: TestBackend) throws {
        let workspace = try loadedWorkspace(backend)
        let batches = "SELECT _source_file, min(_batch_id) FROM orders GROUP BY _source_file ORDER BY 1"
        let before = try workspace.query(batches)
        let reset = try workspace.lading("reset-state", "--file", "landing/orders/orders_2.csv", "--yes")
        #expect(reset.status == 0, "\(reset.stderr)")
        // The rows stay until the run that loads the file again replaces them in one commit.
        #expect(try workspace.query("SELECT count(*) FROM orders WHERE _source_file LIKE '%orders_2.csv'") == ["730"])
        let run = try workspace.lading("run", "--json")
        #expect(run.stdout.contains("\"rows_loaded\" : 730"), "\(run.stdout)")
        let after = try workspace.query(batches)
        #expect(zip(before, after).filter { $0 != $1 }.map(\.0).count == 1)
        #expect(zip(before, after).first { $0 != $1 }?.0.contains("orders_2.csv") == true)
        try workspace.expectInvariants()
    }

    @Test(arguments: TestBackend.allCases)
    func resetStateWithoutATerminalNeedsYes(backend: TestBackend) throws {
        let workspace = try loadedWorkspace(backend)
        let tracker = try workspace.trackerQuery("SELECT file_path, status FROM file_processing_tracker")
        let refused = try workspace.lading("reset-state")
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--yes"))
        #expect(try workspace.trackerQuery("SELECT file_path, status FROM file_processing_tracker") == tracker)
    }

    @Test(arguments: TestBackend.allCases)
    func resetFailedOnlyGivesAFailedFileAnotherChance(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\n2\n")
        #expect(try workspace.lading("run").status == 1)
        #expect(try workspace.lading("validate-consistency").status == 1, "a data error is not retried: exhausted")
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\n2,ok\n")
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        #expect(try workspace.trackerQuery("SELECT status, retry_count FROM file_processing_tracker") == ["FAILED|0"])
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["2"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// A health check beside a live run: not blocked, reports the run as running.
    @Test func validationBesideALiveRunSeesItRunning() throws {
        let workspace = try loadedWorkspace()
        // Generous waits: on a loaded 2-core machine a run can take seconds to start.
        let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                                environment: ["LADING_TEST_HOLD_LOCK_SECONDS": "6"])
        // The lock file exists a moment before its JSON is written: wait for the run id.
        var waited = 0
        var runID = ""
        while runID.isEmpty && waited < 1_000 {
            let lock = workspace.read("state/lading.lock") ?? ""
            runID = (try? JSONSerialization.jsonObject(with: Data(lock.utf8)) as? [String: Any])?["run_id"] as? String ?? ""
            if runID.isEmpty { usleep(20_000); waited += 1 }
        }
        #expect(!runID.isEmpty)
        // The live run owns a file right now.
        let file = Self.path(workspace, "orders_1.csv")
        try Self.sql(workspace, "state/tracker.sqlite", "UPDATE file_processing_tracker SET status = 'PROCESSING', run_id = '\(runID)' WHERE file_path = '\(file)'")
        let check = try workspace.lading("validate-consistency", "--json")
        try Self.sql(workspace, "state/tracker.sqlite", "UPDATE file_processing_tracker SET status = 'COMPLETED' WHERE file_path = '\(file)'")
        #expect(process.isRunning, "validation returned while the run still held its lock")
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("\"run_id\" : \"\(runID)\""))
        #expect(!check.stdout.contains("orphaned_processing"))
        let finished = CLI.finish(process, out, err)
        #expect(finished.status == 0, "\(finished.stderr)")
        let fix = try workspace.lading("fix-inconsistencies")
        #expect(fix.status == 0)
    }

    /// A warehouse that fails its integrity check stops the run (exit 70) before it
    /// changes anything, and validation names it.
    @Test func aDamagedWarehouseStopsTheRunAndChangesNothing() throws {
        let workspace = try loadedWorkspace()
        try workspace.write("landing/orders/orders_5.csv", "order_id,amount,note\n1,1.0,x\n")
        let warehouse = workspace.url("warehouse.sqlite")
        var data = try Data(contentsOf: URL(fileURLWithPath: warehouse))
        // Scribble over the B-tree page headers of pages 2 and 3 (not the file header).
        let page = Int(data[16]) << 8 | Int(data[17])
        for offset in [page, page + 1, page + 3, 2 * page, 2 * page + 1, 2 * page + 3] where offset < data.count { data[offset] = 0xA5 }
        try data.write(to: URL(fileURLWithPath: warehouse))
        let tracker = try workspace.sqlite("state/tracker.sqlite", "SELECT file_path, status FROM file_processing_tracker")
        let run = try workspace.lading("run")
        #expect(run.status == 70, "\(run.stderr)")
        #expect(run.stderr.contains("warehouse"), "\(run.stderr)")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT file_path, status FROM file_processing_tracker") == tracker)
        let check = try workspace.lading("validate-consistency", "--json")
        #expect(check.status == 1)
        #expect(check.stdout.contains("warehouse_integrity"), "\(check.stdout)")
    }
}

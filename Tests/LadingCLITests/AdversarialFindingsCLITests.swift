import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Problems an adversarial operator pass found in this session's changes, each pinned.
@Suite struct AdversarialFindingsCLITests {
    func scd2(_ workspace: Workspace, extra: String = "") throws {
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: d
                source_path: ./landing/d
                loading_strategy: scd2
                primary_keys: [id]
            \(extra)
            """)
    }

    /// A real column widened to text must not version keys whose value did not change
    /// ("10" read as real was "10.0"), and a reset must give the same history.
    @Test func anSCD2WideningOpensNoFalseVersionsAndResetsIdentically() throws {
        let workspace = try Workspace()
        try scd2(workspace)
        try workspace.write("landing/d/d_01.csv", "id,v\n1,10.5\n2,10\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/d/d_02.csv", "id,v\n1,abc\n2,10\n")
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stderr)")
        let history = "SELECT id, v, is_current, effective_date, coalesce(end_date, '-') FROM d ORDER BY id, effective_date"
        let live = try workspace.sqlite("warehouse.sqlite", history)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id, v, is_current FROM d ORDER BY id, effective_date") == ["1|10.5|0", "1|abc|1", "2|10|1"])
        #expect(try workspace.lading("reset-state", "--table", "d", "--yes").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", history) == live)
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// A dropped table's leftover column types do not block its repair with a 78.
    @Test func aDeclaredChangeOnADroppedTableDoesNotBlockItsRepair() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id,v\n1,x\n")
        #expect(try workspace.lading("run").status == 0)
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "DROP TABLE orders")
        let config = workspace.read("lading.yaml") ?? ""
        try workspace.write("lading.yaml", config + "    columns: {v: integer}\n")
        let fixed = try workspace.lading("fix-inconsistencies")
        #expect(fixed.status != 78, "\(fixed.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM sqlite_master WHERE name = 'orders'") == ["1"])
    }

    /// A fresh unreadable lock: neither the finding nor a dry run promises a fix the
    /// real command refuses.
    @Test func aFreshUnreadableLockIsNotPromisedAFix() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("state/lading.lock", "{\"pid\": 99999")
        let found = try workspace.lading("validate-consistency", "--json")
        #expect(found.stdout.contains("force-unlock") && found.stdout.contains("\"fixable\" : false"), "\(found.stdout)")
        let planned = try workspace.lading("fix-inconsistencies", "--dry-run")
        #expect(!planned.stdout.contains("would replace the unreadable lock file"), "\(planned.stdout)")
    }

    /// `--reinfer --dry-run` describes the rebuild the real command does.
    @Test func aReinferDryRunDescribesTheRebuild() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        #expect(try workspace.lading("run").status == 0)
        let planned = try workspace.lading("reset-state", "--table", "orders", "--reinfer", "--dry-run")
        #expect(planned.status == 0 && planned.stdout.contains("would: orders: replay its 2 applied file(s)"), "\(planned.stdout)")
        try FileManager.default.removeItem(atPath: workspace.url("landing/orders/b.csv"))
        let refused = try workspace.lading("reset-state", "--table", "orders", "--reinfer", "--dry-run")
        #expect(refused.status == 1 && refused.stdout.contains("cannot replay"), "\(refused.stdout)")
        #expect(try workspace.lading("reset-state", "--table", "orders", "--reinfer", "--yes").status == 1)
    }

    /// SIGTERM during a reset's replay: the replay rolls back, the lock is released.
    @Test func sigtermDuringAReplayReleasesTheLock() throws {
        let workspace = try Workspace()
        try scd2(workspace)
        for day in 1...4 {
            var text = "id,v\n"
            for id in 0..<20_000 { text += "\(id),v\(id % (day + 2))\n" }
            try workspace.write("landing/d/d_\(day).csv", text)
        }
        #expect(try workspace.lading("run").status == 0)
        let history = "SELECT count(*), sum(is_current) FROM d"
        let before = try workspace.sqlite("warehouse.sqlite", history)
        let (process, out, err) = try CLI.start(["reset-state", "--table", "d", "--yes", "--config", workspace.url("lading.yaml")], in: workspace.path)
        usleep(400_000)
        kill(process.processIdentifier, SIGTERM)
        let result = CLI.finish(process, out, err)
        #expect([0, 143].contains(result.status) && !result.killed, "\(result.status) \(result.stderr)")
        #expect(!workspace.exists("state/lading.lock"), "lock released")
        #expect(try workspace.sqlite("warehouse.sqlite", history) == before)
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

import Foundation
import LadingTestSupport
import Testing

/// SPEC §4, §8: killed runs are `interrupted`, refused runs are counted, and history
/// survives a rebuilt tracker (issue 12, defect 13).
@Suite struct RunHistoryCLITests {
    @Test func aKilledRunIsInterruptedAndCountsAsAFailure() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        let killed = try workspace.lading("run", environment: ["LADING_FAULT": "after-claim"])
        #expect(killed.killed)
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status FROM runs") == ["running"])
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status FROM runs ORDER BY rowid") == ["interrupted", "success"])
        let history = try workspace.lading("history")
        #expect(history.stdout.contains("interrupted"), "\(history.stdout)")
        let monitor = try workspace.lading("monitor", "--json")
        #expect(monitor.stdout.contains("\"interrupted_runs\" : 1") && monitor.stdout.contains("\"failure_rate\" : 0.5"), "\(monitor.stdout)")
        #expect(monitor.stdout.contains("interrupted_runs\","), "an alert names it: \(monitor.stdout)")
    }

    @Test func aRunRefusedByTheLockIsCounted() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        #expect(try workspace.lading("run").status == 0)
        let (holder, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                               environment: ["LADING_TEST_HOLD_LOCK_SECONDS": "3"])
        let signals = SignalCLITests()
        #expect(signals.wait { workspace.exists("state/lading.lock") })
        let refused = try workspace.lading("run")
        #expect(refused.status == 75)
        #expect(CLI.finish(holder, out, err).status == 0)
        let monitor = try workspace.lading("monitor", "--json")
        #expect(monitor.stdout.contains("\"refused_runs\" : 1"), "\(monitor.stdout)")
        #expect(monitor.stdout.contains("\"failure_rate\" : 0"), "a refusal is not a failure: \(monitor.stdout)")
    }

    @Test func historySurvivesARebuiltTracker() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        #expect(try workspace.lading("run").status == 0)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: workspace.url("state/tracker.sqlite" + suffix)) }
        try workspace.write("state/tracker.sqlite", String(repeating: "garbage ", count: 1_000))
        #expect(try workspace.lading("fix-inconsistencies").status == 0)
        let history = try workspace.lading("history", "--json")
        #expect(history.stdout.components(separatedBy: "\"success\"").count - 1 >= 2, "\(history.stdout)")
        let monitor = try workspace.lading("monitor")
        #expect(monitor.status == 0 && !monitor.stdout.contains("no successful run"), "\(monitor.stdout)")
    }
}

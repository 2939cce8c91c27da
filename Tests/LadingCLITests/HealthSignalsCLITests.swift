import Foundation
import LadingTestSupport
import Testing

/// Issue 13, "Honest health signals": a stuck dimension is not "OK", a capped check
/// does not report 20 for thousands, a finding is printed once, words match what
/// happened, and `reset-state --failed-only` names only tables with FAILED files.
@Suite struct HealthSignalsCLITests {
    /// An SCD2 table `dim` (key `k`) and an append table `orders`; `monitor:` thresholds
    /// loose enough that the run failures alone raise nothing critical.
    func workspace() throws -> Workspace {
        let workspace = try Workspace()
        for name in ["dim", "orders"] {
            try FileManager.default.createDirectory(atPath: workspace.url("landing/\(name)"), withIntermediateDirectories: true)
        }
        try workspace.write("lading.yaml", """
            state_dir: ./state
            warehouse:
              path: ./warehouse.sqlite
            monitor:
              max_failure_rate: 1.0
            tables:
              - table_name: dim
                source_path: ./landing/dim
                file_pattern: "*.csv"
                loading_strategy: scd2
                primary_keys: [k]
              - table_name: orders
                source_path: ./landing/orders
                file_pattern: "*.csv"

            """)
        return workspace
    }

    func message(_ alert: [String: Any]?) -> String {
        alert?["message"] as? String ?? ""
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// After a good night, s2 has a key twice (a data error, never retried), so s3 waits
    /// behind it; o2 has a short row (a data error in an append table, holding nothing back).
    func stuckDimension(_ workspace: Workspace) throws {
        try workspace.write("landing/dim/s1.csv", "k,a\n1,x\n")
        try workspace.write("landing/orders/o1.csv", "id,v\n1,2\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/dim/s2.csv", "k,a\n1,y\n1,z\n")
        try workspace.write("landing/dim/s3.csv", "k,a\n1,w\n")
        try workspace.write("landing/orders/o2.csv", "id,v\n1,2,3\n")
        #expect(try workspace.lading("run").status == 1)
    }

    /// SPEC §2: held files make `run` exit 1, also in a run where nothing new failed.
    @Test func aRunWithHeldFilesExitsOne() throws {
        let workspace = try workspace()
        try stuckDimension(workspace)
        let again = try workspace.lading("run")
        #expect(again.status == 1, "s3 is held behind s2: \(again.stdout)")
        #expect(again.stdout.contains("1 file(s) wait: s2.csv FAILED"), "\(again.stdout)")
    }

    /// SPEC §8: `monitor` alerts on held files (critical: the table cannot advance by
    /// itself) and on FAILED files that will not be retried (warning), naming the command.
    @Test func monitorAlertsOnHeldFilesAndFailedFilesThatWillNotBeRetried() throws {
        let workspace = try workspace()
        try stuckDimension(workspace)
        let result = try workspace.lading("monitor", "--json")
        #expect(result.status == 1, "a stuck dimension is critical: \(result.stdout)")
        let report = json(result.stdout)
        #expect(report["status"] as? String == "critical")
        let alerts = report["alerts"] as? [[String: Any]] ?? []
        let held = alerts.filter { $0["name"] as? String == "held_files" }
        #expect(held.count == 1, "\(alerts)")
        #expect(held.first?["level"] as? String == "critical")
        #expect(held.first?["table"] as? String == "dim")
        #expect(held.first?["value"] as? Double == 1)
        #expect(held.first?["command"] as? String == "lading reset-state --failed-only --table dim --yes", "\(held)")
        #expect(message(held.first).contains("s2.csv"), "\(held)")
        let notRetried = alerts.filter { $0["name"] as? String == "failed_not_retried" }
        #expect(notRetried.count == 1, "dim's blocker is told once, by held_files: \(alerts)")
        #expect(notRetried.first?["level"] as? String == "warning")
        #expect(notRetried.first?["table"] as? String == "orders")
        #expect(notRetried.first?["command"] as? String == "lading reset-state --failed-only --table orders --yes", "\(notRetried)")
        #expect(message(notRetried.first).contains("data errors need a fix"), "\(notRetried)")
        let human = try workspace.lading("monitor")
        #expect(human.status == 1)
        #expect(human.stdout.contains("Status: CRITICAL"), "\(human.stdout)")
        #expect(human.stdout.contains("CRITICAL held_files") && human.stdout.contains("'lading reset-state --failed-only --table dim --yes'"), "\(human.stdout)")
        #expect(human.stdout.contains("WARNING failed_not_retried") && human.stdout.contains("--table orders"), "\(human.stdout)")
        // Fixed and reset: nothing left to say about either table.
        try workspace.write("landing/dim/s2.csv", "k,a\n1,y\n")
        try workspace.write("landing/orders/o2.csv", "id,v\n2,3\n")
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        let healed = json(try workspace.lading("monitor", "--json").stdout)
        let names = (healed["alerts"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(!names.contains("held_files") && !names.contains("failed_not_retried"), "\(names)")
    }

    /// A blocker the next run retries by itself holds files back only until then: a warning.
    @Test func filesHeldBehindARetryableFailureAreAWarning() throws {
        let workspace = try workspace()
        try workspace.write("landing/dim/s1.csv", "k,a\n1,x\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/dim/s2.csv", "k,a\n1,y\n1,z\n")
        try workspace.write("landing/dim/s3.csv", "k,a\n1,w\n")
        #expect(try workspace.lading("run").status == 1)
        try ConsistencyCLITests.sql(workspace, "state/tracker.sqlite",
            "UPDATE file_processing_tracker SET error_type = 'transient', retry_count = 1 WHERE status = 'FAILED'")
        let result = try workspace.lading("monitor", "--json")
        #expect(result.status == 0, "\(result.stdout)")
        let alerts = json(result.stdout)["alerts"] as? [[String: Any]] ?? []
        let held = alerts.filter { $0["name"] as? String == "held_files" }
        #expect(held.first?["level"] as? String == "warning", "\(alerts)")
        #expect(message(held.first).contains("the next run retries it"), "\(held)")
        #expect(!alerts.contains { $0["name"] as? String == "failed_not_retried" }, "\(alerts)")
    }

    /// With `order_by: modified_time` the held files are those modified after the
    /// blocker, whatever their names.
    @Test func heldFilesFollowTheTablesOrder() throws {
        let workspace = try workspace()
        let config = try String(contentsOfFile: workspace.url("lading.yaml"), encoding: .utf8)
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "primary_keys: [k]\n", with: "primary_keys: [k]\n    order_by: modified_time\n"))
        func snapshot(_ name: String, _ text: String, day: Double) throws {
            try workspace.write("landing/dim/" + name, text)
            try workspace.setModified("landing/dim/" + name, to: Date(timeIntervalSince1970: 1_767_225_600 + day * 86_400))
        }
        try snapshot("z_monday.csv", "k,a\n1,x\n", day: 0)
        #expect(try workspace.lading("run").status == 0)
        try snapshot("m_tuesday.csv", "k,a\n1,y\n1,z\n", day: 1)
        try snapshot("a_wednesday.csv", "k,a\n1,w\n", day: 2)
        #expect(try workspace.lading("run").status == 1)
        let alerts = json(try workspace.lading("monitor", "--json").stdout)["alerts"] as? [[String: Any]] ?? []
        let held = alerts.filter { $0["name"] as? String == "held_files" }
        #expect(held.count == 1 && message(held.first).contains("1 file(s) wait behind m_tuesday.csv"), "\(alerts)")
    }
}

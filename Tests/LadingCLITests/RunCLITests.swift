import Foundation
import LadingTestSupport
import Testing

@Suite struct RunCLITests {
    @Test func dryRunOnAFreshConfigWritesNothing() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        let result = try workspace.lading("run", "--dry-run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!workspace.exists("state"))
        #expect(!workspace.exists("warehouse.sqlite"))
        let lines = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let a = try #require(lines.firstIndex(of: workspace.url("landing/orders/a.csv")))
        let b = try #require(lines.firstIndex(of: workspace.url("landing/orders/b.csv")))
        #expect(a < b)
    }

    @Test func aFileIsRegisteredOnceHoweverOftenRunRuns() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        for _ in 0..<3 { #expect(try workspace.lading("run").status == 0) }
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM file_processing_tracker") == ["1"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM runs") == ["3"])
    }

    @Test func twoTablesMatchingOneFileGiveTwoRows() throws {
        let workspace = try Workspace()
        try workspace.write("landing/shared/a.csv", "id\n1\n")
        try workspace.write("lading.yaml", """
        tables:
          - table_name: first
            source_path: ./landing/shared
          - table_name: second
            source_path: ./landing/shared
        """)
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT table_name FROM file_processing_tracker ORDER BY 1") == ["first", "second"])
    }

    @Test func statusJSONHasTheLockCountsLastRunAndFailures() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["orders", "refunds"])
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        let before = try workspace.lading("status", "--json")
        #expect(before.status == 0, "\(before.stderr)")
        #expect(!workspace.exists("state"), "status must not create state")
        #expect(try workspace.lading("run").status == 0)
        let result = try workspace.lading("status", "--json")
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let lock = try #require(object["lock"] as? [String: Any])
        #expect(lock["state"] as? String == "absent")
        #expect(lock["alive"] as? Bool == false)
        let tables = try #require(object["tables"] as? [[String: Any]])
        #expect(tables.map { $0["table"] as? String } == ["orders", "refunds"])
        #expect(tables.first?["PENDING"] as? Int == 0)
        #expect(tables.first?["COMPLETED"] as? Int == 1)
        let lastRun = try #require(object["last_run"] as? [String: Any])
        #expect(lastRun["status"] as? String == "success")
        #expect(object["failed_files"] is [Any])
    }

    @Test func everyRunKeepsItsOwnReport() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        for _ in 0..<3 { #expect(try workspace.lading("run").status == 0) }
        let reports = try FileManager.default.contentsOfDirectory(atPath: workspace.url("state/reports")).filter { $0.hasPrefix("run_") && $0.hasSuffix(".json") }
        #expect(reports.count == 3, "\(reports)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: workspace.url("state/reports/" + reports.sorted()[0])))) as? [String: Any]
        #expect(report?["outcome"] as? String == "success")
    }

    @Test func theLogCanBeJSON() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let result = try workspace.lading("run", "--log-format", "json")
        #expect(result.status == 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil)
            #expect(object?["run_id"] != nil)
            #expect(object?["event"] != nil && object?["timestamp"] != nil)
        }
    }
}

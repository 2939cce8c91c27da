import Foundation
import LadingTestSupport
import Testing

/// history and monitor over a seeded series of runs.
@Suite struct ObservabilityCLITests {
    /// Runs relative to now: 6 successes, 2 partial runs that quarantined, 1 failure
    /// in the last 9 hours, and an old success outside a 24-hour window.
    func seededWorkspace(monitor: String, backend: TestBackend) throws -> Workspace {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig(extra: "monitor:\n" + monitor)
        #expect(try workspace.lading("run").status == 0)
        var sql = "DELETE FROM runs;"
        func run(_ id: String, hoursAgo: Double, status: String, loaded: Int, quarantined: Int, error: String? = nil) {
            func ago(_ seconds: Int) -> String {
                backend == .sqlite ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-\(seconds) seconds')"
                    : "to_char((now() - interval '\(seconds) seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
            }
            let start = ago(Int(hoursAgo * 3600))
            let end = ago(Int(hoursAgo * 3600) - 10)
            sql += """
                INSERT INTO runs (run_id, started_at, finished_at, status, pid, hostname, files_discovered, files_loaded, files_failed, rows_loaded, rows_quarantined, error_message)
                VALUES ('\(id)', \(start), \(end), '\(status)', 1, 'h', 2, \(status == "failed" ? 0 : 2), \(status == "success" ? 0 : 1), \(loaded), \(quarantined), \(error.map { "'\($0)'" } ?? "NULL"));
                """
        }
        for index in 1...6 { run("r\(index)", hoursAgo: Double(index), status: "success", loaded: 1000, quarantined: 0) }
        run("r7", hoursAgo: 7, status: "partial", loaded: 500, quarantined: 50)
        run("r8", hoursAgo: 8, status: "partial", loaded: 500, quarantined: 50)
        run("r9", hoursAgo: 9, status: "failed", loaded: 0, quarantined: 0, error: "disk full")
        run("r0", hoursAgo: 30, status: "success", loaded: 99, quarantined: 0)
        #expect(try workspace.change("state/tracker.sqlite", sql))
        return workspace
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test(arguments: TestBackend.allCases)
    func monitorReportsRatesAndRaisesTheConfiguredAlerts(backend: TestBackend) throws {
        let workspace = try seededWorkspace(monitor: "  max_failure_rate: 0.5\n  max_quarantine_rate: 0.01\n  max_hours_since_success: 26\n", backend: backend)
        let result = try workspace.lading("monitor", "--json")
        #expect(result.status == 1, "the quarantine rate is critical: \(result.stdout)")
        let report = json(result.stdout)
        #expect(report["runs"] as? Int == 9)
        #expect(report["successful_runs"] as? Int == 6)
        #expect(abs((report["failure_rate"] as? Double ?? 0) - 3.0 / 9.0) < 1e-9)
        #expect(abs((report["quarantine_rate"] as? Double ?? 0) - 100.0 / 7100.0) < 1e-9)
        #expect(report["rows_loaded"] as? Int == 7000)
        // 33% failed runs: above the warning tier (half of 50%), below the critical one.
        let alerts = (report["alerts"] as? [[String: Any]] ?? []).compactMap { alert in (alert["name"] as? String).map { "\($0):\(alert["level"] as? String ?? "")" } }
        #expect(alerts == ["failure_rate:warning", "quarantine_rate:critical"], "\(alerts)")
        let commands = (report["alerts"] as? [[String: Any]] ?? []).compactMap { $0["command"] as? String }
        #expect(commands == ["lading history --limit 20", "lading quarantine list"], "\(commands)")
        let hours = report["hours_since_last_success"] as? Double ?? 0
        #expect(hours > 0.99 && hours < 1.1)
        // The human form exits the same way.
        let human = try workspace.lading("monitor")
        #expect(human.status == 1)
        #expect(human.stdout.contains("CRITICAL quarantine_rate"))
    }

    @Test(arguments: TestBackend.allCases)
    func monitorIsQuietWhenThresholdsHoldAndCriticalWhenSuccessIsOld(backend: TestBackend) throws {
        let workspace = try seededWorkspace(monitor: "  max_failure_rate: 0.5\n  warn_failure_rate: 0.5\n  max_quarantine_rate: 0.05\n  max_hours_since_success: 26\n", backend: backend)
        let quiet = try workspace.lading("monitor", "--json")
        #expect(quiet.status == 0, "\(quiet.stdout)")
        #expect(json(quiet.stdout)["status"] as? String == "ok")
        let strict = try seededWorkspace(monitor: "  max_failure_rate: 0.2\n  max_quarantine_rate: 0.05\n  max_hours_since_success: 0.5\n", backend: backend)
        let alerts = (json(try strict.lading("monitor", "--json").stdout)["alerts"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(alerts == ["failure_rate", "hours_since_success"], "\(alerts)")
        // A window with no runs: no rates, but the last success is still an hour old.
        let narrow = json(try workspace.lading("monitor", "--json", "--hours", "0.5").stdout)
        #expect(narrow["runs"] as? Int == 0)
        #expect(narrow["failure_rate"] is NSNull)
    }

    /// SPEC §8: each figure has a warning and a critical tier; figures per table; open
    /// circuit breakers and interrupted runs alert, each alert with the command that helps.
    @Test(arguments: TestBackend.allCases)
    func monitorHasTwoTiersPerTableFiguresAndACommandPerAlert(backend: TestBackend) throws {
        let workspace = try seededWorkspace(monitor: "  max_failure_rate: 0.9\n  warn_failure_rate: 0.3\n  max_quarantine_rate: 0.05\n  warn_quarantine_rate: 0.01\n"
                                            + "  max_hours_since_success: 26\n  warn_hours_since_success: 0.5\n", backend: backend)
        let seed = """
            INSERT INTO run_files (run_id, table_name, file_path, status, records_read, rows_loaded, rows_quarantined) VALUES
                ('r7', 'orders', '/l/a.csv', 'completed', 550, 500, 50), ('r9', 'orders', '/l/b.csv', 'failed', 0, 0, 0);
            INSERT INTO runs (run_id, started_at, finished_at, status, pid, hostname, files_discovered, files_loaded, files_failed, rows_loaded, rows_quarantined)
                VALUES ('r10', '2000-01-01T00:00:00Z', '2000-01-01T00:00:01Z', 'interrupted', 1, 'h', 0, 0, 0, 0, 0);
            INSERT INTO circuit_breakers (table_name, opened_at, consecutive_failures, run_id) VALUES ('orders', '2026-11-30T00:00:00Z', 3, 'r9');
            """
        #expect(try workspace.change("state/tracker.sqlite", seed))
        let result = try workspace.lading("monitor", "--json")
        let report = json(result.stdout)
        let alerts = (report["alerts"] as? [[String: Any]] ?? []).map { "\($0["name"] as? String ?? ""):\($0["level"] as? String ?? ""):\($0["command"] as? String ?? "")" }
        #expect(alerts.contains("failure_rate:warning:lading history --limit 20"), "\(alerts)")
        #expect(alerts.contains("quarantine_rate:warning:lading quarantine list"), "\(alerts)")
        #expect(alerts.contains("hours_since_success:warning:lading status"), "\(alerts)")
        #expect(alerts.contains("circuit_breaker_open:warning:lading status"), "\(alerts)")
        #expect(result.status == 0, "only warnings: \(result.stdout)")
        let tables = report["tables"] as? [[String: Any]] ?? []
        let orders = tables.first { $0["table"] as? String == "orders" }
        #expect(orders?["rows_loaded"] as? Int == 500 && orders?["rows_quarantined"] as? Int == 50 && orders?["files_failed"] as? Int == 1, "\(tables)")
        let human = try workspace.lading("monitor")
        #expect(human.stdout.contains("Per table:") && human.stdout.contains("orders: 1 file(s) loaded, 1 failed, 500 rows, 50 quarantined"), "\(human.stdout)")
        // A warning tier above its critical one is a configuration error.
        try workspace.writeConfig(extra: "monitor:\n  max_failure_rate: 0.2\n  warn_failure_rate: 0.4\n")
        #expect(try workspace.lading("monitor").status == 78)
    }

    @Test(arguments: TestBackend.allCases)
    func historyListsRunsNewestFirstWithTheirOutcome(backend: TestBackend) throws {
        let workspace = try seededWorkspace(monitor: "  max_failure_rate: 0.5\n", backend: backend)
        let result = try workspace.lading("history", "--limit", "3", "--json")
        #expect(result.status == 0)
        let runs = json(result.stdout)["runs"] as? [[String: Any]] ?? []
        #expect(runs.compactMap { $0["run_id"] as? String } == ["r1", "r2", "r3"])
        #expect(runs.first?["outcome"] as? String == "success")
        #expect(abs((runs.first?["duration_seconds"] as? Double ?? 0) - 10) < 0.01)
        let all = try workspace.lading("history", "--limit", "50")
        #expect(all.stdout.contains("r9") && all.stdout.contains("failed") && all.stdout.contains("error: disk full"))
        #expect(try workspace.lading("history", "--limit", "0").status == 64)
    }
}

@Suite struct MetricsCLITests {
    /// The metrics file has SPEC §8's series and passes `promtool check metrics`.
    @Test(arguments: TestBackend.allCases)
    func theMetricsFileIsValidPrometheusText(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig(tables: ["orders", "we\"ird"], extra: "max_bad_record_ratio: 0.5\n")
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\n2\n3,ok\n")
        let result = try workspace.lading("run", "--metrics-file", "metrics/lading.prom")
        #expect(result.status == 0, "\(result.stderr)")
        let text = workspace.read("metrics/lading.prom") ?? ""
        for line in ["lading_rows_loaded_total{table=\"orders\"} 2", "lading_rows_quarantined_total{table=\"orders\"} 1",
                     "lading_files{table=\"orders\",status=\"COMPLETED\"} 1", "lading_circuit_breaker_open{table=\"we\\\"ird\"} 0", "lading_runs_total{outcome=\"success\"} 1", "lading_runs_total{outcome=\"refused\"} 0", "lading_warehouse_reachable 1"] {
            #expect(text.contains(line), "\(line) missing from:\n\(text)")
        }
        #expect(text.contains("lading_run_duration_seconds ") && text.contains("lading_last_success_timestamp_seconds "))
        // AtomicFile writes `<name>.tmp-<pid>` then renames: nothing of it may be left.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.url("metrics")).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        try Promtool.expectValid(text)
    }
}

/// `promtool check metrics` on a metrics text (make test installs Debian's prometheus).
enum Promtool {
    static func expectValid(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("NOTE: promtool is not installed (make test installs Debian's prometheus package when it can); skipped `promtool check metrics`")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool: \(report)", sourceLocation: sourceLocation)
    }
}

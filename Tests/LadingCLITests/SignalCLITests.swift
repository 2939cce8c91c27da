import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM (SPEC §4, §7): obeyed within a second, also during a retry backoff;
/// the current batch finishes or rolls back, the lock is released, a rerun completes.
@Suite struct SignalCLITests {
    /// Starts `lading run` with stderr going to a file the test can poll.
    func start(_ workspace: Workspace, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["run", "--config", workspace.url("lading.yaml")]
        process.currentDirectoryURL = URL(fileURLWithPath: workspace.path)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LADING_FAULT")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: workspace.url("stderr.log"), contents: nil)
        process.standardError = FileHandle(forWritingAtPath: workspace.url("stderr.log"))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls until `ready` holds (or 60 s pass, which fails the test).
    func wait(until ready: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<1_200 {
            if try ready() { return true }
            usleep(50_000)
        }
        return false
    }

    /// Issue 12, defect 11: a 10-minute backoff does not hold a SIGTERM.
    @Test func sigtermDuringARetryBackoffStopsTheRun() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "retry:\n  base_seconds: 600\n  max_seconds: 600\n  attempts_in_run: 3\n")
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        let process = try start(workspace, environment: ["LADING_INJECT_ERROR": "transient:a.csv"])
        #expect(wait { workspace.read("stderr.log")?.contains("transient error, retrying") == true })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(workspace.read("stderr.log") ?? "")")
        #expect(!workspace.exists("state/lading.lock"), "lock released")
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["1"])
    }

    /// SIGINT in the middle of a staged append and SIGTERM between SCD2 files: exit
    /// 130/143, lock released, and the rerun gives every row exactly once.
    @Test(arguments: [(SIGINT, Int32(130), TestBackend.sqlite), (SIGTERM, Int32(143), .sqlite), (SIGTERM, Int32(143), .postgres)])
    func aSignalMidLoadThenARerun(signal: Int32, expected: Int32, backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeLoadFixture()
        var big = "order_id,amount,note\n"
        for index in 0..<60_000 { big += "\(900_000 + index),1.5,\"big \(index)\"\n" }
        try workspace.write("landing/orders/orders_0_big.csv", big)
        // The run pauses after its 20th checkpoint (the big file sorts first): the signal
        // lands in the middle of a staged load on any machine.
        let process = try start(workspace, environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "20"])
        #expect(wait { workspace.read("stderr.log")?.contains("test pause at checkpoint") == true })
        #expect(try workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial'") == ["1"])
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == expected, "\(workspace.read("stderr.log") ?? "")")
        #expect(!workspace.exists("state/lading.lock"))
        let history = try workspace.lading("history", "--json")
        #expect(history.stdout.contains("\"failed\"") || history.stdout.contains("\"interrupted\""), "\(history.stdout)")
        #expect(try workspace.lading("run").status == 0)
        try workspace.expectInvariants(completeLoads: 9)
        #expect(try workspace.query("SELECT count(*), count(DISTINCT order_id) FROM orders WHERE note LIKE 'big %'") == ["60000|60000"])
    }
}

/// SPEC §4: a file changed between discovery and load is recorded as read.
@Suite struct ChangedDuringRunCLITests {
    @Test func aFileAppendedToAfterDiscoveryIsRecordedAsRead() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id,name\n1,a\n2,b\n")
        let signals = SignalCLITests()
        let process = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AFTER_DISCOVERY_SECONDS": "2"])
        #expect(signals.wait { workspace.read("stderr.log")?.contains("test pause after discovery") == true })
        let handle = try #require(FileHandle(forWritingAtPath: workspace.url("landing/orders/a.csv")))
        handle.seekToEndOfFile()
        handle.write(Data("3,c\n".utf8))
        handle.closeFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(workspace.read("stderr.log") ?? "")")
        let digest = try shaOf(workspace.url("landing/orders/a.csv"))
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders ORDER BY id") == ["1", "2", "3"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT content_sha256, records_read FROM _lading_loads") == ["\(digest)|3"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT content_sha256 FROM file_processing_tracker") == [digest])
        let health = try workspace.lading("validate-consistency")
        #expect(health.status == 0, "no false change: \(health.stdout)")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["3"])
    }

    func shaOf(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}

/// SIGTERM while SCD2 snapshots are being applied: the file in progress rolls back
/// whole, the run stops (143), and the rerun's history equals loading all at once.
@Suite struct SignalDuringSCD2CLITests {
    @Test func sigtermBetweenSnapshotsThenRerunGivesTheSameHistory() throws {
        func write(_ workspace: Workspace) throws {
            try workspace.write("lading.yaml", """
                state_dir: ./state
                tables:
                  - table_name: dim
                    source_path: ./landing/dim
                    loading_strategy: scd2
                    primary_keys: [id]
                    scd2_deletes: close
                """)
            for day in 1...6 {
                var text = "id,value\n"
                for id in 0..<15_000 where (id + day) % 29 != 0 { text += "\(id),v\(id % (day + 3))\n" }
                try workspace.write("landing/dim/d_\(day).csv", text)
            }
        }
        let workspace = try Workspace()
        try write(workspace)
        let signals = SignalCLITests()
        let process = try signals.start(workspace)
        #expect(signals.wait { (try? workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_loads")).map { $0 != ["0"] && !$0.isEmpty } == true })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143, "\(workspace.read("stderr.log") ?? "")")
        let applied = try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_loads")
        #expect(applied != ["6"], "stopped before the last snapshot (applied \(applied))")
        #expect(try workspace.lading("run").status == 0)
        let reference = try Workspace()
        try write(reference)
        #expect(try reference.lading("run").status == 0)
        let shape = "SELECT id, value, is_current, end_date IS NULL FROM dim ORDER BY id, effective_date"
        #expect(try workspace.sqlite("warehouse.sqlite", shape) == reference.sqlite("warehouse.sqlite", shape))
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SPEC §2 exit 74: a full disk, a read-only state folder or warehouse, an unwritable
/// `-shm` left by an earlier run: the message names the path, nothing is half-written.
@Suite struct IOErrorCLITests {
    @Test func aWarehouseThatFillsUpMidLoadExits74AndKeepsWhatWasCommitted() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "batch_size: 500\n")
        try workspace.write("landing/orders/a.csv", "id,note\n1,first\n")
        #expect(try workspace.lading("run").status == 0)
        let pages = Int(try workspace.sqlite("warehouse.sqlite", "PRAGMA page_count").first ?? "0") ?? 0
        var big = "id,note\n"
        for index in 0..<20_000 { big += "\(index + 10),\(String(repeating: "x", count: 60))\n" }
        try workspace.write("landing/orders/b.csv", big)
        let full = try workspace.lading("run", environment: ["LADING_TEST_WAREHOUSE_MAX_PAGES": "\(pages + 8)"])
        #expect(full.status == 74, "\(full.stderr)")
        #expect(full.stderr.contains("is full") && full.stderr.contains(workspace.url("warehouse.sqlite")), "\(full.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders") == ["1"], "nothing of b.csv")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, retry_count FROM file_processing_tracker WHERE file_path LIKE '%b.csv'") == ["PENDING|0"])
        #expect(!workspace.exists("state/lading.lock"))
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["20001"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test func aStateFolderThatCannotBeWrittenExits74NamingIt() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try FileManager.default.createDirectory(atPath: workspace.url("state"), withIntermediateDirectories: true)
        let user = try NightTroubleCLITests().asUser(workspace)
        // The state folder stays root's: the unprivileged run cannot write in it.
        if !user.isEmpty { chown(workspace.url("state"), 0, 0) } else { chmod(workspace.url("state"), 0o555) }
        let run = try CLI.run(user + ["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                              executable: user.isEmpty ? CLI.binary : "/usr/bin/setpriv")
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains(workspace.url("state")), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.url("state")).isEmpty)
    }

    @Test func aReadOnlyShmLeftByAnEarlierRunIsNamed() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        // A run killed as root leaves the tracker's -shm behind.
        let killed = try workspace.lading("run", environment: ["LADING_FAULT": "after-claim"])
        #expect(killed.killed)
        #expect(workspace.exists("state/tracker.sqlite-shm"))
        let user = try NightTroubleCLITests().asUser(workspace)
        if !user.isEmpty { chown(workspace.url("state/tracker.sqlite-shm"), 0, 0) }
        chmod(workspace.url("state/tracker.sqlite-shm"), 0o444)
        let run = try CLI.run(user + ["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                              executable: user.isEmpty ? CLI.binary : "/usr/bin/setpriv")
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains("tracker.sqlite-shm"), "\(run.stderr)")
    }
}

/// SPEC §2: a warehouse found corrupt in the middle of a run stops the run (exit 70)
/// instead of failing file after file while writing on.
@Suite struct CorruptMidRunCLITests {
    @Test func aWarehouseCorruptedDuringARunStopsIt() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["orders", "items"])
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        try workspace.write("landing/items/i.csv", "id\n3\n")
        let signals = SignalCLITests()
        let process = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AFTER_DISCOVERY_SECONDS": "1"])
        #expect(signals.wait { workspace.read("stderr.log")?.contains("test pause after discovery") == true })
        // Garble every page after the first (the schema page stays readable).
        let handle = try #require(FileHandle(forUpdatingAtPath: workspace.url("warehouse.sqlite")))
        let size = handle.seekToEndOfFile()
        handle.seek(toFileOffset: 16_384)
        handle.write(Data(repeating: 0xA5, count: Int(size) - 16_384))
        handle.closeFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 70, "\(workspace.read("stderr.log") ?? "")")
        let failed = try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM file_processing_tracker WHERE status = 'FAILED'")
        #expect(failed == ["0"], "no file is blamed for the warehouse's damage")
        #expect(!workspace.exists("state/lading.lock"))
    }
}

import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SPEC §4 "what a night can throw at a run": one table's trouble never stops the
/// others; the run exits 1 and says which table or file failed and why.
@Suite struct NightTroubleCLITests {
    /// Issue 12, defect 10: a missing landing folder fails its table only.
    @Test func aMissingSourceFolderFailsOnlyItsTable() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["orders", "items"])
        try workspace.write("landing/items/i.csv", "id\n1\n")
        try FileManager.default.removeItem(atPath: workspace.url("landing/orders"))
        let run = try workspace.lading("run")
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("TABLE FAILED") && run.stdout.contains("landing/orders"), "\(run.stdout)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM items") == ["1"])
        let history = try workspace.lading("history")
        #expect(history.stdout.contains("partial") && history.stdout.contains("landing/orders"), "\(history.stdout)")
        let status = try workspace.lading("status", "--json")
        #expect(status.stdout.contains("landing/orders"), "\(status.stdout)")
        let monitor = try workspace.lading("monitor", "--json")
        #expect(monitor.stdout.contains("partial") || monitor.stdout.contains("failure"), "\(monitor.stdout)")
        // The folder comes back: the next run loads it.
        try workspace.write("landing/orders/o.csv", "id\n7\n")
        #expect(try workspace.lading("run").status == 0)
    }

    /// A file gone between discovery and its load fails alone (transient, retried).
    @Test func aFileGoneBeforeItsLoadFailsAlone() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["orders", "items"])
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        try workspace.write("landing/items/i.csv", "id\n3\n")
        let signals = SignalCLITests()
        let process = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AFTER_DISCOVERY_SECONDS": "1"])
        #expect(signals.wait { workspace.read("stderr.log")?.contains("test pause after discovery") == true })
        try FileManager.default.removeItem(atPath: workspace.url("landing/orders/a.csv"))
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "\(workspace.read("stderr.log") ?? "")")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders") == ["2"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM items") == ["3"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, error_type FROM file_processing_tracker WHERE file_path LIKE '%a.csv'") == ["FAILED|transient"])
    }

    /// An unreadable file (permissions; the run as an unprivileged user) fails alone as a
    /// `system` error; the rest of its table and the other tables load.
    @Test func anUnreadableFileFailsAloneAsASystemError() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["orders", "items"])
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        try workspace.write("landing/items/i.csv", "id\n3\n")
        chmod(workspace.url("landing/orders/a.csv"), 0)
        let user = try asUser(workspace)
        let run = try CLI.run(user + ["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                              executable: user.isEmpty ? CLI.binary : "/usr/bin/setpriv")
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders") == ["2"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM items") == ["3"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, error_type FROM file_processing_tracker WHERE file_path LIKE '%a.csv'") == ["FAILED|system"])
    }

    /// The arguments that run the binary as `nobody` when the tests run as root (the
    /// workspace handed to that user), so permissions really deny; none otherwise.
    func asUser(_ workspace: Workspace) throws -> [String] {
        guard getuid() == 0 else { return [] }
        let chown = Process()
        chown.executableURL = URL(fileURLWithPath: "/bin/chown")
        chown.arguments = ["-R", "nobody:nogroup", workspace.path]
        try chown.run()
        chown.waitUntilExit()
        return ["--reuid=nobody", "--regid=nogroup", "--clear-groups", CLI.binary]
    }
}

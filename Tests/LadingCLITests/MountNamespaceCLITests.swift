import Foundation
import LadingTestSupport
import Testing

/// Situations only a mount can make, each in a private mount namespace (`unshare -m`,
/// as root, which the tests run as): nothing outside the test's own process sees the
/// mount, and it ends with it.
@Suite struct MountNamespaceCLITests {
    /// `lading run` inside a new mount namespace after `mounts` (shell lines).
    func runAfterMounting(_ mounts: [String], in workspace: Workspace) throws -> CLIResult {
        let quoted = [CLI.binary, "run", "--config", workspace.url("lading.yaml")].map { "'" + $0 + "'" }.joined(separator: " ")
        let script = (mounts + ["exec " + quoted]).joined(separator: " && ")
        return try CLI.run(["-m", "sh", "-c", script], in: workspace.path, executable: "/usr/bin/unshare")
    }

    /// SPEC §4: two paths to one file load it once. A bind mount gives one file (one
    /// name, the same device and inode) a second path, with no link to give it away.
    @Test func aFileBindMountedAtASecondPathLoadsOnce() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: orders
                source_path: ./landing
                file_pattern: "**/*.csv"
            """)
        try workspace.write("landing/a/one.csv", "id,val\n1,x\n")
        try FileManager.default.createDirectory(atPath: workspace.url("landing/b"), withIntermediateDirectories: true)
        let run = try runAfterMounting(["mount --bind '\(workspace.url("landing/a"))' '\(workspace.url("landing/b"))'"], in: workspace)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["1"])
        #expect(run.stderr.contains("another path to"), "\(run.stderr)")
    }

    /// libcrypto is loaded when the first file is hashed. Missing, it is no file's fault:
    /// the run stops with exit 70 and a message naming it, the files stay loadable with
    /// no attempt counted, and they load once it is back.
    @Test func aMissingLibcryptoStopsTheRunAndCountsNoAttempt() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        try workspace.write("empty.so", "")
        let library = try #require(["/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "/usr/lib/aarch64-linux-gnu/libcrypto.so.3"]
            .first { FileManager.default.fileExists(atPath: $0) }, "libcrypto.so.3 not found where Debian puts it")
        for _ in 0..<2 {
            let run = try runAfterMounting(["mount --bind '\(workspace.url("empty.so"))' '\(library)'"], in: workspace)
            #expect(run.status == 70, "\(run.stdout)\n\(run.stderr)")
            #expect(run.stderr.contains("libcrypto.so.3") && run.stderr.contains("apt-get install libssl3"), "\(run.stderr)")
        }
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM file_processing_tracker WHERE status = 'FAILED' OR retry_count > 0") == ["0"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM sqlite_master WHERE name = 'orders'") == ["0"])
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders ORDER BY id") == ["1", "2"])
    }
}

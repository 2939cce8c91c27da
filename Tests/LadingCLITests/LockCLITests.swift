import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct LockCLITests {
    static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func lockJSON(pid: Int32, timeoutAt: String = "2999-01-01T00:00:00.000000Z", host: String = hostname) -> String {
        """
        {"acquired_at":"2026-11-23T01:00:00.000000Z","hostname":"\(host)","lock_name":"lading-run","pid":\(pid),"run_id":"held-by-test","timeout_at":"\(timeoutAt)"}
        """
    }

    /// A pid that certainly does not run: a child we started and reaped.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func aLiveLockMakesRunExit75AtOnceAndChangesNothing() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try workspace.write("state/lading.lock", Self.lockJSON(pid: getpid()))
        let started = Date()
        let result = try workspace.lading("run")
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("pid \(getpid())"))
        #expect(Date().timeIntervalSince(started) < 30, "it must not wait for the lock")
        #expect(!workspace.exists("state/tracker.sqlite"))
        #expect(workspace.read("state/lading.lock") == Self.lockJSON(pid: getpid()))
    }

    @Test func aDeadHoldersLockIsTakenOverWithAWarning() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let dead = try Self.deadPID()
        try workspace.write("state/lading.lock", Self.lockJSON(pid: dead))
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("stale lock"))
        #expect(result.stderr.contains("\(dead)"))
        #expect(!workspace.exists("state/lading.lock"), "the run releases the lock it took over")
    }

    @Test func aLockPastItsTimeoutIsTakenOver() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("state/lading.lock", Self.lockJSON(pid: getpid(), timeoutAt: "2001-01-01T00:00:00.000000Z"))
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("stale lock"))
    }

    @Test func eightRunsRacingForAStaleLockLetExactlyOneThrough() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        #expect(try workspace.lading("run").status == 0, "a first run creates the tracker the refusals are counted in")
        try workspace.write("state/lading.lock", Self.lockJSON(pid: try Self.deadPID()))
        let environment = ["LADING_TEST_HOLD_LOCK_SECONDS": "3"]
        let started = try (0..<8).map { _ in
            try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path, environment: environment)
        }
        let results = started.map { CLI.finish($0.0, $0.1, $0.2) }
        let statuses = results.map(\.status).sorted()
        #expect(statuses == [0, 75, 75, 75, 75, 75, 75, 75], "\(results.map(\.stderr))")
        #expect(results.filter { $0.stderr.contains("took over a stale lock") }.count == 1)
        // One run ran; each refusal is counted as such (SPEC §4), never as a run.
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM runs WHERE status != 'refused'") == ["2"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM runs WHERE status = 'refused'") == ["7"])
    }

    @Test func forceUnlockWithYesRemovesTheLock() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("state/lading.lock", Self.lockJSON(pid: getpid()))
        let result = try workspace.lading("force-unlock", "--yes")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("pid \(getpid())"))
        #expect(!workspace.exists("state/lading.lock"))
    }

    @Test func forceUnlockWithoutATerminalOrYesRefusesWith64() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("state/lading.lock", Self.lockJSON(pid: getpid()))
        let result = try workspace.lading("force-unlock")
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--yes"))
        #expect(workspace.read("state/lading.lock") == Self.lockJSON(pid: getpid()))
    }

    @Test func aRunKilledWhileHoldingTheLockLeavesALockTheNextRunTakesOver() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let crashed = try workspace.lading("run", environment: ["LADING_FAULT": "after-lock-written"])
        #expect(crashed.killed)
        #expect(workspace.exists("state/lading.lock"))
        let status = try workspace.lading("status", "--json")
        #expect(status.stdout.contains("\"stale\""))
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("stale lock"))
        #expect(!workspace.exists("state/lading.lock"))
    }

    @Test func aRunKilledBetweenTruncateAndWriteLeavesAnEmptyLockThatIsFree() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let crashed = try workspace.lading("run", environment: ["LADING_FAULT": "lock-truncated"])
        #expect(crashed.killed)
        #expect(workspace.read("state/lading.lock") == "")
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(rerun.stderr)")
    }
}

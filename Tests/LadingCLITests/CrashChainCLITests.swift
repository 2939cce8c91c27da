import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A resumed run can crash too: chains of crashes at fault points and at random
/// instants, each followed by a clean run, must keep I1–I4 on contents.
@Suite struct CrashChainCLITests {
    /// Every documented fault point.
    static let faults = [
        "lock-truncated", "after-lock-written", "after-register", "after-claim", "after-batch-commit", "before-final-commit",
        "after-final-commit", "after-tracker-complete", "mid-scd2-apply", "during-tracker-rebuild", "before-lock-release",
        "after-batch-commit:3",
    ]

    /// Issue 12, defect 1 exactly: a crash before the final commit (staging holds the
    /// whole file), then a crash after a checkpoint commit of the resumed run. The
    /// resume used to rewrite the checkpoint to 0 from its empty batch, and the third
    /// run staged the file a second time: 2× the rows, and a ledger agreeing with them.
    @Test func aCheckpointNeverMovesBackAfterTwoCrashes() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "batch_size: 500\n")
        var text = "id,value\n"
        for index in 1...2_000 { text += "\(index),v\(index)\n" }
        try workspace.write("landing/orders/big.csv", text)
        let first = try workspace.lading("run", environment: ["LADING_FAULT": "before-final-commit"])
        #expect(first.killed)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT status, checkpoint FROM _lading_loads") == ["partial|2000"])
        _ = try workspace.lading("run", environment: ["LADING_FAULT": "after-batch-commit"])
        let checkpoint = try workspace.sqlite("warehouse.sqlite", "SELECT checkpoint FROM _lading_loads")
        #expect(checkpoint == ["2000"], "the checkpoint moved back")
        let last = try workspace.lading("run")
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM orders") == ["2000|2000|1|2000"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT records_read, rows_loaded FROM _lading_loads") == ["2000|2000"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    static let pairs: [String] = faults.flatMap { first in faults.map { "\(first) > \($0)" } }

    /// Every ordered pair of fault points on an append and an SCD2 table (a chain of two
    /// crashes), then a clean run: contents exactly as the files say.
    @Test(arguments: pairs)
    func twoCrashesInARowThenARun(chain: String) throws {
        try crashChain(chain.components(separatedBy: " > "), label: chain)
    }

    /// Sampled triples (seeded; `LADING_TEST_SEED` replays one).
    @Test func threeCrashesInARowThenARun() throws {
        let seed = TestSeed.value(default: 12_003)
        var random = SplitMix64(seed: seed)
        for trial in 0..<12 {
            let chain = (0..<3).map { _ in Self.faults.randomElement(using: &random) ?? "after-claim" }
            try crashChain(chain, label: "seed \(seed) trial \(trial): \(chain.joined(separator: " > "))")
        }
    }

    private func crashChain(_ chain: [String], label: String) throws {
        let workspace = try Workspace()
        try workspace.writeLoadFixture()
        for fault in chain {
            _ = try workspace.lading("run", environment: ["LADING_FAULT": fault])
        }
        var clean = try workspace.lading("run")
        let failures = try workspace.sqlite("state/tracker.sqlite", "SELECT error_message FROM file_processing_tracker WHERE status = 'FAILED'")
        if !failures.isEmpty {
            // A file killed in every run of the chain used up its retries (each dead run
            // counts one attempt, so a poison file stops being retried): that is the only
            // acceptable failure, and an operator reset loads it.
            #expect(failures.allSatisfy { $0.contains("died while loading it") }, "\(label): \(failures) \(clean.stdout)")
            #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
            clean = try workspace.lading("run")
        }
        #expect(clean.status == 0, "\(label): \(clean.stderr)")
        try workspace.expectInvariants()
    }

    /// `kill -9` at instants spread over a whole load (0 to the measured length of an
    /// uninterrupted run), twice in a row (the resumed run dies too), then a clean run.
    /// 12 trials on SQLite, 20 on PostgreSQL (issue 14 asks for at least 20 there).
    @Test(arguments: TestBackend.allCases)
    func killNineTwiceAtRandomInstantsThenRun(backend: TestBackend) throws {
        try killNineTrials(backend: backend, trials: backend == .sqlite ? 12 : 20, seed: TestSeed.value(default: 9_090))
    }

    /// The same with every file loading straight into its table (`direct_load_max_mb`):
    /// a kill inside a file's one transaction must leave nothing of it.
    @Test(arguments: TestBackend.allCases)
    func killNineTwiceDuringDirectLoadsThenRun(backend: TestBackend) throws {
        try killNineTrials(backend: backend, trials: 8, seed: TestSeed.value(default: 9_191), top: "direct_load_max_mb: 1\n")
    }

    private func killNineTrials(backend: TestBackend, trials: Int, seed: UInt64, top: String = "") throws {
        var random = SplitMix64(seed: seed)
        func fixture() throws -> Workspace {
            let workspace = try Workspace.make(backend)
            try workspace.writeLoadFixture(top: top)
            return workspace
        }
        let measured = try fixture()
        let started = Date()
        #expect(try measured.lading("run").status == 0)
        let duration = max(Date().timeIntervalSince(started), 0.05)
        for trial in 0..<trials {
            let workspace = try fixture()
            var log: [String] = []
            for kill in 0..<2 {
                let delay = Double.random(in: 0...duration, using: &random)
                log.append("kill \(kill) after \(String(format: "%.3f", delay)) s of \(String(format: "%.3f", duration)) s")
                let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path)
                usleep(UInt32(delay * 1_000_000))
                Glibc.kill(process.processIdentifier, SIGKILL)
                _ = CLI.finish(process, out, err)
            }
            let rerun = try workspace.lading("run")
            #expect(rerun.status == 0, "\(backend) seed \(seed) trial \(trial) \(log): \(rerun.stderr)")
            try workspace.expectInvariants()
        }
    }
}

/// A file that kills every run that reads it (a poison file) must not stop every
/// later run: each dead run's attempt counts, so it ends FAILED after retry_attempts.
@Suite struct PoisonFileCLITests {
    @Test func aFileThatCrashesEveryRunEndsFailedAndTheRestLoad() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "retry_attempts: 2\n")
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        for attempt in 0..<2 {
            let crashed = try workspace.lading("run", environment: ["LADING_FAULT": "after-claim"])
            #expect(crashed.killed, "attempt \(attempt)")
        }
        let last = try workspace.lading("run")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, retry_count FROM file_processing_tracker WHERE file_path LIKE '%a.csv'") == ["FAILED|2"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders") == ["2"], "\(last.stderr)")
        let health = try workspace.lading("validate-consistency")
        #expect(health.status == 1 && health.stdout.contains("died while loading it"), "\(health.stdout)")
    }
}

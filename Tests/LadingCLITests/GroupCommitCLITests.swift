import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Small append files share one warehouse transaction, a savepoint each (issue 18).
/// Crashes at every fault point of a group, chains of them, a failing file inside a
/// group and a staged file between groups: afterwards every row is there exactly once,
/// by contents, and tracker, ledger and warehouse agree (I1–I3).
@Suite struct GroupCommitCLITests {
    static let files = 40
    static let rowsPerFile = 5

    func writeSmallFiles(_ workspace: Workspace, extra: String = "", warehouseExtra: String = "") throws {
        try workspace.writeConfig(extra: "retry_attempts: 3\n" + extra, tableExtra: "    columns: {id: integer, v: text}\n", warehouseExtra: warehouseExtra)
        for file in 0..<Self.files {
            let rows = (0..<Self.rowsPerFile).map { "\(file * Self.rowsPerFile + $0),f\(file)-r\($0)\n" }.joined()
            try workspace.write(String(format: "landing/orders/part_%03d.csv", file), "id,v\n" + rows)
        }
    }

    /// The rows every file says, by contents: id, value and the file they came from.
    func expectedRows(_ workspace: Workspace, files: Range<Int> = 0..<files) -> [String] {
        files.flatMap { file in
            (0..<Self.rowsPerFile).map { row in
                "\(file * Self.rowsPerFile + row)|f\(file)-r\(row)|" + workspace.url(String(format: "landing/orders/part_%03d.csv", file))
            }
        }.sorted()
    }

    func rows(_ workspace: Workspace) throws -> [String] {
        try workspace.sqlite("warehouse.sqlite", "SELECT id, v, _source_file FROM orders ORDER BY id").sorted()
    }

    /// After a crash, before any rerun: the warehouse holds whole files or nothing of
    /// one, each with its complete ledger row (readers never see half a file).
    func expectWholeFilesOnly(_ workspace: Workspace, _ label: String) throws {
        guard try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM sqlite_master WHERE name = 'orders'") == ["1"] else { return }
        let perFile = try workspace.sqlite("warehouse.sqlite", """
            SELECT o.n, coalesce(l.status, 'none'), coalesce(l.rows_loaded, -1)
            FROM (SELECT _source_file AS f, count(*) AS n FROM orders GROUP BY _source_file) o
            LEFT JOIN _lading_loads l ON l.source_file = o.f
            """)
        for line in perFile {
            #expect(line == "\(Self.rowsPerFile)|complete|\(Self.rowsPerFile)", "\(label): a file's rows without its whole ledger row: \(line)")
        }
    }

    func expectEverythingOnce(_ workspace: Workspace, _ label: String) throws {
        #expect(try rows(workspace) == expectedRows(workspace), "\(label): rows differ from the files")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_loads WHERE status = 'complete' AND rows_loaded = \(Self.rowsPerFile)")
                == ["\(Self.files)"], "\(label): ledger")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, count(*) FROM file_processing_tracker GROUP BY status")
                == ["COMPLETED|\(Self.files)"], "\(label): tracker")
        let health = try workspace.lading("validate-consistency")
        #expect(health.status == 0, "\(label): \(health.stdout)")
    }

    static let faults = ["between-group-files", "between-group-files:17", "before-final-commit:9", "after-final-commit:12",
                         "after-tracker-complete:30", "after-claim:25"]

    @Test(arguments: faults)
    func aCrashInsideAGroupLosesOnlyUncommittedWork(fault: String) throws {
        let workspace = try Workspace()
        try writeSmallFiles(workspace)
        let crashed = try workspace.lading("run", environment: ["LADING_FAULT": fault])
        #expect(crashed.killed, "\(fault) should have killed the run: \(crashed.stderr)")
        try expectWholeFilesOnly(workspace, fault)
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(fault): \(rerun.stderr)")
        try expectEverythingOnce(workspace, fault)
    }

    /// A resumed run can crash too: seeded chains of three crashes at group fault points
    /// (with random hit counts), then a clean run. `LADING_TEST_SEED` replays one.
    @Test func chainsOfCrashesInsideGroupsThenARun() throws {
        let seed = TestSeed.value(default: 18_004)
        var random = SplitMix64(seed: seed)
        let points = ["between-group-files", "before-final-commit", "after-final-commit", "after-tracker-complete", "after-claim"]
        for trial in 0..<8 {
            let workspace = try Workspace()
            try writeSmallFiles(workspace)
            var log: [String] = []
            for _ in 0..<3 {
                let fault = "\(points.randomElement(using: &random) ?? "after-claim"):\(Int.random(in: 1...Self.files, using: &random))"
                let result = try workspace.lading("run", environment: ["LADING_FAULT": fault])
                log.append("\(fault) -> \(result.killed ? "killed" : "exit \(result.status)")")
                try expectWholeFilesOnly(workspace, "seed \(seed) trial \(trial) \(log)")
            }
            var clean = try workspace.lading("run")
            if try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM file_processing_tracker WHERE status = 'FAILED'") != ["0"] {
                // Only a file killed in every run may use up its retries; a reset loads it.
                let failures = try workspace.sqlite("state/tracker.sqlite", "SELECT error_message FROM file_processing_tracker WHERE status = 'FAILED'")
                #expect(failures.allSatisfy { $0.contains("died while loading it") }, "seed \(seed) trial \(trial) \(log): \(failures)")
                #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
                clean = try workspace.lading("run")
            }
            #expect(clean.status == 0, "seed \(seed) trial \(trial) \(log): \(clean.stderr)")
            try expectEverythingOnce(workspace, "seed \(seed) trial \(trial) \(log)")
        }
    }

    /// A crash inside a group counts an attempt for each of its files (reconcile cannot
    /// tell which one killed the run). Files with an attempt then load alone, so a run
    /// that dies at the same point of every group still gets further each time, and no
    /// innocent group-mate reaches `retry_attempts` (3) and FAILED.
    @Test func filesOfACrashedGroupLoadAloneNextTime() throws {
        let workspace = try Workspace()
        try writeSmallFiles(workspace)
        var completed: [Int] = []
        for attempt in 0..<5 {
            let crashed = try workspace.lading("run", environment: ["LADING_FAULT": "between-group-files:2"])
            #expect(crashed.killed, "run \(attempt)")
            completed.append(Int(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM file_processing_tracker WHERE status = 'COMPLETED'").first ?? "0") ?? 0)
        }
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM file_processing_tracker WHERE status = 'FAILED'") == ["0"])
        #expect(zip(completed, completed.dropFirst()).allSatisfy { $0 < $1 }, "each run gets further: \(completed)")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT max(retry_count) FROM file_processing_tracker") == ["1"])
        #expect(try workspace.lading("run").status == 0)
        try expectEverythingOnce(workspace, "after five crashed runs")
    }

    /// A signal while the group's commit waits for a reader (SHARED lock) to let go
    /// stops the run: the group rolls back and its files stay PENDING with no attempt
    /// (found by an adversarial pass: the commit kept retrying, then blamed the files).
    @Test func aSignalWhileAGroupCommitWaitsForAReaderStopsTheRunAndBlamesNoFile() throws {
        let workspace = try Workspace()
        try writeSmallFiles(workspace, extra: "retry:\n  base_seconds: 600\n  max_seconds: 600\n  attempts_in_run: 3\n",
                            warehouseExtra: "  busy_timeout_seconds: 0.5\n")
        #expect(try workspace.lading("run", "--max-files", "1").status == 0)
        let reader = try WriterHolder(database: workspace.url("warehouse.sqlite"), shared: true)
        let signals = SignalCLITests()
        let process = try signals.start(workspace)
        #expect(signals.wait { workspace.read("stderr.log")?.contains("retrying the commit of a group of small files") == true })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        reader.release()
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(workspace.read("stderr.log") ?? "")")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, max(retry_count), count(*) FROM file_processing_tracker GROUP BY status ORDER BY status")
                == ["COMPLETED|0|1", "PENDING|0|\(Self.files - 1)"])
        #expect(try rows(workspace) == expectedRows(workspace, files: 0..<1))
        #expect(try workspace.lading("run").status == 0)
        try expectEverythingOnce(workspace, "after the signal")
    }

    /// One bad file in the middle of a group fails alone: its savepoint rolls back, the
    /// files before and after it in the same transaction commit.
    @Test func aFailingFileInsideAGroupRollsBackAlone() throws {
        let workspace = try Workspace()
        try writeSmallFiles(workspace)
        try workspace.write("landing/orders/part_020.csv", "id,v\n100,f20-r0\nnot-a-number,f20-r1\n")
        let run = try workspace.lading("run")
        #expect(run.status == 1, "\(run.stdout)")
        #expect(try rows(workspace) == (expectedRows(workspace, files: 0..<20) + expectedRows(workspace, files: 21..<Self.files)).sorted())
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT file_path FROM file_processing_tracker WHERE status = 'FAILED'")
                == [workspace.url("landing/orders/part_020.csv")])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_loads WHERE source_file LIKE '%part_020.csv'") == ["0"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_loads WHERE status = 'complete'") == ["\(Self.files - 1)"])
    }

    /// A file that needs staging commits the open group first, so its checkpoints are
    /// durable on their own: a crash after its second checkpoint keeps the small files
    /// before it and resumes it from record 200.
    @Test func aStagedFileCommitsTheGroupBeforeItsCheckpoints() throws {
        let workspace = try Workspace()
        try writeSmallFiles(workspace, extra: "batch_size: 100\n")
        let big = (0..<450).map { "\(10_000 + $0),big-\($0)\n" }.joined()
        try workspace.write("landing/orders/part_010_big.csv", "id,v\n" + big)
        let crashed = try workspace.lading("run", environment: ["LADING_FAULT": "after-batch-commit:2"])
        #expect(crashed.killed)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_loads WHERE status = 'complete'") == ["11"],
                "part_000 to part_010 were committed before the big file's checkpoints")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT status, checkpoint FROM _lading_loads WHERE source_file LIKE '%big.csv'") == ["partial|200"])
        let rerun = try workspace.lading("run", "--json")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("\"resumed\" : true"))
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*), count(DISTINCT id) FROM orders WHERE id >= 10000") == ["450|450"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders WHERE id < 10000") == ["\(Self.files * Self.rowsPerFile)"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

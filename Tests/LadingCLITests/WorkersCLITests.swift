import Foundation
import Testing
import LadingTestSupport
import LadingSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several workers on PostgreSQL (issue 15, SPEC §9): `lading run` processes started at
/// once share the files through leases, apply an SCD2 table one worker at a time and in
/// order, take a killed worker's file over from its checkpoint, fence a worker that
/// lost its lease, and keep recovery commands out while any of them is live.
@Suite(.serialized) struct WorkersCLITests {
    static let appendFiles = 24
    static let rowsPerFile = 3_000

    /// Rows of append file `index`: ids unique across files, so "exactly once" is a
    /// check on contents (each id once, in its own file), not only on counts.
    static func appendCSV(_ index: Int) -> String {
        "id,payload\n" + (0..<rowsPerFile).map { "\(index * 100_000 + $0),p\(index)-\($0)\n" }.joined()
    }

    func writeConfig(_ workspace: Workspace, leaseSeconds: Double = 300, batchSize: Int = 500, dims: [String] = ["dim1", "dim2"]) throws {
        var yaml = "state_dir: ./state\nbatch_size: \(batchSize)\n" + workspace.warehouseSection("  lease_seconds: \(leaseSeconds)\n") + """
            tables:
              - table_name: events
                source_path: ./landing/events
                file_pattern: "*.csv"
                columns: {id: integer, payload: text}

            """
        for dim in dims {
            try FileManager.default.createDirectory(atPath: workspace.url("landing/\(dim)"), withIntermediateDirectories: true)
            yaml += """
                  - table_name: \(dim)
                    source_path: ./landing/\(dim)
                    file_pattern: "*.csv"
                    loading_strategy: scd2
                    primary_keys: [k1, k2]
                    columns: {k1: integer, k2: text, a: text, b: text}
                    scd2_effective_from: file_modified_time
                    scd2_deletes: close
                    scd2_max_delete_ratio: 1.0

                """
        }
        try FileManager.default.createDirectory(atPath: workspace.url("landing/events"), withIntermediateDirectories: true)
        try workspace.write("lading.yaml", yaml)
    }

    /// Random snapshots for an SCD2 table, written with increasing modified times; the
    /// reference model's history for them.
    func writeSnapshots(_ workspace: Workspace, dim: String, days: Int, seed: UInt64) throws -> [String] {
        let random = SeededRandom(seed: seed)
        func pick(_ n: Int) -> Int { Int(random.nextUInt64() % UInt64(n)) }
        var snapshots: [[SCD2CLITests.Row]] = []
        var current: [SCD2CLITests.Row] = []
        var starts: [String] = []
        for day in 0..<days {
            var next: [SCD2CLITests.Row] = []
            for k1 in 0..<40 { for k2 in ["a", "b"] where pick(5) != 0 {
                if let previous = current.first(where: { $0.k1 == k1 && $0.k2 == k2 }), pick(3) != 0 { next.append(previous) } else {
                    next.append(SCD2CLITests.Row(k1: k1, k2: k2, a: ["x", "y", nil][pick(3)], b: "\(pick(4))"))
                }
            } }
            snapshots.append(next)
            current = next
            let name = String(format: "landing/\(dim)/snap_%02d.csv", day)
            try workspace.write(name, SCD2CLITests.csv(next))
            try workspace.setModified(name, to: Date(timeIntervalSince1970: 1_767_225_600 + Double(day) * 86_400))
            starts.append(String(format: "2026-01-%02dT00:00:00.000000Z", day + 1))
        }
        return SCD2CLITests.model(snapshots, starts: starts)
    }

    func history(_ workspace: Workspace, dim: String) throws -> [String] {
        func text(_ column: String) -> String { "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')" }
        return try workspace.query("""
            SELECT k1, k2, coalesce(a, 'NULL'), coalesce(b, 'NULL'), \(text("effective_date")), coalesce(\(text("end_date")), 'NULL'),
                CAST(is_current AS INTEGER)
            FROM \(dim) ORDER BY k1, k2, effective_date
            """)
    }

    /// Starts every worker before waiting for any (so they really run at once), then
    /// collects each one's exit status and output.
    func runWorkers(_ workspace: Workspace, count: Int, environment: [String: String] = [:]) throws -> [CLIResult] {
        let started = try (0..<count).map { _ in
            try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path, environment: environment)
        }
        let results = ResultBox(count: count)
        let done = DispatchSemaphore(value: 0)
        for (index, (process, out, err)) in started.enumerated() {
            let box = UncheckedBox((process, out, err))
            Thread.detachNewThread {
                results.set(index, CLI.finish(box.value.0, box.value.1, box.value.2))
                done.signal()
            }
        }
        for _ in 0..<count { done.wait() }
        return results.all()
    }

    /// Every append file once: each id exactly once and in its own file, a complete
    /// ledger row with the right count, the tracker row COMPLETED.
    func expectEveryAppendFileOnce(_ workspace: Workspace, files: Int = appendFiles, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let perFile = try workspace.query("""
            SELECT _source_file, count(*), count(DISTINCT id), min(id), max(id) FROM events GROUP BY _source_file ORDER BY _source_file
            """)
        let expected = (0..<files).map { index in
            "\(workspace.url(String(format: "landing/events/e_%02d.csv", index)))|\(Self.rowsPerFile)|\(Self.rowsPerFile)|\(index * 100_000)|\(index * 100_000 + Self.rowsPerFile - 1)"
        }
        #expect(perFile == expected, "rows per file: \(perFile.filter { !expected.contains($0) })", sourceLocation: sourceLocation)
        #expect(try workspace.query("SELECT count(*) FROM _lading_loads WHERE table_name = 'events' AND status = 'complete' AND rows_loaded = \(Self.rowsPerFile)")
                == ["\(files)"], sourceLocation: sourceLocation)
        #expect(try workspace.trackerQuery("SELECT count(*) FROM file_processing_tracker WHERE table_name = 'events' AND status = 'COMPLETED'")
                == ["\(files)"], sourceLocation: sourceLocation)
    }

    func writeAppendFiles(_ workspace: Workspace, count: Int = appendFiles) throws {
        for index in 0..<count { try workspace.write(String(format: "landing/events/e_%02d.csv", index), Self.appendCSV(index)) }
    }

    @Test func fourWorkersAtOnceLoadEveryFileExactlyOnceAndKeepSCD2Order() throws {
        let workspace = try Workspace.make(.postgres)
        try writeConfig(workspace)
        try writeAppendFiles(workspace)
        let expected1 = try writeSnapshots(workspace, dim: "dim1", days: 5, seed: 15)
        let expected2 = try writeSnapshots(workspace, dim: "dim2", days: 5, seed: 16)
        let results = try runWorkers(workspace, count: 4)
        for (index, result) in results.enumerated() {
            #expect(result.status == 0, "worker \(index): \(result.status)\n\(result.stdout)\n\(result.stderr.suffix(3_000))")
        }
        try expectEveryAppendFileOnce(workspace)
        #expect(try history(workspace, dim: "dim1") == expected1)
        #expect(try history(workspace, dim: "dim2") == expected2)
        #expect(try workspace.trackerQuery("SELECT count(*) FROM file_processing_tracker WHERE status <> 'COMPLETED'") == ["0"])
        // The tracker's run_id names the run that completed each file.
        let loaders = try workspace.trackerQuery("SELECT count(DISTINCT run_id) FROM file_processing_tracker")
        #expect((Int(loaders.first ?? "") ?? 0) >= 2, "only \(loaders) worker(s) loaded files")
        // Each worker wrote its own run row; none is left running or marked interrupted.
        #expect(try workspace.trackerQuery("SELECT status, count(*) FROM runs GROUP BY status") == ["success|4"])
        #expect(try workspace.trackerQuery("SELECT count(*) FROM workers") == ["0"])
        // history lists each worker's run; monitor counts them all.
        let history = try workspace.lading("history", "--json")
        for result in results {
            let runID = result.stdout.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
            #expect(history.stdout.contains(runID), "\(runID) missing from history")
        }
        #expect(try workspace.lading("monitor", "--json").stdout.contains("\"runs\" : 4"))
        let check = try workspace.lading("validate-consistency")
        #expect(check.status == 0, "\(check.stdout)")
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0)
        try expectEveryAppendFileOnce(workspace)
    }

    /// Waits until the file's lease ran out by the database clock.
    func waitForExpiredLease(_ workspace: Workspace) -> Bool {
        for _ in 0..<400 {
            if (try? workspace.trackerQuery("SELECT count(*) FROM file_processing_tracker WHERE status = 'PROCESSING' AND lease_until < now()")) == ["1"] {
                return true
            }
            usleep(50_000)
        }
        return false
    }

    /// `kill -9` mid-file, twice in a row (the run that took the file over is killed
    /// too): a killed worker's session ends with it, so the next run takes the file over
    /// at once, without waiting for the lease, and resumes from the last checkpoint; the
    /// file lands once and each killed attempt counts.
    @Test func aWorkerKilledMidFileIsTakenOverFromItsCheckpoint() throws {
        let workspace = try Workspace.make(.postgres)
        try writeConfig(workspace, leaseSeconds: 300, batchSize: 300, dims: [])
        try writeAppendFiles(workspace, count: 1)
        for round in 0..<2 {
            let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                                    environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "3"])
            let target = (round + 1) * 3 * 300
            let reached = SignalCLITests().wait {
                (try? workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial' AND checkpoint >= \(target)")) == ["1"]
            }
            kill(process.processIdentifier, SIGKILL)
            let result = CLI.finish(process, out, err)
            #expect(reached && result.killed, "round \(round): \(result.stderr.suffix(2_000))")
            #expect(try workspace.trackerQuery("SELECT status FROM file_processing_tracker") == ["PROCESSING"])
            #expect(try workspace.query("SELECT checkpoint FROM _lading_loads") == ["\(target)"])
        }
        // Validation beside nobody: the dead workers are warnings, their file an orphan.
        let check = try workspace.lading("validate-consistency", "--json")
        #expect(check.status == 1 && check.stdout.contains("expired_lease") && check.stdout.contains("orphaned_processing"), "\(check.stdout)")
        #expect(try workspace.lading("worker-status").stdout.contains("Workers: 0 live, 2 not live"))
        let taker = try workspace.lading("run")
        #expect(taker.status == 0, "\(taker.stderr)")
        #expect(taker.stderr.contains("resuming a file from its checkpoint") && taker.stderr.contains("after_record=1800"), "\(taker.stderr)")
        try expectEveryAppendFileOnce(workspace, files: 1)
        #expect(try workspace.trackerQuery("SELECT retry_count FROM file_processing_tracker") == ["2"])
        #expect(try workspace.lading("validate-consistency").status == 0)
        let fix = try workspace.lading("validate-consistency", "--fix")
        #expect(fix.status == 0 && fix.stdout.contains("released 2 worker(s)"), "\(fix.stdout)")
        #expect(try workspace.lading("worker-status").stdout.contains("Workers: none running"))
    }

    /// A worker paused (SIGSTOP) past its lease: another worker takes the file over and
    /// finishes it; the paused one, continued, commits nothing more, says "lease lost"
    /// and exits 1; the rows are there once.
    @Test func aPausedWorkerWhoseLeaseWasTakenOverCannotCommit() throws {
        let workspace = try Workspace.make(.postgres)
        try writeConfig(workspace, leaseSeconds: 4, batchSize: 300, dims: [])
        try writeAppendFiles(workspace, count: 1)
        let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                                environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "3"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(SignalCLITests().wait {
            (try? workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial' AND checkpoint >= 900")) == ["1"]
        }, "the first worker never reached its third checkpoint")
        kill(process.processIdentifier, SIGSTOP)
        // Until its lease runs out the paused worker's file is its own: a run now leaves it alone.
        let early = try workspace.lading("run")
        #expect(early.status == 0, "\(early.stderr)")
        #expect(try workspace.trackerQuery("SELECT status FROM file_processing_tracker") == ["PROCESSING"])
        #expect(waitForExpiredLease(workspace), "the paused worker's lease never ran out")
        let status = try workspace.lading("worker-status")
        #expect(status.stdout.contains("EXPIRED"), "\(status.stdout)")
        let taker = try workspace.lading("run")
        #expect(taker.status == 0, "\(taker.stderr)")
        kill(process.processIdentifier, SIGCONT)
        let paused = CLI.finish(process, out, err)
        #expect(paused.status == 1 && paused.stderr.contains("lease lost"), "\(paused.status): \(paused.stderr.suffix(3_000))")
        try expectEveryAppendFileOnce(workspace, files: 1)
        #expect(try workspace.lading("validate-consistency").status == 0)
        #expect(try workspace.lading("run").status == 0)
        try expectEveryAppendFileOnce(workspace, files: 1)
    }

    /// Recovery commands exit 75 beside a live worker and change nothing; `worker-status`
    /// and `status` show the worker; once it ends they work again.
    @Test func recoveryCommandsExit75WhileAWorkerIsLive() throws {
        let workspace = try Workspace.make(.postgres)
        try writeConfig(workspace, batchSize: 300, dims: [])
        try writeAppendFiles(workspace, count: 2)
        #expect(try workspace.lading("run").status == 0)
        let before = try workspace.trackerQuery("SELECT file_path, status, retry_count, batch_id FROM file_processing_tracker ORDER BY file_path")
        let rows = try workspace.query("SELECT count(*) FROM events")
        try workspace.write("landing/events/e_05.csv", Self.appendCSV(5))
        let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                                environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "2", "LADING_TEST_PAUSE_SECONDS": "30"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(SignalCLITests().wait {
            (try? workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial' AND checkpoint >= 600")) == ["1"]
        }, "the worker never reached its second checkpoint")
        let live = try workspace.lading("worker-status", "--json")
        #expect(live.stdout.contains("\"alive\" : true") && live.stdout.contains("e_05.csv"), "\(live.stdout)")
        #expect(try workspace.lading("status").stdout.contains("Workers: 1 live"))
        for command in [["reset-state", "--yes"], ["reset-state", "--failed-only", "--yes"], ["fix-inconsistencies"], ["force-unlock", "--yes"],
                        ["quarantine", "reprocess"]] {
            let result = try CLI.run(command + ["--config", workspace.url("lading.yaml")], in: workspace.path)
            #expect(result.status == 75, "\(command): \(result.status) \(result.stdout) \(result.stderr)")
        }
        // Nothing changed: the finished files, their rows, the live worker's file.
        #expect(try workspace.trackerQuery("SELECT file_path, status, retry_count, batch_id FROM file_processing_tracker WHERE file_path NOT LIKE '%e_05.csv' ORDER BY file_path") == before)
        #expect(try workspace.query("SELECT count(*) FROM events") == rows)
        #expect(try workspace.trackerQuery("SELECT status FROM file_processing_tracker WHERE file_path LIKE '%e_05.csv'") == ["PROCESSING"])
        // A second worker may start beside the first; the file is the first one's.
        let second = try workspace.lading("run")
        #expect(second.status == 0, "\(second.stderr)")
        kill(process.processIdentifier, SIGKILL)
        _ = CLI.finish(process, out, err)

        // The other way round: a run started while a recovery command holds the lock exits 75.
        let (reset, resetOut, resetErr) = try CLI.start(["reset-state", "--failed-only", "--yes", "--config", workspace.url("lading.yaml")],
                                                        in: workspace.path, environment: ["LADING_TEST_HOLD_EXCLUSIVE_LOCK_SECONDS": "4"])
        defer { if reset.isRunning { kill(reset.processIdentifier, SIGKILL) } }
        #expect(SignalCLITests().wait { (try? workspace.lading("status").stdout.contains("Lock: held by")) == true }, "the reset never took its lock")
        let during = try workspace.lading("run")
        #expect(during.status == 75, "\(during.status): \(during.stderr)")
        #expect(CLI.finish(reset, resetOut, resetErr).status == 0)
        let after = try workspace.lading("run")
        #expect(after.status == 0, "\(after.stderr)")
        // The killed worker's file too, from its checkpoint, once.
        #expect(try workspace.query("SELECT count(*), count(DISTINCT id) FROM events") == ["9000|9000"])
        #expect(try workspace.trackerQuery("SELECT DISTINCT status FROM file_processing_tracker") == ["COMPLETED"])
    }

    /// Found by the adversarial pass: every run start altered the tracker (`ADD COLUMN IF
    /// NOT EXISTS` takes an exclusive table lock even when the column exists), so one
    /// open transaction that had read the tracker (an operator's psql) froze every
    /// worker. A run now starts and loads beside such a session.
    @Test func anOpenTransactionOnTheTrackerDoesNotStopARun() throws {
        let server = try PostgresServer.shared()
        let workspace = try Workspace.make(.postgres)
        try writeConfig(workspace, dims: [])
        try writeAppendFiles(workspace, count: 1)
        #expect(try workspace.lading("run").status == 0)
        guard let dsn = workspace.marker?.dsn else { return }
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: server.binDirectory + "/psql")
        reader.arguments = ["-X", "-q", "-d", dsn, "-c",
                            "BEGIN; SELECT count(*) FROM lading_state.file_processing_tracker; SELECT pg_sleep(60); COMMIT;"]
        reader.standardOutput = FileHandle.nullDevice
        reader.standardError = FileHandle.nullDevice
        try reader.run()
        defer { if reader.isRunning { reader.terminate() } }
        #expect(SignalCLITests().wait {
            (try? server.psql(dsn: dsn, sql: "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()")) == "1"
        }, "the reading session never started")
        try workspace.write("landing/events/e_03.csv", Self.appendCSV(3))
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(reader.isRunning, "the run finished only after the reading transaction ended")
        #expect(try workspace.query("SELECT count(*) FROM events") == ["\(2 * Self.rowsPerFile)"])
    }

    /// Found by the adversarial pass: a worker claimed a file another worker had failed
    /// meanwhile (a data error, not to be retried), trying it twice in one night.
    @Test func aFileAnotherWorkerFailedMeanwhileIsNotTriedAgain() throws {
        let workspace = try Workspace.make(.postgres)
        try writeConfig(workspace, dims: [])
        try workspace.write("landing/events/bad.csv", "id,payload\nnot a number,x\n")
        let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                                environment: ["LADING_TEST_PAUSE_AFTER_DISCOVERY_SECONDS": "5"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(SignalCLITests().wait {
            (try? workspace.trackerQuery("SELECT status FROM file_processing_tracker")) == ["PENDING"]
        }, "the first worker never registered the file")
        let second = try workspace.lading("run")
        #expect(second.status == 1, "the second worker fails the file: \(second.stdout)")
        let first = CLI.finish(process, out, err)
        #expect(first.status == 0, "the first worker leaves the file it saw PENDING alone: \(first.stdout) \(first.stderr.suffix(1_000))")
        #expect(try workspace.trackerQuery("SELECT status, retry_count FROM file_processing_tracker") == ["FAILED|1"])
    }

    /// Found by the PostgreSQL nights: workers starting together on a damaged tracker
    /// raced to set it aside (exit 78), and the one that rebuilt it lost its worker row
    /// (so another run took its file over). Now one worker rebuilds it alone, the others
    /// exit 75 (try again later), and the rebuilder stays a live worker.
    @Test func aDamagedTrackerIsRebuiltByOneWorkerAloneWhoStaysLive() throws {
        let workspace = try Workspace.make(.postgres)
        try writeConfig(workspace, batchSize: 300, dims: [])
        try writeAppendFiles(workspace, count: 2)
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/events/e_05.csv", Self.appendCSV(5))
        #expect(try workspace.change("state/tracker.sqlite", "ALTER TABLE file_processing_tracker DROP COLUMN retry_count"))
        let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                                environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "2", "LADING_TEST_PAUSE_SECONDS": "6"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        #expect(SignalCLITests().wait {
            (try? workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial' AND checkpoint >= 600")) == ["1"]
        }, "the rebuilding worker never reached its second checkpoint")
        #expect(try workspace.lading("worker-status").stdout.contains("Workers: 1 live"))
        let second = try workspace.lading("run")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try workspace.trackerQuery("SELECT status FROM file_processing_tracker WHERE file_path LIKE '%e_05.csv'") == ["PROCESSING"])
        let first = CLI.finish(process, out, err)
        #expect(first.status == 0, "\(first.stderr.suffix(2_000))")
        // Three workers at once on a damaged tracker: one rebuilds it, the others exit 75.
        #expect(try workspace.change("state/tracker.sqlite", "ALTER TABLE file_processing_tracker DROP COLUMN retry_count"))
        try workspace.write("landing/events/e_06.csv", Self.appendCSV(6))
        let results = try runWorkers(workspace, count: 3)
        let statuses = results.map(\.status)
        #expect(statuses.allSatisfy { $0 == 0 || $0 == 75 } && statuses.contains(0), "\(statuses): \(results.map { $0.stderr.suffix(600) })")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT count(*), count(DISTINCT id) FROM events") == ["\(4 * Self.rowsPerFile)|\(4 * Self.rowsPerFile)"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [CLIResult?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ result: CLIResult) { lock.lock(); results[index] = result; lock.unlock() }
    func all() -> [CLIResult] {
        lock.lock(); defer { lock.unlock() }
        return results.map { $0 ?? CLIResult(status: -1, stdout: "", stderr: "no result", killed: false) }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

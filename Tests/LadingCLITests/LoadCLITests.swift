import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct LoadCLITests {
    @Test(arguments: TestBackend.allCases)
    func aRunLoadsEverythingAndARerunAddsNothing(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeLoadFixture()
        let first = try workspace.lading("run")
        #expect(first.status == 0, "\(first.stderr)")
        try workspace.expectInvariants()
        let second = try workspace.lading("run")
        #expect(second.status == 0)
        try workspace.expectInvariants()
        let status = try workspace.lading("status", "--json")
        #expect(status.stdout.contains("\"COMPLETED\" : 5"))
    }

    static let faults = [
        "after-lock-written", "lock-truncated", "after-register", "after-claim", "after-batch-commit", "after-batch-commit:4",
        "before-final-commit", "before-final-commit:3", "after-final-commit", "after-final-commit:5",
        "after-tracker-complete", "mid-scd2-apply", "mid-scd2-apply:2", "before-lock-release",
    ]

    /// Every fault point: the process dies there, the rerun heals, I1–I4 hold. On
    /// PostgreSQL the run lock is a session lock with no file to truncate.
    @Test(arguments: faults.map { (TestBackend.sqlite, $0) } + faults.filter { $0 != "lock-truncated" }.map { (TestBackend.postgres, $0) })
    func crashAtAFaultPointThenRerun(backend: TestBackend, fault: String) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeLoadFixture()
        let crashed = try workspace.lading("run", environment: ["LADING_FAULT": fault])
        #expect(crashed.killed, "\(fault) should have killed the run: \(crashed.stderr)")
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(fault): \(rerun.stderr)")
        try workspace.expectInvariants()
    }

    /// A writer killed while committing leaves a hot rollback journal. The commands that
    /// open the warehouse read-only first (the declared-type check before a run, status,
    /// validation) must let SQLite roll it back instead of failing with
    /// SQLITE_READONLY_ROLLBACK (found by a random `kill -9` at 0.06 s, exit 74).
    @Test func aHotJournalLeftByAKilledWriterIsRolledBack() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tableExtra: "    columns: {id: integer, v: text}\n")
        try workspace.write("landing/orders/a.csv", "id,v\n" + (1...5_000).map { "\($0),value-\($0)\n" }.joined())
        #expect(try workspace.lading("run").status == 0)
        // A writer that dies mid-transaction after its changes spilled to the file.
        let script = """
            import os, sqlite3
            db = sqlite3.connect(\(String(reflecting: workspace.url("warehouse.sqlite"))), isolation_level=None)
            db.execute("PRAGMA cache_size = 1")
            db.execute("BEGIN")
            db.execute("UPDATE orders SET v = v || '-changed'")
            os._exit(0)
            """
        try workspace.write("hot.py", script)
        let python = try CLI.run([workspace.url("hot.py")], in: workspace.path, executable: "/usr/bin/python3")
        #expect(python.status == 0, "\(python.stderr)")
        let journal = (try? FileManager.default.attributesOfItem(atPath: workspace.url("warehouse.sqlite-journal"))[.size] as? Int) ?? 0
        #expect(journal > 0, "no hot journal was left")
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(try workspace.query("SELECT count(*) FROM orders WHERE v LIKE '%-changed'") == ["0"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test(arguments: TestBackend.allCases)
    func aCrashAfterACheckpointResumesInsteadOfStartingOver(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeLoadFixture()
        _ = try workspace.lading("run", "--table", "orders", environment: ["LADING_FAULT": "after-batch-commit:3"])
        let partial = try workspace.query("SELECT status, checkpoint FROM _lading_loads WHERE source_file LIKE '%orders_2.csv'")
        #expect(partial == ["partial|300"])
        let rerun = try workspace.lading("run", "--json")
        #expect(rerun.status == 0)
        #expect(rerun.stdout.contains("\"resumed\" : true"))
        try workspace.expectInvariants()
    }

    @Test func badRecordsAreQuarantinedWithLinesAndCountsAddUp() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "max_bad_record_ratio: 0.7\n", tableExtra: "    columns: {id: integer}\n")
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\nx,bad type\n3,ok\n4\n5,\"unterminated\n")
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders ORDER BY id") == ["1", "3"])
        let quarantine = try workspace.sqlite("warehouse.sqlite", "SELECT record_number, line_number, error_type FROM _lading_quarantine ORDER BY line_number")
        #expect(quarantine == ["2|3|type_conversion", "4|5|field_count", "5|6|unterminated_quote"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT records_read, rows_loaded, rows_quarantined FROM _lading_loads") == ["5|2|3"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT rows_loaded, rows_quarantined FROM file_processing_tracker") == ["2|3"])
    }

    @Test func aboveTheBadRecordRatioTheFileFailsWithNoRowsAndIsNotRetried() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\n2\n")
        try workspace.write("landing/orders/b.csv", "id,name\n3,ok\n")
        let result = try workspace.lading("run")
        #expect(result.status == 1)
        #expect(result.stdout.contains("max_bad_record_ratio"))
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders") == ["3"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, error_type FROM file_processing_tracker ORDER BY file_path") == ["FAILED|data", "COMPLETED|"])
        let again = try workspace.lading("run")
        #expect(again.status == 0, "a data error is not retried, so nothing fails again")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT retry_count FROM file_processing_tracker WHERE status = 'FAILED'") == ["1"])
    }

    /// A transient error (the warehouse held by another writer) is retried by later runs
    /// while `retry_count < retry_attempts`, then the file stays FAILED until reset.
    @Test func aTransientFailureIsRetriedUpToRetryAttempts() throws {
        let workspace = try Workspace()
        // One attempt per run: this test is about retries across runs.
        try workspace.writeConfig(extra: "retry_attempts: 2\nretry:\n  attempts_in_run: 1\n", warehouseExtra: "  busy_timeout_seconds: 0.2\n")
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id,name\n2,ok\n")
        let holder = try WriterHolder(database: workspace.url("warehouse.sqlite"))
        for attempt in 1...2 {
            let blocked = try workspace.lading("run")
            #expect(blocked.status == 1, "attempt \(attempt): \(blocked.stderr)")
            let row = try workspace.sqlite("state/tracker.sqlite", "SELECT status, error_type, retry_count FROM file_processing_tracker WHERE file_path LIKE '%b.csv'")
            #expect(row == ["FAILED|transient|\(attempt)"])
        }
        let exhausted = try workspace.lading("run")
        #expect(exhausted.status == 0, "retries exhausted: the file is not attempted again")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT retry_count FROM file_processing_tracker WHERE file_path LIKE '%b.csv'") == ["2"])
        holder.release()
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders ORDER BY id") == ["1"], "still not retried once the lock is gone")
    }

    /// `circuit_breaker_threshold` failures in a row stop the table for the run (the rest
    /// stay PENDING, other tables load); the next run half-opens: one file decides.
    @Test func theCircuitBreakerOpensAndHalfOpensOnTheNextRun() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: ["orders", "other"], extra: "circuit_breaker_threshold: 3\n")
        for name in ["f1", "f2", "f3", "f4"] { try workspace.write("landing/orders/\(name).csv", "id,name\n1,ok\n2\n") }
        for name in ["f5", "f6"] { try workspace.write("landing/orders/\(name).csv", "id,name\n\(name.dropFirst()),ok\n") }
        try workspace.write("landing/other/o.csv", "id\n1\n")
        func statuses() throws -> [String] {
            try workspace.sqlite("state/tracker.sqlite", "SELECT substr(file_path, -6) || ' ' || status FROM file_processing_tracker WHERE table_name = 'orders' ORDER BY file_path")
        }
        let first = try workspace.lading("run")
        #expect(first.status == 1)
        #expect(first.stdout.contains("circuit breaker opened after 3"), "\(first.stdout)")
        #expect(try statuses() == ["f1.csv FAILED", "f2.csv FAILED", "f3.csv FAILED", "f4.csv PENDING", "f5.csv PENDING", "f6.csv PENDING"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM other") == ["1"], "other tables keep loading")
        #expect(try workspace.lading("status").stdout.contains("Circuit breaker OPEN for orders"))
        let second = try workspace.lading("run")
        #expect(second.status == 1)
        #expect(second.stdout.contains("still open"), "\(second.stdout)")
        #expect(try statuses() == ["f1.csv FAILED", "f2.csv FAILED", "f3.csv FAILED", "f4.csv FAILED", "f5.csv PENDING", "f6.csv PENDING"])
        let third = try workspace.lading("run")
        #expect(third.status == 0, "\(third.stdout)")
        #expect(try statuses().suffix(2) == ["f5.csv COMPLETED", "f6.csv COMPLETED"])
        #expect(!(try workspace.lading("status").stdout.contains("Circuit breaker OPEN")))
    }

    /// The retry matrix across runs, class by class: system errors at most twice more,
    /// data and configuration errors never, transient and unknown up to retry_attempts.
    @Test(arguments: [("system", 3), ("data", 1), ("configuration", 1), ("unknown", 5), ("transient", 5)])
    func eachErrorClassIsRetriedAsTheMatrixSays(kind: String, attempts: Int) throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "retry_attempts: 5\nretry:\n  attempts_in_run: 1\n")
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        for _ in 0..<7 { _ = try workspace.lading("run", environment: ["LADING_INJECT_ERROR": "\(kind):a.csv"]) }
        let row = try workspace.sqlite("state/tracker.sqlite", "SELECT status, error_type, retry_count FROM file_processing_tracker")
        #expect(row == ["FAILED|\(kind)|\(attempts)"], "\(kind)")
        #expect(try workspace.lading("validate-consistency", "--json").stdout.contains("failed_retries_exhausted"))
        // Fixed and reset: loads.
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["1"])
    }

    /// Within a run, a transient error is retried after growing, jittered delays; the
    /// file loads once the other writer lets go, and the tracker shows a clean load.
    @Test func aTransientFailureIsRetriedWithinTheRunWithBackoff() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "retry:\n  base_seconds: 0.2\n  max_seconds: 2\n  attempts_in_run: 8\n", warehouseExtra: "  busy_timeout_seconds: 0.1\n")
        try workspace.write("landing/orders/a.csv", "id,name\n1,ok\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id,name\n2,ok\n")
        let holder = try WriterHolder(database: workspace.url("warehouse.sqlite"))
        let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path)
        usleep(700_000)
        holder.release()
        let result = CLI.finish(process, out, err)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("transient error, retrying"), "\(result.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders ORDER BY id") == ["1", "2"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, retry_count FROM file_processing_tracker WHERE file_path LIKE '%b.csv'") == ["COMPLETED|0"])
    }

    @Test func aTruncatedGzipFailsWithNoRows() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let data = try #require(FileManager.default.contents(atPath: FixturePaths.fixture("bad/truncated.csv.gz")))
        try data.write(to: URL(fileURLWithPath: workspace.url("landing/orders/t.csv.gz")))
        let result = try workspace.lading("run")
        #expect(result.status == 1)
        #expect(result.stdout.contains("truncated gzip"))
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM sqlite_master WHERE name = 'orders'") == ["0"])
    }

    @Test func hostileIdentifiersAndValuesAreStoredVerbatim() throws {
        let workspace = try Workspace()
        let table = "we\"ird; DROP TABLE x; --"
        try workspace.write("lading.yaml", """
        tables:
          - table_name: 'we"ird; DROP TABLE x; --'
            source_path: ./landing
        """)
        try workspace.write("landing/h.csv", "\"a\"\"; DROP TABLE t; --\",select,\"sp ace\",名前\n\"'); DROP TABLE x; --\",1,2,3\n")
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT name FROM pragma_table_info('\(table.replacingOccurrences(of: "'", with: "''"))') ORDER BY cid LIMIT 4")
            == ["a\"; DROP TABLE t; --", "select", "sp ace", "名前"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT \"a\"\"; DROP TABLE t; --\" FROM \(quoted)") == ["'); DROP TABLE x; --"])
    }

    @Test func aWideFileLoadsAndANewColumnExtendsTheTable() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let header = (1...1500).map { "c\($0)" }.joined(separator: ",")
        let row = (1...1500).map { "\($0)" }.joined(separator: ",")
        try workspace.write("landing/orders/a.csv", header + "\n" + row + "\n" + row + "\n")
        try workspace.write("landing/orders/b.csv", header + ",extra\n" + row + ",x\n")
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*), count(extra), sum(c1500) FROM orders") == ["3|1|4500"])
    }

    @Test func schemaEvolutionFailRefusesANewColumn() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "schema_evolution: fail\n")
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        try workspace.write("landing/orders/b.csv", "id,extra\n2,x\n")
        let result = try workspace.lading("run")
        #expect(result.status == 1)
        #expect(result.stdout.contains("schema_evolution"))
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders") == ["1"])
    }
}

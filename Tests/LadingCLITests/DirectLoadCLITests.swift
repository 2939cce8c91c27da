import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `direct_load_max_mb`: files up to that size load straight into their table in one
/// transaction, without staging or checkpoints. A crash in the middle leaves nothing of
/// the file anywhere (no rows, no ledger row, no staging), and the next run loads it
/// whole; a larger file is still checkpointed.
@Suite struct DirectLoadCLITests {
    /// The load fixture with every file going straight in: `orders_2.csv` (730 records,
    /// `batch_size: 100`) writes 8 batches inside its one transaction.
    func directWorkspace(_ backend: TestBackend) throws -> Workspace {
        let workspace = try Workspace.make(backend)
        try workspace.writeLoadFixture(top: "direct_load_max_mb: 1\n")
        return workspace
    }

    /// No row of `path` in `orders` (on SQLite the table itself may not exist yet: it
    /// was created in the rolled-back transaction).
    func expectNoRows(of path: String, in workspace: Workspace, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let left = try workspace.query("SELECT count(*) FROM orders WHERE _source_file = '\(path)'")
        #expect(left == ["0"] || (workspace.backend == .sqlite && left.isEmpty), "\(label): rows of a file that never committed: \(left)",
                sourceLocation: sourceLocation)
    }

    @Test(arguments: TestBackend.allCases)
    func crashesBetweenBatchesLeaveNothingOfTheFileAndTheRerunLoadsItOnce(backend: TestBackend) throws {
        let workspace = try directWorkspace(backend)
        let big = workspace.url("landing/orders/orders_2.csv")
        // Two crashes in a row inside the same file (the second run starts it again), then a run.
        for fault in ["between-direct-batches:3", "between-direct-batches:6"] {
            let crashed = try workspace.lading("run", environment: ["LADING_FAULT": fault])
            #expect(crashed.killed, "\(backend) \(fault): \(crashed.stderr)")
            try expectNoRows(of: big, in: workspace, "\(backend) \(fault)")
            #expect(try workspace.query("SELECT count(*) FROM _lading_loads WHERE source_file = '\(big)'") == ["0"], "\(backend) \(fault)")
            #expect(try workspace.query("SELECT count(*) FROM _lading_quarantine WHERE source_file = '\(big)'") == ["0"], "\(backend) \(fault)")
            #expect(try workspace.stagingTables() == [], "\(backend) \(fault): a direct load stages nothing")
            // Whole files only: the table holds exactly the files the ledger calls complete
            // (on SQLite the small file before it shared its group's transaction, so it may
            // have rolled back with it).
            let tableCounts = try workspace.query("SELECT _source_file, count(*) FROM orders GROUP BY _source_file ORDER BY _source_file")
            let ledgerCounts = try workspace.query("SELECT source_file, rows_loaded FROM _lading_loads WHERE status = 'complete' AND table_name = 'orders' ORDER BY source_file")
            #expect(tableCounts == ledgerCounts, "\(backend) \(fault)")
        }
        let clean = try workspace.lading("run")
        #expect(clean.status == 0, "\(backend): \(clean.stderr)")
        try workspace.expectInvariants()
    }

    /// A signal between the batches of a direct load (on SQLite inside a group, after
    /// `orders_1.csv`): exit 143, the file's transaction rolled back, no file left
    /// PROCESSING, the lock released, and the rerun loads every file exactly once.
    @Test(arguments: TestBackend.allCases)
    func aSignalBetweenDirectBatchesRollsTheFileBackAndTheRerunLoadsItOnce(backend: TestBackend) throws {
        let workspace = try directWorkspace(backend)
        let signals = SignalCLITests()
        let process = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "3"])
        #expect(signals.wait { workspace.read("stderr.log")?.contains("test pause at checkpoint") == true })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(backend): \(workspace.read("stderr.log") ?? "")")
        #expect(!workspace.exists("state/lading.lock"))
        let big = workspace.url("landing/orders/orders_2.csv")
        try expectNoRows(of: big, in: workspace, "\(backend)")
        #expect(try workspace.trackerQuery("SELECT count(*) FROM file_processing_tracker WHERE status = 'PROCESSING'") == ["0"], "\(backend)")
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(backend): \(rerun.stderr)")
        try workspace.expectInvariants()
    }

    /// A direct load of several batches that adds a column makes the change in a short
    /// transaction of its own: during the load the table holds no ACCESS EXCLUSIVE lock,
    /// and a reader with a 0.5 s lock timeout gets its answer (the rows before the file).
    /// (Adversarial finding F1: the ALTER used to lock readers and workers out for the
    /// whole file.)
    @Test func aDirectLoadThatAddsAColumnDoesNotLockReadersOut() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig(extra: "batch_size: 100\ndirect_load_max_mb: 1\n")
        try workspace.write("landing/orders/a.csv", "id\n" + (1...10).map(String.init).joined(separator: "\n") + "\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id,extra\n" + (11...1010).map { "\($0),x\($0)" }.joined(separator: "\n") + "\n")
        let signals = SignalCLITests()
        let process = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "2"])
        #expect(signals.wait { workspace.read("stderr.log")?.contains("test pause at checkpoint") == true })
        let exclusive = try workspace.query("""
            SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'orders' AND l.mode = 'AccessExclusiveLock'
            """)
        #expect(exclusive == ["0"], "the table is locked exclusively during the load")
        #expect(try workspace.query("SET lock_timeout = '500ms'; SELECT count(*) FROM orders") == ["10"])
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(workspace.read("stderr.log") ?? "")")
        #expect(try workspace.query("SELECT count(*), count(extra) FROM orders") == ["1010|1000"])
    }

    /// Only files at most `direct_load_max_mb` go straight in: with a 1 MiB limit a
    /// 0.5 MiB file never reaches a checkpoint (the fault point there never fires), and a
    /// 1.5 MiB one is checkpointed (a crash after its first checkpoint leaves it partial).
    @Test func theLimitSplitsDirectFromCheckpointedFiles() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "batch_size: 1000\ndirect_load_max_mb: 1\n")
        func csv(rows: Int) -> String {
            var text = "id,padding\n"
            for id in 1...rows { text += "\(id),\(String(repeating: "x", count: 40))\n" }
            return text
        }
        let small = csv(rows: 12_000)
        #expect(small.utf8.count < 1 << 20 && small.utf8.count > 1 << 19)
        try workspace.write("landing/orders/a_small.csv", small)
        let loaded = try workspace.lading("run", environment: ["LADING_FAULT": "after-batch-commit"])
        #expect(loaded.status == 0, "the small file reached a checkpoint: \(loaded.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*), count(DISTINCT id) FROM orders") == ["12000|12000"])

        let large = csv(rows: 30_000)
        #expect(large.utf8.count > 1 << 20)
        try workspace.write("landing/orders/b_large.csv", large)
        let crashed = try workspace.lading("run", environment: ["LADING_FAULT": "after-batch-commit"])
        #expect(crashed.killed, "the large file was not checkpointed: \(crashed.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT status, checkpoint FROM _lading_loads WHERE source_file LIKE '%b_large.csv'") == ["partial|1000"])
        let resumed = try workspace.lading("run")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*), count(DISTINCT id) FROM orders WHERE _source_file LIKE '%b_large.csv'") == ["30000|30000"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// SCD2 and merge files have their own transaction rules: the key is refused there.
    @Test func theKeyIsRefusedOnAnSCD2Table() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tableExtra: "    loading_strategy: scd2\n    primary_keys: [id]\n    direct_load_max_mb: 10\n")
        let result = try workspace.lading("run")
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("direct_load_max_mb") && result.stderr.contains("append and overwrite"), "\(result.stderr)")
    }
}

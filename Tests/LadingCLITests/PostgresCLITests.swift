import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `warehouse.driver: postgres` through the built binary, against the private server
/// `make test` starts (issue 14): types, audit columns, hostile names, passwords, and
/// every way a connection goes wrong.
@Suite struct PostgresCLITests {
    @Test func declaredTypesAuditColumnsLedgerAndQuarantineAsSPECMapsThem() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig(extra: "max_bad_record_ratio: 0.5\n", tableExtra: """
                columns: {id: integer, amount: real, paid: boolean, day: date, at: timestamp, note: text}

            """)
        let csv = [
            "id,amount,paid,day,at,note",
            "1,1.5,true,2026-01-02,2026-01-02T03:04:05Z,\"tab\there, \"\"quoted\"\"\"",
            "2,-0.25,false,2026-02-28,2026-02-28 23:59:59+02:00,",
            "3,x,true,2026-01-02,2026-01-02T00:00:00Z,bad amount",
            #"4,1e3,1,2024-02-29,2024-02-29T12:00:00.5Z,\N back\slash"#,
        ]
        try workspace.write("landing/orders/a.csv", csv.joined(separator: "\n") + "\n")
        let first = try workspace.lading("run")
        #expect(first.status == 0, "\(first.stderr)")
        let types = try workspace.query("""
            SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'dw' AND table_name = 'orders' ORDER BY ordinal_position
            """)
        #expect(types == ["id|bigint", "amount|double precision", "paid|boolean", "day|date", "at|timestamp with time zone", "note|text",
                          "_source_file|text", "_load_timestamp|timestamp with time zone", "_batch_id|text"])
        let rows = try workspace.query("""
            SELECT id, amount, paid, day, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), coalesce(note, 'NULL') FROM orders ORDER BY id
            """)
        #expect(rows == ["1|1.5|t|2026-01-02|2026-01-02 03:04:05.000|tab\there, \"quoted\"", "2|-0.25|f|2026-02-28|2026-02-28 21:59:59.000|NULL",
                         "4|1000|t|2024-02-29|2024-02-29 12:00:00.500|\\N back\\slash"], "\(rows)")
        let path = workspace.url("landing/orders/a.csv")
        #expect(try workspace.query("SELECT count(*) FROM orders WHERE _source_file = '\(path)' AND _batch_id LIKE 'batch-%' AND _load_timestamp IS NOT NULL") == ["3"])
        #expect(try workspace.query("SELECT status, records_read, rows_loaded, rows_quarantined FROM _lading_loads") == ["complete|4|3|1"])
        #expect(try workspace.query("SELECT line_number, error_type FROM _lading_quarantine") == ["4|type_conversion"])
        #expect(try workspace.trackerQuery("SELECT status, rows_loaded FROM file_processing_tracker") == ["COMPLETED|3"])
        // No file, tracker or lock under state_dir: only reports (SPEC §9).
        let state = try FileManager.default.contentsOfDirectory(atPath: workspace.url("state"))
        #expect(state == ["reports"], "\(state)")
        let second = try workspace.lading("run", "--json")
        #expect(second.status == 0)
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["3"], "a second run adds nothing")
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// Batches go in binary COPY only into the types lading creates: a column an operator
    /// retyped by hand (`integer`, `varchar`) makes the batch go as text, which the
    /// server converts, and the values land as they would have.
    @Test func columnsRetypedByHandLoadThroughText() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig(tableExtra: "    columns: {id: integer, at: timestamp, note: text}\n")
        try workspace.write("landing/orders/a.csv", "id,at,note\n1,2026-01-02T03:04:05Z,first\n")
        #expect(try workspace.lading("run").status == 0)
        _ = try workspace.query("ALTER TABLE orders ALTER COLUMN id TYPE integer, ALTER COLUMN note TYPE varchar(20), ALTER COLUMN at TYPE timestamp")
        try workspace.write("landing/orders/b.csv", "id,at,note\n2,2026-01-02T03:04:05.25Z,\"tab\there\"\n3,2026-01-03T00:00:00Z,\n")
        let second = try workspace.lading("run")
        #expect(second.status == 0, "\(second.stderr)")
        let rows = try workspace.query("SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS.MS'), coalesce(note, 'NULL') FROM orders ORDER BY id")
        #expect(rows == ["1|2026-01-02 03:04:05.000|first", "2|2026-01-02 03:04:05.250|tab\there", "3|2026-01-03 00:00:00.000|NULL"], "\(rows)")
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// SIGTERM while a load waits for another session's lock on the table: the signal
    /// cancels the waiting statement, the run exits 143 at once, the file is PENDING
    /// with no attempt counted, and a run after the lock is gone loads it once.
    /// (Before, lading sat in the statement until the lock was released.)
    @Test func aSignalWhileWaitingForAnotherSessionsLockStopsTheRun() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id\n2\n3\n")
        let server = try PostgresServer.shared()
        let dsn = try #require(workspace.marker?.dsn)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: server.binDirectory + "/psql")
        holder.arguments = ["-X", "-q", "-d", dsn, "-c", "BEGIN; LOCK TABLE dw.orders IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);"]
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { holder.terminate() }
        let signals = SignalCLITests()
        func waiting(_ application: String) throws -> Bool {
            try server.psql(dsn: dsn, sql: """
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '\(application)' AND wait_event_type = 'Lock'
                """) == "1"
        }
        #expect(try signals.wait { try waiting("psql") == false && (try? server.psql(dsn: dsn, sql: "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'dw.orders'::regclass")) == "1" })
        let process = try signals.start(workspace)
        #expect(try signals.wait { try waiting("lading") }, "lading never waited for the lock")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        // Not cancelled, the load would wait out the holder's minute and exit 0.
        #expect(process.terminationStatus == 143, "\(workspace.read("stderr.log") ?? "")")
        #expect(try workspace.trackerQuery("SELECT status, retry_count FROM file_processing_tracker WHERE file_path LIKE '%b.csv'") == ["PENDING|0"])
        // The lock goes with the holder's session.
        _ = try server.psql(dsn: dsn, sql: """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'psql' AND pid <> pg_backend_pid()
            """)
        holder.waitUntilExit()
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try workspace.query("SELECT id FROM orders ORDER BY id") == ["1", "2", "3"])
    }

    /// I6 on PostgreSQL: a hostile schema, table, column names and values, verbatim.
    @Test func hostileSchemaTableColumnsAndValuesLoadVerbatim() throws {
        let schema = "sch\"ema; DROP SCHEMA public; --"
        let workspace = try Workspace.make(.postgres, schema: schema, stateSchema: "st'ate")
        try workspace.write("lading.yaml", "state_dir: ./state\n" + workspace.warehouseSection() + """
            tables:
              - table_name: 'we"ird; DROP TABLE x; --'
                source_path: ./landing

            """)
        try workspace.write("landing/h.csv", "\"a\"\"; DROP TABLE t; --\",select,\"sp ace\",名前\n\"'); DROP TABLE x; --\",1,2,$$ $q$\n")
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.query("""
            SELECT column_name FROM information_schema.columns WHERE table_schema = 'sch"ema; DROP SCHEMA public; --'
            AND table_name = 'we"ird; DROP TABLE x; --' ORDER BY ordinal_position LIMIT 4
            """) == ["a\"; DROP TABLE t; --", "select", "sp ace", "名前"])
        #expect(try workspace.query("SELECT \"a\"\"; DROP TABLE t; --\", \"名前\" FROM \"we\"\"ird; DROP TABLE x; --\"") == ["'); DROP TABLE x; --|$$ $q$"])
        #expect(try workspace.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'") == ["1"])
        #expect(try workspace.lading("validate-consistency").status == 0)
        #expect(try workspace.lading("reset-state", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT count(*) FROM \"we\"\"ird; DROP TABLE x; --\"") == ["1"])
    }

    /// A DSN with a password: not in any output, log, report, metrics file or status.
    @Test func aPasswordNeverAppearsInAnyOutput() throws {
        let server = try PostgresServer.shared()
        let workspace = try Workspace.make(.postgres)
        guard let database = workspace.marker?.dsn?.components(separatedBy: "dbname=").last?.trimmingCharacters(in: CharacterSet(charactersIn: "'")) else {
            Issue.record("no database in \(String(describing: workspace.marker))")
            return
        }
        let role = PostgresServer.uniqueName(prefix: "loader")
        let password = "S3cr3t-p@ss:w/o'rd"
        try server.psql(dsn: server.dsn(database: "postgres"), sql: """
            CREATE ROLE \(role) LOGIN PASSWORD '\(password.replacingOccurrences(of: "'", with: "''"))'; GRANT CREATE ON DATABASE \(PostgresServer.quoteIdentifier(database)) TO \(role)
            """)
        let dsn = server.tcpDSN(database: database, user: role, password: password)
        try FileManager.default.createDirectory(atPath: workspace.url("landing/orders"), withIntermediateDirectories: true)
        try workspace.write("lading.yaml", """
            state_dir: ./state
            warehouse:
              driver: postgres
              dsn: \(Workspace.yamlQuoted(dsn))
              schema: dw
            tables:
              - table_name: orders
                source_path: ./landing/orders

            """)
        try workspace.write("landing/orders/a.csv", "id,qty\n1,2\n2,x\n")
        var outputs: [String] = []
        func capture(_ arguments: String...) throws {
            let result = try CLI.run(arguments + ["--config", workspace.url("lading.yaml")], in: workspace.path)
            outputs.append(result.stdout + result.stderr)
        }
        try capture("run", "--log-format", "json", "--metrics-file", workspace.url("metrics.prom"))
        try capture("status")
        try capture("status", "--json")
        try capture("validate-consistency")
        try capture("validate-consistency", "--json")
        try capture("history")
        try capture("monitor")
        try capture("quarantine", "list")
        try capture("reset-state", "--dry-run")
        try capture("force-unlock", "--yes")
        #expect(outputs[0].contains("file loaded"), "the run worked: \(outputs[0])")
        // A refused password: a configuration error naming the server, not the password.
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "S3cr3t", with: "Wrong-S3cr3t"))
        let refused = try workspace.lading("run")
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(refused.stderr.contains("127.0.0.1") && refused.stderr.contains(database), "\(refused.stderr)")
        outputs.append(refused.stdout + refused.stderr)
        let reports = try FileManager.default.contentsOfDirectory(atPath: workspace.url("state/reports"))
            .map { workspace.read("state/reports/" + $0) ?? "" }
        for (index, text) in (outputs + reports + [workspace.read("metrics.prom") ?? ""]).enumerated() {
            #expect(!text.contains("S3cr3t") && !text.contains("p@ss"), "output \(index) shows the password: \(text)")
        }
    }

    @Test func connectionFailuresAreClassifiedAndWriteNothing() throws {
        let server = try PostgresServer.shared()
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig(extra: "retry: {base_seconds: 0.01, max_seconds: 0.02, attempts_in_run: 2}\n")
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        let config = workspace.read("lading.yaml") ?? ""
        guard let dsn = workspace.marker?.dsn else { return }
        // Nothing listens on this port: transient, retried, then exit 1 (never 70).
        let port = try PostgresServer.unusedPort()
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "port=\(server.port)", with: "port=\(port)"))
        let unreachable = try workspace.lading("run", "--metrics-file", "m.prom")
        #expect(unreachable.status == 1, "\(unreachable.stderr)")
        #expect(workspace.read("m.prom")?.contains("lading_warehouse_reachable 0") == true, "the metrics say the warehouse is unreachable")
        #expect(unreachable.stderr.contains("cannot connect"), "\(unreachable.stderr)")
        let status = try workspace.lading("status")
        #expect(status.status == 1 && status.stdout.contains("UNREACHABLE") && status.stdout.contains("orders"), "status says the server is unreachable: \(status.stdout)")
        // A database that does not exist: configuration (78).
        try workspace.write("lading.yaml", config.replacingOccurrences(of: dsn, with: server.dsn(database: "no_such_database")))
        let missing = try workspace.lading("run")
        #expect(missing.status == 78, "\(missing.stderr)")
        #expect(missing.stderr.contains("no_such_database"), "\(missing.stderr)")
        // An unparsable DSN: configuration (78).
        try workspace.write("lading.yaml", config.replacingOccurrences(of: dsn, with: "host='unterminated"))
        #expect(try workspace.lading("run").status == 78)
        // A role that may not create the schema: configuration (78), nothing written.
        let role = PostgresServer.uniqueName(prefix: "reader")
        try server.psql(dsn: server.dsn(database: "postgres"), sql: "CREATE ROLE \(role) LOGIN")
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "user=postgres", with: "user=\(role)"))
        let denied = try workspace.lading("run")
        #expect(denied.status == 78, "\(denied.stderr)")
        #expect(try workspace.query("SELECT count(*) FROM pg_namespace WHERE nspname IN ('dw', 'lading_state')") == ["0"])
        // The right DSN again: everything loads once.
        try workspace.write("lading.yaml", config)
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["1"])
    }

    /// The server drops lading's connections in the middle of a load (as a restart
    /// does): the file's transaction rolls back, the transient error is retried on a
    /// new connection, and every row lands once.
    @Test func aDroppedConnectionMidLoadIsRetriedAndLoadsOnce() throws {
        let server = try PostgresServer.shared()
        let workspace = try Workspace.make(.postgres)
        try workspace.writeLoadFixture()
        guard let dsn = workspace.marker?.dsn else { return }
        // The third checkpoint pauses the run for two seconds: its sessions end then.
        let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path,
                                                environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "3"])
        var waited = 0
        while (try? workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial' AND checkpoint >= 300")) != ["1"] && waited < 200 {
            usleep(50_000)
            waited += 1
        }
        #expect(waited < 200, "the run never reached its third checkpoint")
        try server.psql(dsn: dsn, sql: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lading' AND datname = current_database() AND pid <> pg_backend_pid()")
        let result = CLI.finish(process, out, err)
        if result.status != 0 {
            // The run may end with the file FAILED (transient) when its lock session went too;
            // the next run must heal it.
            #expect(try workspace.lading("run").status == 0)
        }
        try workspace.expectInvariants()
    }

    /// I5 on PostgreSQL: while a run holds the database run lock, every recovery command
    /// exits 75 and changes nothing; validation reads beside it; a second run is a second
    /// worker (SPEC §9) and the file is loaded once, by whichever claims it first.
    @Test func aLiveRunExcludesOtherRunsAndRecoveryCommands() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        let signals = SignalCLITests()
        let process = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AFTER_DISCOVERY_SECONDS": "4"])
        defer { if process.isRunning { process.terminate() } }
        #expect(signals.wait { (try? workspace.lading("status").stdout.contains("held by")) == true }, "the run never took its lock")
        for arguments in [["reset-state", "--yes"], ["fix-inconsistencies"], ["quarantine", "reprocess"], ["force-unlock", "--yes"]] {
            let refused = try CLI.run(arguments + ["--config", workspace.url("lading.yaml")], in: workspace.path)
            #expect(refused.status == 75, "\(arguments): \(refused.stderr)")
        }
        let second = try workspace.lading("run")
        #expect(second.status == 0, "\(second.stderr)")
        let validation = try workspace.lading("validate-consistency", "--json")
        #expect(validation.stdout.contains("\"running\""), "\(validation.stdout)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(workspace.read("stderr.log") ?? "")")
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["1"])
        #expect(try workspace.lading("status").stdout.contains("Lock: free"))
        #expect(try workspace.lading("run").status == 0)
    }

    /// Fencing (SPEC §9, I5): a run whose lock session ended (`force-unlock` of a worker
    /// that stopped beating, a terminated session) commits nothing more once another run
    /// took its file; it says "lock lost" and exits 1, and every row lands once.
    @Test(arguments: ["force-unlock", "terminate"])
    func aRunThatLostItsLockCannotCommit(how: String) throws {
        let server = try PostgresServer.shared()
        let workspace = try Workspace.make(.postgres)
        try workspace.writeLoadFixture()
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "warehouse:\n", with: "warehouse:\n  lease_seconds: 2\n"))
        guard let dsn = workspace.marker?.dsn else { return }
        let signals = SignalCLITests()
        let first = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "3"])
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(signals.wait { (try? workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial' AND checkpoint >= 300")) == ["1"] },
                "the first run never reached its third checkpoint")
        if how == "force-unlock" {
            // Never beside a live worker (75); once its heartbeat ran out (paused), it ends
            // the worker's session and releases its lease.
            #expect(try workspace.lading("force-unlock", "--yes").status == 75)
            kill(first.processIdentifier, SIGSTOP)
            #expect(signals.wait { (try? workspace.lading("worker-status").stdout.contains("EXPIRED")) == true }, "the heartbeat never ran out")
            let unlock = try workspace.lading("force-unlock", "--yes")
            #expect(unlock.status == 0, "\(unlock.stdout) \(unlock.stderr)")
            #expect(unlock.stdout.contains("heartbeat ran out"), "\(unlock.stdout)")
        } else {
            try server.psql(dsn: dsn, sql: """
                SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """)
        }
        let second = try workspace.lading("run")
        #expect(second.status == 0, "\(second.stderr)")
        if how == "force-unlock" { kill(first.processIdentifier, SIGCONT) }
        first.waitUntilExit()
        let log = workspace.read("stderr.log") ?? ""
        #expect(first.terminationStatus == 1 && log.contains("lock lost"), "\(first.terminationStatus): \(log)")
        #expect(try workspace.lading("run").status == 0)
        try workspace.expectInvariants()
    }

    /// Adversarial findings F5 and F7: a file column named like a PostgreSQL system
    /// column is renamed (as one named like an audit column is); a column name over
    /// 63 bytes fails its file with a data error, never silently cut.
    @Test func systemColumnNamesAreRenamedAndLongColumnNamesFailTheFile() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig(tables: ["orders", "wide"])
        try workspace.write("landing/orders/a.csv", "id,xmin,ctid,TableOid\n1,2,3,4\n")
        let long = String(repeating: "c", count: 64)
        try workspace.write("landing/wide/a.csv", "id,\(long)\n1,2\n")
        let run = try workspace.lading("run")
        #expect(run.status == 1, "\(run.stdout)")
        #expect(try workspace.query("SELECT id, xmin_2, ctid_2 FROM orders") == ["1|2|3"])
        #expect(run.stdout.contains("63"), "\(run.stdout)")
        #expect(try workspace.trackerQuery("SELECT error_type FROM file_processing_tracker WHERE table_name = 'wide'") == ["data"])
    }

    /// Adversarial findings F6 and F8: a role given only prepared schemas needs no CREATE
    /// on the database; a read-only database stops the run with 74 (as a read-only disk).
    @Test func preparedSchemasNeedNoDatabasePrivilegeAndAReadOnlyDatabaseIs74() throws {
        let server = try PostgresServer.shared()
        let workspace = try Workspace.make(.postgres)
        guard let dsn = workspace.marker?.dsn else { return }
        let role = PostgresServer.uniqueName(prefix: "limited")
        try server.psql(dsn: dsn, sql: """
            CREATE ROLE \(role) LOGIN; CREATE SCHEMA dw AUTHORIZATION \(role); CREATE SCHEMA lading_state AUTHORIZATION \(role)
            """)
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n")
        let config = workspace.read("lading.yaml") ?? ""
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "user=postgres", with: "user=\(role)"))
        let limited = try workspace.lading("run")
        #expect(limited.status == 0, "\(limited.stderr)")
        try workspace.write("lading.yaml", config)
        let database = (dsn.components(separatedBy: "dbname=").last ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        try server.psql(dsn: dsn, sql: "ALTER DATABASE \(database) SET default_transaction_read_only = on")
        try workspace.write("landing/orders/b.csv", "id\n2\n")
        let readOnly = try workspace.lading("run")
        #expect(readOnly.status == 74, "\(readOnly.stderr)")
    }

    /// Second adversarial pass: a server that ends idle sessions must not end the run
    /// lock's session (its run would stop with "lock lost" every time); and two
    /// pipelines cannot share one state schema.
    @Test func anIdleSessionTimeoutKeepsTheLockAndAStateSchemaHasOneOwner() throws {
        let server = try PostgresServer.shared()
        let workspace = try Workspace.make(.postgres)
        try workspace.writeLoadFixture()
        guard let dsn = workspace.marker?.dsn else { return }
        let database = (dsn.components(separatedBy: "dbname=").last ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        try server.psql(dsn: dsn, sql: "ALTER DATABASE \(database) SET idle_session_timeout = '1s'")
        // The run pauses two seconds at a checkpoint: longer than the timeout.
        let run = try workspace.lading("run", environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "3"])
        #expect(run.status == 0, "\(run.stderr)")
        try workspace.expectInvariants()
        // Another pipeline, another schema, the same default state schema: refused.
        let config = workspace.read("lading.yaml") ?? ""
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "schema: \"dw\"", with: "schema: \"other\""))
        let shared = try workspace.lading("run")
        #expect(shared.status == 78 && shared.stderr.contains("already tracks"), "\(shared.stderr)")
    }

    /// A real server restart in the middle of a multi-batch load (on a cluster of its
    /// own): the run stops without half-writing anything (its lock session ended with
    /// the restart, so it is fenced), and the next run resumes and loads every row once.
    @Test func aServerRestartMidLoadLeavesNothingHalfWritten() throws {
        let server = try PostgresServer.dedicated()
        let workspace = try Workspace.make(.postgres, server: server)
        try workspace.writeLoadFixture()
        let signals = SignalCLITests()
        let run = try signals.start(workspace, environment: ["LADING_TEST_PAUSE_AT_CHECKPOINT": "3"])
        defer { if run.isRunning { run.terminate() } }
        #expect(signals.wait { (try? workspace.query("SELECT count(*) FROM _lading_loads WHERE status = 'partial' AND checkpoint >= 300")) == ["1"] },
                "the run never reached its third checkpoint")
        try server.restart()
        run.waitUntilExit()
        let log = workspace.read("stderr.log") ?? ""
        #expect(run.terminationStatus == 1, "\(run.terminationStatus): \(log)")
        #expect(!log.contains("internal error"), "\(log)")
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        try workspace.expectInvariants()
    }
}

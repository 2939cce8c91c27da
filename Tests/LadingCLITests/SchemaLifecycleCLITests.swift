import Foundation
import LadingTestSupport
import Testing

/// Issue 13, "Schema lifecycle" (SPEC §3): inferred columns widen when a later file
/// needs it; declared types change only by a widening; `--reinfer` starts over.
@Suite struct SchemaLifecycleCLITests {
    static let types = "SELECT column_name, column_type FROM _lading_columns WHERE table_name = 'orders' ORDER BY position"

    @Test func anInferredColumnWidensWhenALaterFileNeedsIt() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id,amount,day,code\n1,5,2026-11-01,7\n2,6,2026-11-02,8\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", Self.types) == ["id|integer", "amount|integer", "day|date", "code|integer"])
        try workspace.write("landing/orders/b.csv", "id,amount,day,code\n3,6.4,2026-11-03T08:00:00Z,007\n4,,,x\n")
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("widened an inferred column"), "\(run.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", Self.types) == ["id|integer", "amount|real", "day|timestamp", "code|text"])
        // Earlier values are kept, rendered in the new type; nothing was quarantined.
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id, amount, typeof(amount), coalesce(day, '-'), coalesce(code, '-'), typeof(code) FROM orders ORDER BY id") == [
            "1|5.0|real|2026-11-01T00:00:00Z|7|text", "2|6.0|real|2026-11-02T00:00:00Z|8|text",
            "3|6.4|real|2026-11-03T08:00:00Z|007|text", "4||null|-|x|text",
        ])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_quarantine") == ["0"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// The same widenings on PostgreSQL: `ALTER COLUMN … TYPE … USING` in place, values
    /// kept (as PostgreSQL renders them) and nothing quarantined.
    @Test func anInferredColumnWidensOnPostgreSQLToo() throws {
        let workspace = try Workspace.make(.postgres)
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id,amount,day,code\n1,5,2026-11-01,7\n2,6,2026-11-02,8\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id,amount,day,code\n3,6.4,2026-11-03T08:00:00Z,007\n4,,,x\n")
        let run = try workspace.lading("run")
        #expect(run.status == 0 && run.stderr.contains("widened an inferred column"), "\(run.stdout)\(run.stderr)")
        #expect(try workspace.query(Self.types) == ["id|integer", "amount|real", "day|timestamp", "code|text"])
        #expect(try workspace.query("""
            SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'dw' AND table_name = 'orders'
            AND column_name IN ('amount', 'day', 'code') ORDER BY ordinal_position
            """) == ["amount|double precision", "day|timestamp with time zone", "code|text"])
        #expect(try workspace.query("""
            SELECT id, coalesce(CAST(amount AS TEXT), '-'), coalesce(to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '-'), coalesce(code, '-')
            FROM orders ORDER BY id
            """) == ["1|5|2026-11-01T00:00:00Z|7", "2|6|2026-11-02T00:00:00Z|8", "3|6.4|2026-11-03T08:00:00Z|007", "4|-|-|x"])
        #expect(try workspace.query("SELECT count(*) FROM _lading_quarantine") == ["0"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test func withSchemaEvolutionFailAWideningFailsTheFile() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "schema_evolution: fail\n")
        try workspace.write("landing/orders/a.csv", "id,amount\n1,5\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id,amount\n2,6.4\n")
        let run = try workspace.lading("run")
        #expect(run.status == 1 && run.stdout.contains("amount widened to real"), "\(run.stdout)")
        #expect(try workspace.sqlite("warehouse.sqlite", Self.types) == ["id|integer", "amount|integer"])
    }

    @Test func aDeclaredColumnIsNeverWidenedByAFile() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "max_bad_record_ratio: 0.5\n", tableExtra: "    columns: {amount: integer}\n")
        try workspace.write("landing/orders/a.csv", "id,amount\n1,5\n2,6.4\n3,7\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", Self.types) == ["id|integer", "amount|integer"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT line_number FROM _lading_quarantine") == ["3"])
    }

    @Test func anSCD2TableWidensAndKeepsItsHistoryAndIndex() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: dim
                source_path: ./landing
                loading_strategy: scd2
                primary_keys: [id]
            """)
        try workspace.write("landing/d_1.csv", "id,score\n1,5\n2,6\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/d_2.csv", "id,score\n1,5\n2,6.5\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id, score, is_current FROM dim ORDER BY id, effective_date") == ["1|5.0|1", "2|6.0|0", "2|6.5|1"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '_lading_current_dim'") == ["1"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

/// Declared type changes (SPEC §3) and `reset-state --reinfer`.
@Suite struct DeclaredTypeCLITests {
    static let types = SchemaLifecycleCLITests.types

    func loaded(_ columns: String) throws -> Workspace {
        let workspace = try Workspace()
        try workspace.writeConfig(tableExtra: "    columns: {\(columns)}\n")
        try workspace.write("landing/orders/a.csv", "id,amount,flag\n1,5,true\n2,7,false\n")
        #expect(try workspace.lading("run").status == 0)
        return workspace
    }

    func declare(_ workspace: Workspace, _ columns: String) throws {
        let config = workspace.read("lading.yaml") ?? ""
        let start = try #require(config.range(of: "    columns: {"))
        let end = try #require(config.range(of: "}\n", range: start.upperBound..<config.endIndex))
        try workspace.write("lading.yaml", config.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "    columns: {\(columns)}\n"))
    }

    @Test func aDeclaredWideningIsMigratedAtTheNextRun() throws {
        let workspace = try loaded("amount: integer")
        try declare(workspace, "amount: real")
        let run = try workspace.lading("run")
        #expect(run.status == 0 && run.stderr.contains("migrated a column to its declared wider type"), "\(run.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", Self.types) == ["id|integer", "amount|real", "flag|boolean"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT amount, typeof(amount) FROM orders ORDER BY id") == ["5.0|real", "7.0|real"])
    }

    @Test func aDeclaredNarrowingIsAConfigurationErrorBeforeAnythingIsWritten() throws {
        let workspace = try loaded("amount: integer")
        try declare(workspace, "amount: boolean")
        let runsBefore = try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM runs")
        let run = try workspace.lading("run")
        #expect(run.status == 78, "\(run.stderr)")
        #expect(run.stderr.contains("tables[0].columns.amount") && run.stderr.contains("integer") && run.stderr.contains("boolean")
                && run.stderr.contains("--reinfer"), "\(run.stderr)")
        #expect(!workspace.exists("state/lading.lock"))
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT count(*) FROM runs") == runsBefore, "no run row")
        #expect(try workspace.lading("quarantine", "reprocess").status == 78)
    }

    /// An operator adds a column by hand; a later file that has it loads into it (lading
    /// used to add it again and fail the file, adversarial finding F5).
    @Test(arguments: TestBackend.allCases)
    func aColumnAddedByHandIsTakenIntoTheCatalog(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig()
        try workspace.write("landing/orders/a.csv", "id\n1\n2\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.change("warehouse.sqlite", "ALTER TABLE orders ADD COLUMN note TEXT"))
        try workspace.write("landing/orders/b.csv", "id,note\n3,three\n4,\n")
        let second = try workspace.lading("run")
        #expect(second.status == 0, "\(backend): \(second.stdout) \(second.stderr)")
        #expect(try workspace.query("SELECT id, coalesce(note, 'NULL') FROM orders ORDER BY id") == ["1|NULL", "2|NULL", "3|three", "4|NULL"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test(arguments: TestBackend.allCases)
    func reinferRebuildsTheTableWithTypesInferredAgain(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig(tableExtra: "    columns: {code: text}\n")
        try workspace.write("landing/orders/a.csv", "id,code,amount\n1,7,5\n2,8,6\n")
        try workspace.write("landing/orders/b.csv", "id,code,amount\n3,9,7\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query(Self.types) == ["id|integer", "code|text", "amount|integer"])
        // The operator drops the declaration and wants the inferred types back.
        let config = workspace.read("lading.yaml") ?? ""
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "    columns: {code: text}\n", with: ""))
        let reset = try workspace.lading("reset-state", "--table", "orders", "--reinfer", "--yes")
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(try workspace.query(Self.types) == ["id|integer", "code|integer", "amount|integer"])
        let codeType = backend == .sqlite ? "typeof(code)" : "pg_typeof(code)"
        #expect(try workspace.query("SELECT id, code, \(codeType) FROM orders ORDER BY id")
                == ["1|7|", "2|8|", "3|9|"].map { $0 + (backend == .sqlite ? "integer" : "bigint") })
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["3"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

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

    @Test func withSchemaEvolutionFailAWideningFailsTheFile() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "schema_evolution: fail\n")
        try workspace.write("landing/orders/a.csv", "id,amount\n1,5\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/orders/b.csv", "id,amount\n2,6.4\n")
        let run = try workspace.lading("run")
        #expect(run.status == 1 && run.stdout.contains("amount as real"), "\(run.stdout)")
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

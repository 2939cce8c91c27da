import Foundation
import LadingTestSupport
import Testing

/// Issue 13, "SCD2 without traps" and partial `columns:`.
@Suite struct SCD2TrapsCLITests {
    /// The default tracking columns leave out the `scd2_effective_from` column: a
    /// snapshot date that moves every day does not version every key every day.
    @Test func aMovingSnapshotDateIsNotAChange() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: dim
                source_path: ./landing
                loading_strategy: scd2
                primary_keys: [id]
                scd2_effective_from: snapshot_date
            """)
        try workspace.write("landing/d_1.csv", "id,name,snapshot_date\n1,a,2026-11-01\n2,b,2026-11-01\n")
        try workspace.write("landing/d_2.csv", "id,name,snapshot_date\n1,a,2026-11-02\n2,c,2026-11-02\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id, name, effective_date, coalesce(end_date, '-') FROM dim ORDER BY id, effective_date") == [
            "1|a|2026-11-01|-", "2|b|2026-11-01|2026-11-02", "2|c|2026-11-02|-",
        ])
    }

    /// `columns:` may declare a subset: primary and tracking columns may be inferred.
    @Test func keysMayNameInferredColumns() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: dim
                source_path: ./landing
                loading_strategy: scd2
                primary_keys: [code]
                tracking_columns: [label]
                columns: {amount: real}
            """)
        try workspace.write("landing/d_1.csv", "code,label,amount\nx,first,1\ny,second,2\n")
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT code, label, typeof(amount) FROM dim ORDER BY code") == ["x|first|real", "y|second|real"])
    }

    /// With `file_modified_time`, a `touch` on an applied snapshot does not move its
    /// versions: a replay reuses the recorded boundaries, dates included.
    @Test func aTouchedSnapshotReplaysWithItsRecordedBoundary() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: dim
                source_path: ./landing
                loading_strategy: scd2
                primary_keys: [id]
                scd2_effective_from: file_modified_time
            """)
        try workspace.write("landing/d_1.csv", "id,name\n1,a\n")
        try workspace.setModified("landing/d_1.csv", to: Date(timeIntervalSince1970: 1_795_000_000))
        try workspace.write("landing/d_2.csv", "id,name\n1,b\n")
        try workspace.setModified("landing/d_2.csv", to: Date(timeIntervalSince1970: 1_795_086_400))
        #expect(try workspace.lading("run").status == 0)
        let history = "SELECT name, effective_date, coalesce(end_date, '-') FROM dim ORDER BY effective_date"
        let before = try workspace.sqlite("warehouse.sqlite", history)
        try workspace.setModified("landing/d_1.csv", to: Date())
        #expect(try workspace.lading("reset-state", "--table", "dim", "--yes").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", history) == before)
        // A new snapshot whose modified time is before the last applied boundary is late.
        try workspace.write("landing/d_3.csv", "id,name\n1,c\n")
        try workspace.setModified("landing/d_3.csv", to: Date(timeIntervalSince1970: 1_795_050_000))
        let late = try workspace.lading("run", "--json")
        #expect(late.status == 1 && late.stdout.contains("is late"), "\(late.stdout)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM dim WHERE end_date < effective_date") == ["0"])
    }

    /// SPEC §8: per SCD2 file, keys new, changed, unchanged and closed, in the summary
    /// and the JSON report (not only "records applied").
    @Test func theRunReportsWhatEachSnapshotDidPerKey() throws {
        let workspace = try Workspace()
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: dim
                source_path: ./landing
                loading_strategy: scd2
                primary_keys: [id]
                scd2_deletes: close
            """)
        try workspace.write("landing/d_1.csv", "id,name\n1,a\n2,b\n3,c\n")
        #expect(try workspace.lading("run").status == 0)
        try workspace.write("landing/d_2.csv", "id,name\n1,a\n2,B\n4,d\n")
        let run = try workspace.lading("run", "--json")
        #expect(run.status == 0)
        for (key, value) in [("keys_new", 1), ("keys_changed", 1), ("keys_unchanged", 1), ("keys_closed", 1)] {
            #expect(run.stdout.contains("\"\(key)\" : \(value)"), "\(key): \(run.stdout)")
        }
        try workspace.write("landing/d_3.csv", "id,name\n1,a\n2,B\n4,d\n5,e\n")
        let text = try workspace.lading("run")
        #expect(text.stdout.contains("d_3.csv: 1 new, 0 changed, 3 unchanged, 0 closed as deleted (4 records applied)"), "\(text.stdout)")
        // history --json keeps them per run and file.
        let history = try workspace.lading("history", "--json")
        #expect(history.stdout.contains("\"keys_unchanged\" : 3") && history.stdout.contains("\"keys_changed\" : 1") && history.stdout.contains("d_2.csv"),
                "\(history.stdout)")
    }
}

import Foundation
import LadingTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SPEC §4 late files and §7 replays of ordered tables (issue 12, defects 5, 15, 16).
@Suite struct LateFileCLITests {
    static let history = "SELECT id, name, coalesce(city, 'NULL'), effective_date, coalesce(end_date, 'NULL'), is_current FROM people ORDER BY id, effective_date"
    static let shape = "SELECT id, name, coalesce(city, 'NULL'), is_current, end_date IS NULL FROM people ORDER BY id, effective_date, is_current"
    static let endsBeforeStart = "SELECT count(*) FROM people WHERE end_date IS NOT NULL AND end_date < effective_date"

    func workspace(lateFiles: String?) throws -> Workspace {
        let workspace = try Workspace()
        try workspace.writeLoadFixture()
        if let lateFiles {
            let config = workspace.read("lading.yaml") ?? ""
            try workspace.write("lading.yaml", config.replacingOccurrences(of: "scd2_deletes: close", with: "scd2_deletes: close\n    late_files: \(lateFiles)"))
        }
        #expect(try workspace.lading("run").status == 0)
        return workspace
    }

    static let lateSnapshot = "id,name,city\n1,Ada,Leeds\n2,Bob,Paris\n3,Cy,Rome\n"

    /// By default a late snapshot fails (data) naming the last applied file, and the
    /// history stays as it was; files after it wait.
    @Test func aLateFileFailsByDefaultAndChangesNothing() throws {
        let workspace = try workspace(lateFiles: nil)
        let before = try workspace.sqlite("warehouse.sqlite", Self.history)
        try workspace.write("landing/people/people_0.csv", Self.lateSnapshot)
        let run = try workspace.lading("run", "--json")
        #expect(run.status == 1)
        #expect(run.stdout.contains("is late") && run.stdout.contains("people_3.csv"), "\(run.stdout)")
        #expect(try workspace.sqlite("warehouse.sqlite", Self.history) == before)
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, error_type FROM file_processing_tracker WHERE file_path LIKE '%people_0.csv'") == ["FAILED|data"])
    }

    /// With `late_files: replay` the table is rebuilt with the late file in its place:
    /// equal to loading every file in order, no version ending before it starts, and a
    /// later reset replays to the identical table, dates included.
    @Test func aLateFileIsReplayedInItsPlace() throws {
        let workspace = try workspace(lateFiles: "replay")
        try workspace.write("landing/people/people_0.csv", Self.lateSnapshot)
        let run = try workspace.lading("run")
        #expect(run.status == 0, "\(run.stderr)")
        let reference = try Workspace()
        try reference.writeLoadFixture()
        try reference.write("landing/people/people_0.csv", Self.lateSnapshot)
        #expect(try reference.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", Self.shape) == reference.sqlite("warehouse.sqlite", Self.shape))
        #expect(try workspace.sqlite("warehouse.sqlite", Self.endsBeforeStart) == ["0"])
        let live = try workspace.sqlite("warehouse.sqlite", Self.history)
        #expect(try workspace.lading("reset-state", "--table", "people", "--yes").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", Self.history) == live, "a replay reproduces the live table, dates included")
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// A failed snapshot moved aside, later ones load, then it comes back: it is late.
    @Test func aFailedFileThatComesBackAfterLaterOnesIsLate() throws {
        let workspace = try Workspace()
        try workspace.writeLoadFixture()
        try FileManager.default.moveItem(atPath: workspace.url("landing/people/people_2.csv"), toPath: workspace.url("people_2.csv"))
        #expect(try workspace.lading("run").status == 0)
        try FileManager.default.moveItem(atPath: workspace.url("people_2.csv"), toPath: workspace.url("landing/people/people_2.csv"))
        let run = try workspace.lading("run", "--json")
        #expect(run.status == 1 && run.stdout.contains("is late"), "\(run.stdout)")
        #expect(try workspace.sqlite("warehouse.sqlite", Self.endsBeforeStart) == ["0"])
        // The operator chooses replay: the history becomes that of all three, in order.
        let config = workspace.read("lading.yaml") ?? ""
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "scd2_deletes: close", with: "scd2_deletes: close\n    late_files: replay"))
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        try workspace.expectInvariants()
    }

    /// An SCD2 table dropped by hand, then a new snapshot: the run replays the applied
    /// files before it instead of starting history over from the new one.
    @Test func aNewSnapshotForADroppedTableReplaysItsHistoryFirst() throws {
        let workspace = try workspace(lateFiles: nil)
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "DROP TABLE people")
        try workspace.write("landing/people/people_4.csv", "id,name,city\n1,Ada,Cambridge\n2,Bob,Lyon\n4,Di,Oslo\n5,Ed,Paris\n")
        #expect(try workspace.lading("run").status == 0)
        let reference = try Workspace()
        try reference.writeLoadFixture()
        try reference.write("landing/people/people_4.csv", "id,name,city\n1,Ada,Cambridge\n2,Bob,Lyon\n4,Di,Oslo\n5,Ed,Paris\n")
        #expect(try reference.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", Self.shape) == reference.sqlite("warehouse.sqlite", Self.shape))
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// Defect 16: a FAILED SCD2 file removed from disk contributed nothing; it does not
    /// block a reset of its table.
    @Test func aFailedFileGoneFromDiskDoesNotBlockAReset() throws {
        let workspace = try workspace(lateFiles: nil)
        try workspace.write("landing/people/people_4.csv", "id,name,city\n1,Ada,X\n1,Ada,Y\n")
        #expect(try workspace.lading("run").status == 1)
        try FileManager.default.removeItem(atPath: workspace.url("landing/people/people_4.csv"))
        let before = try workspace.sqlite("warehouse.sqlite", Self.history)
        let reset = try workspace.lading("reset-state", "--table", "people", "--yes")
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", Self.history) == before)
    }

    /// Defect 15: while a reset replays a larger dimension, a reader polling it never
    /// sees it empty or missing.
    @Test func readersNeverSeeAReplayedTableEmpty() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(tables: [])
        try workspace.write("lading.yaml", """
            state_dir: ./state
            tables:
              - table_name: dim
                source_path: ./landing/dim
                loading_strategy: scd2
                primary_keys: [id]
            """)
        for day in 1...4 {
            var text = "id,value\n"
            for id in 0..<20_000 { text += "\(id),v\(id % (day * 7))\n" }
            try workspace.write("landing/dim/d_\(day).csv", text)
        }
        #expect(try workspace.lading("run").status == 0)
        let rows = try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM dim")
        let (process, out, err) = try CLI.start(["reset-state", "--table", "dim", "--yes", "--config", workspace.url("lading.yaml")], in: workspace.path)
        var seen: Set<String> = []
        while process.isRunning {
            let count = try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM dim")
            seen.insert(count.first ?? "missing")
        }
        let reset = CLI.finish(process, out, err)
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(seen.isSubset(of: Set(rows)), "a reader saw \(seen) where the table holds \(rows)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM dim") == rows)
    }
}

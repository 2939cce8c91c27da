import Foundation
import LadingCore
import LadingTestSupport
import Testing
import LadingSupport
import LadingConfiguration
import LadingStore
import LadingSQLite

/// SCD2 through the built binary: history against a reference model, and every bad
/// snapshot the issue lists.
@Suite struct SCD2CLITests {
    /// A snapshot row: composite key (k1 integer, k2 text) and two tracked text columns.
    struct Row: Hashable {
        var k1: Int
        var k2: String
        var a: String?
        var b: String?
    }

    struct Version: Equatable, CustomStringConvertible {
        var row: Row
        var start: String
        var end: String?
        var description: String { "\(row.k1)|\(row.k2)|\(row.a ?? "NULL")|\(row.b ?? "NULL")|\(start)|\(end ?? "NULL")|\(end == nil ? 1 : 0)" }
    }

    /// The reference model: SPEC §5 scd2 with `scd2_deletes: close`, written plainly.
    static func model(_ snapshots: [[Row]], starts: [String]) -> [String] {
        var versions: [Version] = []
        for (snapshot, start) in zip(snapshots, starts) {
            let keys = Set(snapshot.map { "\($0.k1)|\($0.k2)" })
            for index in versions.indices where versions[index].end == nil && !keys.contains("\(versions[index].row.k1)|\(versions[index].row.k2)") {
                versions[index].end = start
            }
            for row in snapshot {
                if let index = versions.firstIndex(where: { $0.end == nil && $0.row.k1 == row.k1 && $0.row.k2 == row.k2 }) {
                    if versions[index].row == row { continue }
                    versions[index].end = start
                }
                versions.append(Version(row: row, start: start, end: nil))
            }
        }
        return versions.sorted { ($0.row.k1, $0.row.k2, $0.start) < ($1.row.k1, $1.row.k2, $1.start) }.map(\.description)
    }

    static func csv(_ rows: [Row]) -> String {
        func field(_ value: String?) -> String {
            guard let value else { return "" }
            return value.contains(",") ? "\"\(value)\"" : value
        }
        return "k1,k2,a,b\n" + rows.map { "\($0.k1),\($0.k2),\(field($0.a)),\(field($0.b))\n" }.joined()
    }

    func writeConfig(_ workspace: Workspace, extra: String = "") throws {
        try FileManager.default.createDirectory(atPath: workspace.url("landing/dim"), withIntermediateDirectories: true)
        try workspace.write("lading.yaml", "state_dir: ./state\n" + workspace.warehouseSection() + """
            tables:
              - table_name: dim
                source_path: ./landing/dim
                file_pattern: "*.csv"
                loading_strategy: scd2
                primary_keys: [k1, k2]
                columns: {k1: integer, k2: text, a: text, b: text}
                scd2_effective_from: file_modified_time
                scd2_deletes: close
                scd2_max_delete_ratio: 1.0

            """ + extra)
    }

    /// The history as rows, dates as lading's text (PostgreSQL stores `timestamptz`).
    func history(_ workspace: Workspace) throws -> [String] {
        func text(_ column: String) -> String {
            workspace.backend == .sqlite ? column : "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        }
        return try workspace.query("""
            SELECT k1, k2, coalesce(a, 'NULL'), coalesce(b, 'NULL'), \(text("effective_date")), coalesce(\(text("end_date")), 'NULL'),
                CAST(is_current AS INTEGER)
            FROM dim ORDER BY k1, k2, effective_date
            """)
    }

    /// Random snapshot sequences (changes, NULLs, deletes, returning keys, unchanged
    /// files, an empty file) loaded in one run, then rerun: lading equals the model.
    @Test(arguments: TestBackend.allCases)
    func randomSnapshotSequencesMatchTheReferenceModel(backend: TestBackend) throws {
        let random = SeededRandom(seed: 2026)
        func pick(_ n: Int) -> Int { Int(random.nextUInt64() % UInt64(n)) }
        for trial in 0..<25 {
            let workspace = try Workspace.make(backend)
            try writeConfig(workspace)
            var snapshots: [[Row]] = []
            var current: [Row] = []
            let values: [String?] = [nil, "x", "y", "z, w", "ü"]
            for day in 0..<(2 + pick(4)) {
                if day > 0 && pick(5) == 0 {
                    snapshots.append(current)  // an unchanged file
                    continue
                }
                var next: [Row] = []
                for k1 in 0..<6 { for k2 in ["a", "b"] where pick(4) != 0 {
                    let previous = current.first { $0.k1 == k1 && $0.k2 == k2 }
                    if let previous, pick(3) != 0 { next.append(previous) } else {
                        next.append(Row(k1: k1, k2: k2, a: values[pick(values.count)], b: values[pick(values.count)]))
                    }
                } }
                if pick(8) == 0 { next = [] }  // an empty snapshot closes everything (ratio 1.0)
                var generator = SeededGenerator(source: random)
                snapshots.append(next.shuffled(using: &generator))
                current = next
            }
            var starts: [String] = []
            for (index, rows) in snapshots.enumerated() {
                let name = String(format: "landing/dim/snap_%02d.csv", index)
                try workspace.write(name, Self.csv(rows))
                let date = Date(timeIntervalSince1970: 1_767_225_600 + Double(index) * 86_400)
                try workspace.setModified(name, to: date)
                starts.append(String(format: "2026-01-%02dT00:00:00.000000Z", index + 1))
            }
            let run = try workspace.lading("run")
            #expect(run.status == 0, "\(backend) trial \(trial): \(run.stderr)")
            let expected = Self.model(snapshots, starts: starts)
            let actual = try history(workspace)
            #expect(actual == expected, "\(backend) trial \(trial) (seed 2026): got \(actual.filter { !expected.contains($0) }) expected \(expected.filter { !actual.contains($0) })")
            // A rerun changes nothing.
            #expect(try workspace.lading("run").status == 0)
            #expect(try history(workspace) == expected, "trial \(trial) after a rerun")
        }
    }

    func load(_ workspace: Workspace, _ name: String, _ text: String, day: Int) throws -> CLIResult {
        try workspace.write("landing/dim/" + name, text)
        try workspace.setModified("landing/dim/" + name, to: Date(timeIntervalSince1970: 1_767_225_600 + Double(day) * 86_400))
        return try workspace.lading("run")
    }

    @Test func aDuplicateKeyFailsTheFileNamingTheKeyAndBothLines() throws {
        let workspace = try Workspace()
        try writeConfig(workspace)
        #expect(try load(workspace, "s1.csv", "k1,k2,a,b\n1,a,x,x\n", day: 0).status == 0)
        let before = try history(workspace)
        let result = try load(workspace, "s2.csv", "k1,k2,a,b\n1,a,y,y\n2,b,x,x\n1,a,z,z\n", day: 1)
        #expect(result.status == 1)
        #expect(result.stdout.contains("(1, a)") && result.stdout.contains("lines 2 and 4"), "\(result.stdout)")
        #expect(try history(workspace) == before, "a failed file leaves the table as it was")
    }

    /// A snapshot that fails for good holds back the later ones, in this run and the
    /// next, and status says why; once fixed and reset, they apply in order.
    @Test func aFailedSnapshotHoldsBackTheLaterOnes() throws {
        let workspace = try Workspace()
        try writeConfig(workspace)
        #expect(try load(workspace, "s1.csv", "k1,k2,a,b\n1,a,x,x\n", day: 0).status == 0)
        try workspace.write("landing/dim/s3.csv", "k1,k2,a,b\n1,a,z,z\n")
        try workspace.setModified("landing/dim/s3.csv", to: Date(timeIntervalSince1970: 1_767_225_600 + 2 * 86_400))
        let failed = try load(workspace, "s2.csv", "k1,k2,a,b\n1,a,y,y\n1,a,w,w\n", day: 1)
        #expect(failed.status == 1)
        let again = try workspace.lading("run")
        #expect(again.stdout.contains("1 file(s) wait: s2.csv FAILED"), "\(again.stdout)")
        #expect(try history(workspace) == ["1|a|x|x|2026-01-01T00:00:00.000000Z|NULL|1"], "s3 did not skip s2")
        let status = try workspace.lading("status")
        #expect(status.stdout.contains("Held: dim: 1 file(s) wait behind"), "\(status.stdout)")
        try workspace.write("landing/dim/s2.csv", "k1,k2,a,b\n1,a,y,y\n")
        try workspace.setModified("landing/dim/s2.csv", to: Date(timeIntervalSince1970: 1_767_225_600 + 86_400))
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        #expect(try history(workspace) == ["1|a|x|x|2026-01-01T00:00:00.000000Z|2026-01-02T00:00:00.000000Z|0",
                                           "1|a|y|y|2026-01-02T00:00:00.000000Z|2026-01-03T00:00:00.000000Z|0",
                                           "1|a|z|z|2026-01-03T00:00:00.000000Z|NULL|1"])
    }

    @Test func aNullKeyIsQuarantinedAndTheRestApplies() throws {
        let workspace = try Workspace()
        try writeConfig(workspace, extra: "max_bad_record_ratio: 0.5\n")
        #expect(try load(workspace, "s1.csv", "k1,k2,a,b\n1,a,x,x\n,b,y,y\n", day: 0).status == 0)
        #expect(try history(workspace) == ["1|a|x|x|2026-01-01T00:00:00.000000Z|NULL|1"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT line_number, error_type FROM _lading_quarantine") == ["3|null_key"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT records_read, rows_loaded, rows_quarantined FROM _lading_loads") == ["2|1|1"])
    }

    @Test func theMassDeleteGuardRefusesAnEmptyOrMostlyMissingSnapshot() throws {
        let workspace = try Workspace()
        try writeConfig(workspace)
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "    scd2_max_delete_ratio: 1.0\n", with: ""))
        let full = "k1,k2,a,b\n" + (1...10).map { "\($0),a,x,x\n" }.joined()
        #expect(try load(workspace, "s1.csv", full, day: 0).status == 0)
        let before = try history(workspace)
        let empty = try load(workspace, "s2.csv", "k1,k2,a,b\n", day: 1)
        #expect(empty.status == 1)
        #expect(empty.stdout.contains("would close 10 of 10 current keys"), "\(empty.stdout)")
        #expect(try history(workspace) == before)
        try FileManager.default.removeItem(atPath: workspace.url("landing/dim/s2.csv"))
        let mostlyMissing = try load(workspace, "s3.csv", "k1,k2,a,b\n1,a,x,x\n2,a,x,x\n", day: 2)
        #expect(mostlyMissing.status == 1)
        #expect(mostlyMissing.stdout.contains("would close 8 of 10"), "\(mostlyMissing.stdout)")
        #expect(try history(workspace) == before)
    }

    /// `scd2_effective_from: <column>`: versions start at the row's value; an older row
    /// that changes something is late data (quarantined), an identical one is a no-op.
    @Test func lateRowsAreQuarantinedWhenTheyWouldRewriteHistory() throws {
        let workspace = try Workspace()
        try writeConfig(workspace, extra: "max_bad_record_ratio: 0.5\n")
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "")
            .replacingOccurrences(of: "scd2_effective_from: file_modified_time", with: "scd2_effective_from: changed_at")
            .replacingOccurrences(of: "b: text}", with: "b: text, changed_at: timestamp}\n    tracking_columns: [a, b]"))
        #expect(try load(workspace, "s1.csv", "k1,k2,a,b,changed_at\n1,a,x,x,2026-01-05T00:00:00Z\n2,a,x,x,2026-01-05T00:00:00Z\n", day: 0).status == 0)
        let second = try load(workspace, "s2.csv", "k1,k2,a,b,changed_at\n1,a,y,y,2026-01-03T00:00:00Z\n2,a,x,x,2026-01-02T00:00:00Z\n3,a,z,z,2026-01-06T00:00:00Z\n", day: 1)
        #expect(second.status == 0, "\(second.stdout)")
        let rows = try workspace.sqlite("warehouse.sqlite", "SELECT k1, a, effective_date, coalesce(end_date, 'NULL'), is_current FROM dim ORDER BY k1, effective_date")
        #expect(rows == ["1|x|2026-01-05T00:00:00Z|NULL|1", "2|x|2026-01-05T00:00:00Z|NULL|1", "3|z|2026-01-06T00:00:00Z|NULL|1"])
        let quarantine = try workspace.sqlite("warehouse.sqlite", "SELECT source_file LIKE '%s2.csv', record_number, line_number, error_type, raw_record FROM _lading_quarantine")
        #expect(quarantine == ["1|1|2|late_data|1,a,y,y,2026-01-03T00:00:00Z"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT records_read, rows_loaded, rows_quarantined FROM _lading_loads WHERE source_file LIKE '%s2.csv'") == ["3|2|1"])
    }

    /// Two runs at once, and a file applied again (reset of one file replays the
    /// table): never a second current version, and the history stays the model's.
    @Test func concurrentRunsAndReappliedFilesNeverDoubleACurrentVersion() throws {
        let workspace = try Workspace()
        try writeConfig(workspace)
        let snapshots: [[Row]] = [
            [Row(k1: 1, k2: "a", a: "x", b: nil), Row(k1: 2, k2: "a", a: "y", b: "y")],
            [Row(k1: 1, k2: "a", a: "z", b: nil), Row(k1: 3, k2: "b", a: nil, b: nil)],
            [Row(k1: 1, k2: "a", a: "z", b: "w"), Row(k1: 2, k2: "a", a: "y", b: "y"), Row(k1: 3, k2: "b", a: nil, b: nil)],
        ]
        for (index, rows) in snapshots.enumerated() {
            try workspace.write("landing/dim/s\(index).csv", Self.csv(rows))
            try workspace.setModified("landing/dim/s\(index).csv", to: Date(timeIntervalSince1970: 1_767_225_600 + Double(index) * 86_400))
        }
        let starts = (1...3).map { String(format: "2026-01-%02dT00:00:00.000000Z", $0) }
        let expected = Self.model(snapshots, starts: starts)
        let runs = try (0..<2).map { _ in try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path) }
        let statuses = runs.map { CLI.finish($0.0, $0.1, $0.2).status }
        #expect(statuses.allSatisfy { $0 == 0 || $0 == 75 } && statuses.contains(0), "\(statuses)")
        #expect(try workspace.lading("run").status == 0)
        #expect(try history(workspace) == expected)
        #expect(try workspace.lading("reset-state", "--file", "landing/dim/s1.csv", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        #expect(try history(workspace) == expected)
        let doubled = try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM (SELECT k1, k2 FROM dim WHERE is_current = 1 GROUP BY k1, k2 HAVING count(*) > 1)")
        #expect(doubled == ["0"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

/// A `RandomNumberGenerator` over a seeded source, for a reproducible shuffle.
struct SeededGenerator: RandomNumberGenerator {
    let source: SeededRandom
    mutating func next() -> UInt64 { source.nextUInt64() }
}

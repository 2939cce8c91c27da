import Foundation
import Testing
import LadingTestSupport
import LadingSupport
#if canImport(Glibc)
import Glibc
#endif

/// Merge (upsert, SCD1) and overwrite (issue 16, SPEC §5) through the built binary on
/// both backends: random snapshot sequences against a reference model, the refusals
/// (duplicate key, NULL key, delete guard, empty extract), crashes at the apply's fault
/// points and at random instants, reset replays and validation.
@Suite struct MergeOverwriteCLITests {
    /// A row of a merge snapshot: composite key (k1, k2), a nullable text and an integer.
    struct Row: Hashable {
        var k1: Int
        var k2: String
        var a: String?
        var b: Int
    }

    /// The reference model of SPEC §5 merge, written plainly: per key the latest file's
    /// row; a row rewritten only when a non-key column differs, so an unchanged row keeps
    /// the file that last wrote it; with deletes, keys missing from a snapshot go.
    static func model(_ snapshots: [(file: String, rows: [Row])], deletes: Bool) -> [String] {
        var table: [String: (row: Row, file: String)] = [:]
        for (file, rows) in snapshots {
            let keys = Set(rows.map { "\($0.k1)|\($0.k2)" })
            if deletes { table = table.filter { keys.contains($0.key) } }
            for row in rows {
                let key = "\(row.k1)|\(row.k2)"
                if let existing = table[key], existing.row == row { continue }
                table[key] = (row, file)
            }
        }
        return table.values.sorted { ($0.row.k1, $0.row.k2) < ($1.row.k1, $1.row.k2) }
            .map { "\($0.row.k1)|\($0.row.k2)|\($0.row.a ?? "NULL")|\($0.row.b)|\($0.file)" }
    }

    static func csv(_ rows: [Row]) -> String {
        "k1,k2,a,b\n" + rows.map { "\($0.k1),\($0.k2),\($0.a.map { $0.contains(",") ? "\"\($0)\"" : $0 } ?? ""),\($0.b)\n" }.joined()
    }

    func writeConfig(_ workspace: Workspace, deletes: Bool, ratio: Double? = 1.0, batchSize: Int = 10_000) throws {
        for folder in ["m", "o"] { try FileManager.default.createDirectory(atPath: workspace.url("landing/\(folder)"), withIntermediateDirectories: true) }
        try workspace.write("lading.yaml", "state_dir: ./state\nbatch_size: \(batchSize)\nretry_attempts: 20\n" + workspace.warehouseSection() + """
            tables:
              - table_name: m
                source_path: ./landing/m
                file_pattern: "*.csv"
                loading_strategy: merge
                primary_keys: [k1, k2]
                columns: {k1: integer, k2: text, a: text, b: integer}
                merge_deletes: \(deletes ? "delete" : "ignore")
            \(ratio.map { "    max_delete_ratio: \($0)\n" } ?? "")  - table_name: o
                source_path: ./landing/o
                file_pattern: "*.csv"
                loading_strategy: overwrite
                columns: {id: integer, v: text}

            """)
    }

    func merged(_ workspace: Workspace) throws -> [String] {
        try workspace.query("SELECT k1, k2, coalesce(a, 'NULL'), b, _source_file FROM m ORDER BY k1, k2")
    }

    /// Random snapshots: keys come, stay unchanged, change (also to and from NULL), leave
    /// and return; sometimes a file repeats the previous one, sometimes it is empty.
    func snapshots(_ random: SeededRandom, days: Int) -> [[Row]] {
        func pick(_ n: Int) -> Int { Int(random.nextUInt64() % UInt64(n)) }
        var result: [[Row]] = []
        var current: [Row] = []
        let values: [String?] = [nil, "x", "y", "z, w", "ü"]
        for day in 0..<days {
            if day > 0 && pick(6) == 0 { result.append(current); continue }
            var next: [Row] = []
            for k1 in 0..<8 { for k2 in ["a", "b"] where pick(4) != 0 {
                if let previous = current.first(where: { $0.k1 == k1 && $0.k2 == k2 }), pick(3) != 0 { next.append(previous) } else {
                    next.append(Row(k1: k1, k2: k2, a: values[pick(values.count)], b: pick(3)))
                }
            } }
            if pick(10) == 0 { next = [] }
            var generator = SeededGenerator(source: random)
            next.shuffle(using: &generator)
            result.append(next)
            current = next
        }
        return result
    }

    /// The property of issue 16: random sequences, all files in one run or one file per
    /// run, equal the model; a rerun changes nothing (audit columns included); a reset
    /// replays to the same table; validation passes after every run.
    @Test(arguments: TestBackend.allCases)
    func randomMergeSequencesMatchTheReferenceModel(backend: TestBackend) throws {
        let seed: UInt64 = 1_616
        let random = SeededRandom(seed: seed)
        for trial in 0..<(backend == .sqlite ? 16 : 8) {
            let deletes = trial % 2 == 1
            let oneByOne = trial % 4 >= 2
            let workspace = try Workspace.make(backend)
            try writeConfig(workspace, deletes: deletes)
            let days = snapshots(random, days: 2 + Int(random.nextUInt64() % 4))
            var log: [String] = ["seed \(seed) trial \(trial) deletes \(deletes) one-by-one \(oneByOne)"]
            var applied: [(file: String, rows: [Row])] = []
            for (index, rows) in days.enumerated() {
                let name = String(format: "landing/m/day_%02d.csv", index)
                try workspace.write(name, Self.csv(rows))
                applied.append((workspace.url(name), rows))
                log.append("\(name): \(rows.count) rows")
                if oneByOne {
                    let run = try workspace.lading("run")
                    #expect(run.status == 0, "\(log.joined(separator: "; ")): \(run.stdout) \(run.stderr)")
                    #expect(try merged(workspace) == Self.model(applied, deletes: deletes), "\(log.joined(separator: "; "))")
                    #expect(try workspace.lading("validate-consistency").status == 0, "\(log.joined(separator: "; "))")
                }
            }
            if !oneByOne {
                let run = try workspace.lading("run")
                #expect(run.status == 0, "\(log.joined(separator: "; ")): \(run.stdout) \(run.stderr)")
            }
            let expected = Self.model(applied, deletes: deletes)
            #expect(try merged(workspace) == expected, "\(log.joined(separator: "; "))")
            let whole = try workspace.query("SELECT k1, k2, _batch_id, _load_timestamp FROM m ORDER BY k1, k2")
            #expect(try workspace.lading("run").status == 0)
            #expect(try workspace.query("SELECT k1, k2, _batch_id, _load_timestamp FROM m ORDER BY k1, k2") == whole, "a rerun changed rows: \(log)")
            #expect(try workspace.lading("validate-consistency").status == 0, "\(log.joined(separator: "; "))")
            let reset = try workspace.lading("reset-state", "--table", "m", "--yes")
            #expect(reset.status == 0, "\(reset.stdout) \(reset.stderr)")
            #expect(try merged(workspace) == expected, "after reset-state: \(log.joined(separator: "; "))")
            #expect(try workspace.lading("validate-consistency").status == 0)
        }
    }

    @Test(arguments: TestBackend.allCases)
    func mergeRefusesDuplicateKeysQuarantinesNullKeysAndGuardsDeletes(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace, deletes: true, ratio: nil)
        try workspace.write("landing/m/d1.csv", "k1,k2,a,b\n1,a,x,1\n2,a,y,2\n3,a,z,3\n4,a,w,4\n")
        #expect(try workspace.lading("run").status == 0)
        // A duplicate key fails the file naming both lines; nothing of it applies.
        try workspace.write("landing/m/d2.csv", "k1,k2,a,b\n1,a,new,1\n2,a,y,2\n1,a,again,1\n3,a,z,3\n4,a,w,4\n")
        let duplicate = try workspace.lading("run")
        #expect(duplicate.status == 1 && duplicate.stdout.contains("lines 2 and 4"), "\(duplicate.stdout)")
        #expect(try workspace.query("SELECT a FROM m WHERE k1 = 1") == ["x"])
        try FileManager.default.removeItem(atPath: workspace.url("landing/m/d2.csv"))
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        _ = try workspace.change("state/tracker.sqlite", "DELETE FROM file_processing_tracker WHERE file_path LIKE '%d2.csv'")
        // A NULL key is a bad record (null_key); a record with a bad value whose key reads
        // still counts as present, so its key is not deleted.
        try workspace.write("landing/m/d3.csv", "k1,k2,a,b\n1,a,x,1\n,a,nokey,9\n2,a,y,notanumber\n3,a,z,3\n4,a,w,4\n")
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "merge_deletes: delete\n", with: "merge_deletes: delete\n    max_bad_record_ratio: 0.5\n"))
        let nullKey = try workspace.lading("run")
        #expect(nullKey.status == 0, "\(nullKey.stdout) \(nullKey.stderr)")
        #expect(try workspace.query("SELECT error_type, line_number FROM _lading_quarantine WHERE source_file LIKE '%d3.csv' ORDER BY line_number")
                == ["null_key|3", "type_conversion|4"])
        #expect(try workspace.query("SELECT k1 FROM m ORDER BY k1") == ["1", "2", "3", "4"])
        // The guard: a snapshot deleting 3 of 4 keys is refused at the default 0.5 …
        try workspace.write("landing/m/d4.csv", "k1,k2,a,b\n1,a,x,1\n")
        let guarded = try workspace.lading("run")
        #expect(guarded.status == 1 && guarded.stdout.contains("would delete 3 of the table's 4 keys"), "\(guarded.stdout)")
        #expect(try workspace.query("SELECT count(*) FROM m") == ["4"])
        // … and applied at 1.0.
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "merge_deletes: delete\n", with: "merge_deletes: delete\n    max_delete_ratio: 1.0\n"))
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        let allowed = try workspace.lading("run")
        #expect(allowed.status == 0 && allowed.stdout.contains("0 inserted, 0 updated, 1 unchanged, 3 deleted"), "\(allowed.stdout)")
        #expect(try workspace.query("SELECT k1 FROM m") == ["1"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test(arguments: TestBackend.allCases)
    func overwriteKeepsTheLatestFileAndRefusesAnEmptyExtract(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace, deletes: false, ratio: nil, batchSize: 3)
        try workspace.write("landing/o/e1.csv", "id,v\n1,a\n2,b\n")
        try workspace.write("landing/o/e2.csv", "id,v\n" + (1...10).map { "\($0),v\($0)\n" }.joined())
        try workspace.write("landing/o/e3.csv", "id,v\n7,x\n8,y\n9,z\n10,w\n11,u\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT id, v FROM o ORDER BY id") == ["7|x", "8|y", "9|z", "10|w", "11|u"])
        #expect(try workspace.query("SELECT count(*) FROM _lading_loads WHERE table_name = 'o' AND status = 'complete'") == ["3"])
        #expect(try workspace.trackerQuery("SELECT count(*) FROM file_processing_tracker WHERE table_name = 'o' AND status = 'COMPLETED'") == ["3"])
        #expect(try workspace.lading("validate-consistency").status == 0)
        // A reset replays to the same rows.
        #expect(try workspace.lading("reset-state", "--table", "o", "--yes").status == 0)
        #expect(try workspace.query("SELECT id, v, _source_file FROM o ORDER BY id").allSatisfy { $0.hasSuffix("e3.csv") })
        #expect(try workspace.query("SELECT count(*) FROM o") == ["5"])
        // An empty extract fails and leaves the table; allowed with max_delete_ratio 1.0.
        try workspace.write("landing/o/e4.csv", "id,v\n")
        let empty = try workspace.lading("run")
        #expect(empty.status == 1 && empty.stdout.contains("has no records"), "\(empty.stdout)")
        #expect(try workspace.query("SELECT count(*) FROM o") == ["5"])
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "loading_strategy: overwrite\n", with: "loading_strategy: overwrite\n    max_delete_ratio: 1.0\n"))
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT count(*) FROM o") == ["0"])
        #expect(try workspace.lading("validate-consistency").status == 0)
        // Damage by hand: a stale row is found and --fix replays the table.
        _ = try workspace.change("warehouse.sqlite", "INSERT INTO o (id, v, _source_file) VALUES (99, 'stale', '\(workspace.url("landing/o/e1.csv"))')")
        let damaged = try workspace.lading("validate-consistency", "--json")
        #expect(damaged.status == 1 && damaged.stdout.contains("overwrite_stale_rows"), "\(damaged.stdout)")
        #expect(try workspace.lading("validate-consistency", "--fix").status == 0)
        #expect(try workspace.query("SELECT count(*) FROM o") == ["0"])
    }

    /// Merge files apply in order like SCD2 snapshots: a late file fails by default and,
    /// with `late_files: replay`, the table is replayed with it in its place; `history
    /// --json` gives the per-key counts.
    @Test(arguments: TestBackend.allCases)
    func aLateMergeFileFailsOrReplaysInItsPlace(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace, deletes: false)
        let d1 = [Row(k1: 1, k2: "a", a: "x", b: 1), Row(k1: 2, k2: "a", a: "y", b: 2)]
        let d2 = [Row(k1: 1, k2: "a", a: "late", b: 1)]
        let d3 = [Row(k1: 2, k2: "a", a: "y2", b: 2), Row(k1: 3, k2: "a", a: nil, b: 0)]
        try workspace.write("landing/m/d1.csv", Self.csv(d1))
        try workspace.write("landing/m/d3.csv", Self.csv(d3))
        #expect(try workspace.lading("run").status == 0)
        let history = try workspace.lading("history", "--json")
        #expect(history.stdout.contains("\"inserted\" : 1") && history.stdout.contains("\"updated\" : 1"), "\(history.stdout)")
        try workspace.write("landing/m/d2.csv", Self.csv(d2))
        let late = try workspace.lading("run")
        #expect(late.status == 1 && late.stdout.contains("is late"), "\(late.stdout)")
        #expect(try merged(workspace) == Self.model([(workspace.url("landing/m/d1.csv"), d1), (workspace.url("landing/m/d3.csv"), d3)], deletes: false))
        try workspace.write("lading.yaml", (workspace.read("lading.yaml") ?? "").replacingOccurrences(of: "merge_deletes: ignore\n", with: "merge_deletes: ignore\n    late_files: replay\n"))
        #expect(try workspace.lading("reset-state", "--failed-only", "--yes").status == 0)
        let replayed = try workspace.lading("run")
        #expect(replayed.status == 0, "\(replayed.stdout) \(replayed.stderr)")
        #expect(try merged(workspace) == Self.model([(workspace.url("landing/m/d1.csv"), d1), (workspace.url("landing/m/d2.csv"), d2),
                                                     (workspace.url("landing/m/d3.csv"), d3)], deletes: false))
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    /// A merge file larger than a batch is checkpointed in a staging table (as append
    /// files are): killed after a checkpoint, the next run resumes there; a file that
    /// then fails (a duplicate key across batches) leaves no staging and no rows.
    @Test(arguments: TestBackend.allCases)
    func aLargeMergeFileResumesFromItsCheckpoint(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace, deletes: true, batchSize: 3)
        try workspace.write("lading.yaml", "max_bad_record_ratio: 0.5\n" + (workspace.read("lading.yaml") ?? ""))
        let day1 = (0..<5).map { Row(k1: $0, k2: "a", a: "x\($0)", b: $0) }
        let day2 = (0..<10).map { Row(k1: $0, k2: "a", a: $0 % 2 == 0 ? "changed" : "x\($0)", b: $0) }
        try workspace.write("landing/m/day_01.csv", Self.csv(day1))
        // Line 12: key (3, a) again with a bad value: quarantined, the key counts as present.
        try workspace.write("landing/m/day_02.csv", Self.csv(day2) + "3,a,bad,notanumber\n")
        // day_01's two checkpoints are hits 1 and 2; day_02's second checkpoint is hit 4.
        let killed = try workspace.lading("run", "--table", "m", environment: ["LADING_FAULT": "after-batch-commit:4"])
        #expect(killed.killed, "\(killed.stderr)")
        #expect(try workspace.query("SELECT status, checkpoint FROM _lading_loads WHERE source_file LIKE '%day_02.csv'") == ["partial|6"])
        let resumed = try workspace.lading("run", "--table", "m", "--json")
        #expect(resumed.status == 0 && resumed.stdout.contains("\"resumed\" : true"), "\(resumed.stdout) \(resumed.stderr)")
        let model = Self.model([(workspace.url("landing/m/day_01.csv"), day1), (workspace.url("landing/m/day_02.csv"), day2)], deletes: true)
        #expect(try merged(workspace) == model)
        #expect(try workspace.query("SELECT line_number FROM _lading_quarantine WHERE source_file LIKE '%day_02.csv'") == ["12"])
        #expect(try workspace.lading("validate-consistency").status == 0)
        // A duplicate key in two batches fails the file whole: no staging left, no rows changed.
        try workspace.write("landing/m/day_03.csv", Self.csv(day2.map { var row = $0; row.b += 100; return row }) + "1,a,dup,1\n")
        let duplicate = try workspace.lading("run", "--table", "m")
        #expect(duplicate.status == 1 && duplicate.stdout.contains("lines 3 and 12"), "\(duplicate.stdout)")
        #expect(try merged(workspace) == model)
        #expect(try workspace.query("SELECT count(*) FROM _lading_loads WHERE staging_table IS NOT NULL OR source_file LIKE '%day_03.csv'") == ["0"])
        #expect(try workspace.lading("validate-consistency", "--json").stdout.contains("\"staging_leftover\"") == false)
    }

    static let faults = ["after-claim", "after-batch-commit", "mid-apply", "mid-apply:2", "before-final-commit", "before-final-commit:2",
                         "after-final-commit", "after-tracker-complete"]

    /// A crash at each point of a merge and an overwrite apply, twice in a row where the
    /// point is hit again, then a clean run: equal to the model, validation passes.
    @Test(arguments: faults.map { (TestBackend.sqlite, $0) } + ["mid-apply", "before-final-commit:2", "after-final-commit"].map { (TestBackend.postgres, $0) })
    func aCrashInsideAMergeOrOverwriteApplyHeals(backend: TestBackend, fault: String) throws {
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace, deletes: true, batchSize: 4)
        let random = SeededRandom(seed: 2_016)
        let days = snapshots(random, days: 3)
        var applied: [(file: String, rows: [Row])] = []
        for (index, rows) in days.enumerated() {
            let name = String(format: "landing/m/day_%02d.csv", index)
            try workspace.write(name, Self.csv(rows))
            applied.append((workspace.url(name), rows))
        }
        try workspace.write("landing/o/e1.csv", "id,v\n" + (1...9).map { "\($0),a\($0)\n" }.joined())
        try workspace.write("landing/o/e2.csv", "id,v\n" + (5...15).map { "\($0),b\($0)\n" }.joined())
        for round in 0..<2 {
            let crashed = try workspace.lading("run", environment: ["LADING_FAULT": fault])
            if round == 0 { #expect(crashed.killed, "\(fault) should have killed the run: \(crashed.stderr)") }
        }
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(fault): \(rerun.stdout) \(rerun.stderr)")
        #expect(try merged(workspace) == Self.model(applied, deletes: true), "\(fault)")
        #expect(try workspace.query("SELECT id, v FROM o ORDER BY id") == (5...15).map { "\($0)|b\($0)" }, "\(fault)")
        let check = try workspace.lading("validate-consistency")
        #expect(check.status == 0, "\(fault): \(check.stdout)")
    }

    /// `kill -9` at random instants of a run over merge and overwrite files, several
    /// times, then a clean run: equal to the model.
    @Test(arguments: TestBackend.allCases)
    func killNineAtRandomInstantsThenRun(backend: TestBackend) throws {
        let seed: UInt64 = 99
        let random = SeededRandom(seed: seed)
        let workspace = try Workspace.make(backend)
        try writeConfig(workspace, deletes: true, batchSize: 50)
        var applied: [(file: String, rows: [Row])] = []
        for (index, rows) in snapshots(random, days: 6).enumerated() {
            let name = String(format: "landing/m/day_%02d.csv", index)
            try workspace.write(name, Self.csv(rows))
            applied.append((workspace.url(name), rows))
        }
        for index in 0..<4 { try workspace.write("landing/o/e\(index).csv", "id,v\n" + (0..<400).map { "\($0),f\(index)-\($0)\n" }.joined()) }
        var log: [String] = ["seed \(seed)"]
        for attempt in 0..<5 {
            let delay = Double(random.nextUInt64() % 400) / 1_000
            let (process, out, err) = try CLI.start(["run", "--config", workspace.url("lading.yaml")], in: workspace.path)
            usleep(useconds_t(delay * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            let result = CLI.finish(process, out, err)
            log.append("attempt \(attempt): kill after \(delay)s (\(result.killed ? "killed" : "had exited \(result.status)"))")
        }
        let rerun = try workspace.lading("run")
        #expect(rerun.status == 0, "\(log): \(rerun.stdout) \(rerun.stderr)")
        #expect(try merged(workspace) == Self.model(applied, deletes: true), "\(log)")
        #expect(try workspace.query("SELECT id, v FROM o ORDER BY id") == (0..<400).map { "\($0)|f3-\($0)" }, "\(log)")
        #expect(try workspace.lading("validate-consistency").status == 0, "\(log)")
    }
}

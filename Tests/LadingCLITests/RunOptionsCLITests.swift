import Foundation
import LadingTestSupport
import Testing

/// `run --max-files N` and `--report PATH` (SPEC §2, §8).
@Suite struct RunOptionsCLITests {
    @Test func maxFilesLoadsTheFirstFilesInOrderAndTheRestLater() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        for index in 1...5 { try workspace.write("landing/orders/o_\(index).csv", "id\n\(index)\n") }
        #expect(try workspace.lading("run", "--max-files", "2").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders ORDER BY id") == ["1", "2"])
        #expect(try workspace.lading("run", "--max-files", "2").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id FROM orders ORDER BY id") == ["1", "2", "3", "4"])
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["5"])
    }

    @Test func theReportGoesWhereItIsAskedWithPerFileCounts() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "max_bad_record_ratio: 0.5\n")
        try workspace.write("landing/orders/a.csv", "id,name\n1,x\n2\n3,z\n")
        let path = workspace.url("out/night.json")
        #expect(try workspace.lading("run", "--report", path).status == 0)
        let data = try #require(FileManager.default.contents(atPath: path))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(report["outcome"] as? String == "success")
        #expect(report["report_path"] as? String == path)
        let tables = try #require(report["tables"] as? [[String: Any]])
        let files = try #require(tables.first?["files"] as? [[String: Any]])
        #expect(files.first?["records_read"] as? Int == 3 && files.first?["rows_loaded"] as? Int == 2 && files.first?["rows_quarantined"] as? Int == 1, "\(files)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.url("out")).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty)
        #expect(!workspace.exists("state/reports"), "an explicit --report is the only report")
    }
}

/// Issue 13: a file failing on its bad records says what was counted: the whole file,
/// or the first batch when `max_bad_record_ratio: 0` stopped reading there.
@Suite struct BadRecordMessageCLITests {
    @Test(arguments: [("0", "1 bad record(s) in its first 1000 records"), ("0.0001", "3 of its 2500 records are bad")])
    func theMessageSaysWhatWasCounted(ratio: String, expected: String) throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "batch_size: 1000\nmax_bad_record_ratio: \(ratio)\n", tableExtra: "    columns: {id: integer}\n")
        var text = "id\n"
        for index in 1...2500 { text += ([10, 1500, 2400].contains(index) ? "x\(index)" : "\(index)") + "\n" }
        try workspace.write("landing/orders/a.csv", text)
        let run = try workspace.lading("run")
        #expect(run.status == 1 && run.stdout.contains(expected), "\(run.stdout)")
    }
}

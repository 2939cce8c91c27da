import Foundation
import LadingTestSupport
import Testing

/// quarantine list and reprocess: records fixed by a config change load exactly once.
@Suite struct QuarantineCLITests {
    @Test(arguments: TestBackend.allCases)
    func reprocessLoadsNowValidRecordsOnceAndConservationHolds(backend: TestBackend) throws {
        let workspace = try Workspace.make(backend)
        try workspace.writeConfig(extra: "max_bad_record_ratio: 0.8\n", tableExtra: "    columns: {id: integer, qty: integer}\n")
        try workspace.write("landing/orders/a.csv", "id,qty,note\n1,5,ok\n2,NA,\"missing, qty\"\n3,x,bad\n4,NA,again\n")
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT records_read, rows_loaded, rows_quarantined FROM _lading_loads") == ["4|1|3"])

        let list = try workspace.lading("quarantine", "list", "--table", "orders")
        #expect(list.status == 0)
        #expect(list.stdout.contains("a.csv:3") && list.stdout.contains("type_conversion") && list.stdout.contains("2,NA,\"missing, qty\""), "\(list.stdout)")
        let listed = try workspace.lading("quarantine", "list", "--file", "landing/orders/a.csv", "--json")
        #expect(listed.stdout.components(separatedBy: "\"record_number\"").count - 1 == 3, "\(listed.stdout)")

        // The fix: "NA" means NULL.
        let config = workspace.read("lading.yaml") ?? ""
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "    columns:", with: "    csv: {null_values: [\"\", \"NA\"]}\n    columns:"))
        let first = try workspace.lading("quarantine", "reprocess", "--json")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"reprocessed\" : 2") && first.stdout.contains("\"still_bad\" : 1"), "\(first.stdout)")
        #expect(try workspace.query("SELECT id, coalesce(CAST(qty AS TEXT), 'NULL'), note FROM orders ORDER BY id") == ["1|5|ok", "2|NULL|missing, qty", "4|NULL|again"])
        #expect(try workspace.query("SELECT records_read, rows_loaded, rows_quarantined FROM _lading_loads") == ["4|3|1"])
        #expect(try workspace.query("SELECT line_number FROM _lading_quarantine WHERE reprocessed_at IS NULL") == ["4"])
        #expect(try workspace.trackerQuery("SELECT rows_loaded, rows_quarantined FROM file_processing_tracker") == ["3|1"])

        let second = try workspace.lading("quarantine", "reprocess", "--json")
        #expect(second.stdout.contains("\"reprocessed\" : 0"), "\(second.stdout)")
        #expect(try workspace.query("SELECT count(*) FROM orders") == ["3"], "a second reprocess loads nothing more")
        #expect(try workspace.lading("validate-consistency").status == 0)
        // A rerun of the file itself still gives each record once.
        #expect(try workspace.lading("reset-state", "--file", "landing/orders/a.csv", "--yes").status == 0)
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.query("SELECT id FROM orders ORDER BY id") == ["1", "2", "4"])
        // One set of quarantine rows per file, that of its latest load: the rows the
        // earlier load's reprocess marked are gone with the rows they describe.
        #expect(try workspace.query("SELECT line_number, CASE WHEN reprocessed_at IS NULL THEN 1 ELSE 0 END FROM _lading_quarantine") == ["4|1"])
        #expect(try workspace.query("SELECT records_read, rows_loaded, rows_quarantined FROM _lading_loads") == ["4|3|1"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }
}

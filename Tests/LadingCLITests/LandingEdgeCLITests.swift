import Foundation
import LadingTestSupport
import Testing

/// Landing folders as operators leave them: links, odd file names, patterns that
/// climb out of `source_path`.
@Suite struct LandingEdgeCLITests {
    func writeConfig(_ workspace: Workspace, pattern: String) throws {
        try FileManager.default.createDirectory(atPath: workspace.url("landing/orders"), withIntermediateDirectories: true)
        try workspace.write("lading.yaml", """
        state_dir: ./state
        warehouse:
          path: ./warehouse.sqlite
        tables:
          - table_name: orders
            source_path: ./landing/orders
            file_pattern: "\(pattern)"
        """)
    }

    @Test(arguments: [("*.csv", "b.csv"), ("**/*.csv", "2026/01/b.csv")])
    func aLinkToAFileInsideTheSourceFolderLoadsItOnce(pattern: String, real: String) throws {
        let workspace = try Workspace()
        try writeConfig(workspace, pattern: pattern)
        try workspace.write("landing/orders/" + real, "id,amount\n1,10\n2,20\n")
        try FileManager.default.createSymbolicLink(atPath: workspace.url("landing/orders/a.csv"), withDestinationPath: workspace.url("landing/orders/" + real))
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT _source_file, count(*) FROM orders GROUP BY 1") == ["\(workspace.url("landing/orders/" + real))|2"])
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT file_path, status FROM file_processing_tracker") == ["\(workspace.url("landing/orders/" + real))|COMPLETED"])
        #expect(try workspace.lading("run").status == 0)
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["2"])
        #expect(try workspace.lading("validate-consistency").status == 0)
    }

    @Test func aFilePatternClimbingOutOfTheSourceFolderExits78() throws {
        let workspace = try Workspace()
        try writeConfig(workspace, pattern: "../elsewhere/*.csv")
        let result = try workspace.lading("run")
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("key tables[0].file_pattern") && result.stderr.contains("line 7"), "\(result.stderr)")
        #expect(!workspace.exists("state/tracker.sqlite"))
    }

    @Test func aNewlineInAFileNameKeepsTextLogsOneLinePerEvent() throws {
        let workspace = try Workspace()
        try writeConfig(workspace, pattern: "*.csv")
        try workspace.write("landing/orders/a\nINFO forged line.csv", "id\n1\n")
        let result = try workspace.lading("run", "--log-format", "text")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.hasPrefix("20") && line.contains("Z "), "a line that is not an event: \(line)")
        }
        #expect(result.stderr.contains(#"a\nINFO forged line.csv"#), "\(result.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM orders") == ["1"])
    }
}

import Foundation
import LadingTestSupport
import Testing

/// JSON Lines end to end through the binary: a poison line, stored nested values, keys
/// that differ only in case.
@Suite struct JSONLCLITests {
    func writeJSONLConfig(_ workspace: Workspace, badRatio: Double = 0.5) throws {
        try FileManager.default.createDirectory(atPath: workspace.url("landing/events"), withIntermediateDirectories: true)
        try workspace.write("lading.yaml", """
        state_dir: ./state
        warehouse:
          path: ./warehouse.sqlite
        max_bad_record_ratio: \(badRatio)
        tables:
          - table_name: events
            source_path: ./landing/events
            file_pattern: "*.jsonl"
        """)
    }

    @Test func aPoisonLineIsQuarantinedAndTheGoodLinesLoad() throws {
        let workspace = try Workspace()
        try writeJSONLConfig(workspace)
        let poison = "{\"id\": 3, \"v\": " + String(repeating: "[", count: 400_000)
        try workspace.write("landing/events/a.jsonl", "{\"id\": 1}\n{\"id\": 2, \"v\": [[1]]}\n" + poison + "\n{\"id\": 4}\n")
        try workspace.write("landing/events/b.jsonl", "{\"id\": 5}\n")
        // No backtrace: before the fix a crash printed one larger than a pipe holds.
        let result = try workspace.lading("run", environment: ["SWIFT_BACKTRACE": "enable=no"])
        #expect(result.status == 0, "status \(result.status), killed \(result.killed): \(result.stderr.suffix(2000))")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id, coalesce(v, 'NULL') FROM events ORDER BY id") == ["1|NULL", "2|[[1]]", "4|NULL", "5|NULL"])
        let quarantined = try workspace.sqlite("warehouse.sqlite", "SELECT line_number, error_type, error_message FROM _lading_quarantine")
        #expect(quarantined.count == 1)
        #expect(quarantined.first?.hasPrefix("3|invalid_json|") == true, "\(quarantined)")
        #expect(quarantined.first?.contains("nested deeper than 512") == true, "\(quarantined)")
        #expect(try workspace.sqlite("state/tracker.sqlite", "SELECT status, rows_loaded, rows_quarantined FROM file_processing_tracker ORDER BY file_path")
                == ["COMPLETED|3|1", "COMPLETED|1|0"])
    }

    @Test func storedNestedValuesPassJSONValidAndInvalidOnesAreQuarantined() throws {
        let workspace = try Workspace()
        try writeJSONLConfig(workspace, badRatio: 1)
        let good = [
            #"{"id": 1, "v": ["\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00 \u0000"]}"#,
            #"{"id": 2, "v": { "k\u00e9" : [ 1 , -0.5e+3 , true , null , {} ] }}"#,
            "{\"id\": 3, \"v\": " + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}",
        ]
        let bad = [
            #"{"id": 11, "v": ["\x","\u12"]}"#,
            #"{"id": 12, "v": {"k\q": 1}}"#,
            #"{"id": 13, "v": ["\u12G4"]}"#,
            "{\"id\": 14, \"v\": " + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "}",
        ]
        try workspace.write("landing/events/a.jsonl", (good + bad).joined(separator: "\n") + "\n")
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id, json_valid(v) FROM events ORDER BY id") == ["1|1", "2|1", "3|1"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT line_number FROM _lading_quarantine ORDER BY line_number") == ["4", "5", "6", "7"])
    }

    @Test func keysEqualIgnoringCaseLandInTheirOwnColumns() throws {
        let workspace = try Workspace()
        try writeJSONLConfig(workspace)
        try workspace.write("landing/events/a.jsonl", #"{"id": 1, "name": "lower", "NAME": "upper"}"# + "\n")
        #expect(try workspace.lading("run").status == 0)
        // A later file meets the table that now exists.
        try workspace.write("landing/events/b.jsonl", #"{"id": 2, "name": "lower 2", "NAME": "upper 2"}"# + "\n")
        let result = try workspace.lading("run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT name FROM pragma_table_info('events') WHERE name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY cid")
                == ["id", "name", "NAME_2"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT id, name, NAME_2 FROM events ORDER BY id")
                == ["1|lower|upper", "2|lower 2|upper 2"])
    }
}

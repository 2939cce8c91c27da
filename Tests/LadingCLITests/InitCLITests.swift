import Foundation
import LadingCore
import LadingTestSupport
import Testing
import LadingSupport
import LadingConfiguration
import LadingStore
import LadingSQLite

/// `lading init` (SPEC §2, issue 13): a config drafted from the files loads them
/// unchanged, with the declared types being the types the tables get, and an existing
/// file is never replaced.
@Suite struct InitCLITests {
    let workspace: Workspace

    init() throws {
        workspace = try Workspace()
    }

    /// Runs `lading` in the workspace with exactly these arguments (no --config added).
    func run(_ arguments: String...) throws -> CLIResult {
        try CLI.run(arguments, in: workspace.path)
    }

    func gzip(_ relative: String, _ text: String) throws {
        let plain = try workspace.write("tmp/plain", text)
        try FileManager.default.createDirectory(atPath: (workspace.url(relative) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c '\(plain)' > '\(workspace.url(relative))'"]
        try process.run()
        process.waitUntilExit()
        try FileManager.default.removeItem(atPath: plain)
    }

    func writeTwoFolders() throws {
        try workspace.write("landing/flights/flights_2013-01.csv", """
        id,distance,air_time,dep_date,dep_at,carrier,delay
        1,1400,3.5,2013-01-01,2013-01-01T05:15:00Z,UA,12
        2,1416,4.25,2013-01-02,2013-01-02 05:29:00,AA,NA
        3,1089,2.75,2013-01-03,2013-01-03T05:40:00+01:00,B6,-3

        """)
        try workspace.write("landing/flights/flights_2013-02.csv", """
        id,distance,air_time,dep_date,dep_at,carrier,delay
        4,944,1.5,2013-02-01,2013-02-01T06:00:00Z,DL,NA

        """)
        try gzip("landing/Weather Events/events_1.jsonl.gz", """
        {"station":"EWR","reading":21,"wind":3.4,"day":"2013-01-01","observed_at":"2013-01-01T01:00:00Z","calm":false,"tags":["a","b"]}
        {"station":"JFK","reading":19,"wind":0,"day":"2013-01-01","observed_at":"2013-01-01T02:00:00Z","calm":true,"tags":[]}

        """)
    }

    @Test func initOverTwoFoldersLoadsUnchangedWithTheDeclaredTypes() throws {
        try writeTwoFolders()
        let result = try run("init", "--source", "landing/flights", "--source", "landing/Weather Events")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(workspace.url("lading.yaml"))"))
        let text = try #require(workspace.read("lading.yaml"))
        #expect(text.contains("source_path: \"./landing/flights\""))
        #expect(text.contains("file_pattern: \"flights_*.csv\""))
        #expect(text.contains("file_pattern: \"events_*.jsonl.gz\""))
        #expect(text.contains("# null_values: [\"\", \"NA\"]"))

        let config = try ConfigLoader.load(path: workspace.url("lading.yaml"))
        let declared = Dictionary(uniqueKeysWithValues: config.tables.map { ($0.name, $0.columns.map { "\($0.name)|\($0.type.rawValue)" }) })
        #expect(declared["flights"] == ["id|integer", "distance|integer", "air_time|real", "dep_date|date",
                                        "dep_at|timestamp", "carrier|text", "delay|text"])
        #expect(declared["weather_events"] == ["station|text", "reading|integer", "wind|real", "day|date",
                                               "observed_at|timestamp", "calm|boolean", "tags|text"])

        let before = workspace.read("lading.yaml")
        let load = try workspace.lading("run", "--no-progress")
        #expect(load.status == 0, "\(load.stdout)\n\(load.stderr)")
        #expect(workspace.read("lading.yaml") == before)
        for (table, columns) in declared {
            let actual = try workspace.sqlite("warehouse.sqlite", "SELECT column_name, column_type FROM _lading_columns WHERE table_name = '\(table)' ORDER BY position")
            #expect(actual.filter { !$0.hasPrefix("_") } == columns, "\(table)")
        }
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM flights") == ["4"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM weather_events") == ["2"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT count(*) FROM _lading_quarantine") == ["0"])
        #expect(try workspace.sqlite("warehouse.sqlite", "SELECT dep_at FROM flights WHERE id = 3") == ["2013-01-03T04:40:00Z"])
    }

    @Test func neverOverwritesAnExistingFile() throws {
        try writeTwoFolders()
        try workspace.write("lading.yaml", "# mine, hand-written\n")
        let result = try run("init", "--source", "landing/flights")
        #expect(result.status == 78)
        #expect(result.stderr.contains(workspace.url("lading.yaml")))
        #expect(result.stderr.contains("never overwrites"))
        #expect(workspace.read("lading.yaml") == "# mine, hand-written\n")

        try workspace.write("conf/other.yaml", "x: 1\n")
        let explicit = try run("init", "--source", "landing/flights", "--output", "conf/other.yaml")
        #expect(explicit.status == 78)
        #expect(workspace.read("conf/other.yaml") == "x: 1\n")
        #expect(!workspace.exists("state"))
    }

    @Test func folderNamesBecomePlainTableNames() throws {
        try workspace.write("landing/2024 Sales-data/s.csv", "a\n1\n")
        try workspace.write("landing/_lading_stuff/s.csv", "a\n1\n")
        try workspace.write("landing/sales/s.csv", "a\n1\n")
        try workspace.write("landing/Sales/s.csv", "a\n1\n")
        try FileManager.default.createDirectory(atPath: workspace.url("conf"), withIntermediateDirectories: true)
        let result = try run("init", "--source", "landing", "--output", "conf/first.yaml")
        #expect(result.status == 0, "\(result.stderr)")
        let config = try ConfigLoader.load(path: workspace.url("conf/first.yaml"))
        #expect(config.tables.map(\.name) == ["t_2024_sales_data", "sales", "lading_stuff", "sales_2"])
        #expect(config.tables[0].sourcePath == workspace.url("landing/2024 Sales-data"))
        let text = try #require(workspace.read("conf/first.yaml"))
        #expect(text.contains("source_path: \"../landing/2024 Sales-data\""))
        let load = try CLI.run(["run", "--no-progress", "--config", "conf/first.yaml"], in: workspace.path)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(try workspace.sqlite("conf/warehouse.sqlite", "SELECT count(*) FROM t_2024_sales_data") == ["1"])
    }

    @Test func refusesAMissingSourceOrOneWithoutDataFiles() throws {
        let missing = try run("init", "--source", "nowhere")
        #expect(missing.status == 64)
        #expect(missing.stderr.contains(workspace.url("nowhere")))
        try workspace.write("landing/notes/readme.txt", "hello\n")
        let empty = try run("init", "--source", "landing")
        #expect(empty.status == 64)
        #expect(!workspace.exists("lading.yaml"))
        let none = try run("init")
        #expect(none.status == 64)
    }
}

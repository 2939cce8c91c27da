import Foundation
import LadingTestSupport
import Logging
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// The drafted config is one `ConfigLoader` reads back to the same tables and columns,
/// whatever characters the headers and folders hold.
@Suite struct StarterConfigGeneratorTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
    }

    func generate(_ sources: [String], output: String = "lading.yaml") throws -> StarterConfig {
        try StarterConfigGenerator(sources: sources.map { folder.url($0) }, outputPath: folder.url(output), now: Date()).generate()
    }

    @Test func roundTripsThroughConfigLoader() throws {
        try folder.write("in/odd/a.csv", "\"a\"\"; DROP TABLE t; --\",yes,#x,,Name,name,_source_file,\"k: v\",\"tab\there\"\n1,2,3,4,5,6,7,8,9\n")
        try folder.write("in/mixed/m1.tsv", "id\twhen\n1\t2024-01-02\n")
        try folder.write("in/mixed/m2.tsv", "id\twhen\n2\t2024-01-03\n")
        try folder.write("in/mixed/x.jsonl", "{\"k\":1}\n")
        let starter = try generate(["in"])
        let path = try folder.write("lading.yaml", starter.text)
        let config = try ConfigLoader.load(path: path)

        let active = starter.tables.filter(\.isActive)
        #expect(config.tables.map(\.name) == active.map(\.name))
        #expect(active.map(\.name) == ["mixed", "odd"])
        for (loaded, drafted) in zip(config.tables, active) {
            #expect(loaded.columns == drafted.columns.map { TableConfig.Column(name: $0.name, type: $0.type) })
            #expect(loaded.sourcePath == drafted.sourcePath)
            #expect(loaded.filePattern == drafted.filePattern)
            #expect(loaded.format == drafted.format)
        }
        let odd = try #require(config.table(named: "odd"))
        #expect(odd.columns.map(\.name) == ["a\"; DROP TABLE t; --", "yes", "#x", "column_4", "Name", "name_2", "_source_file_2", "k: v", "tab\there"])
        let mixed = try #require(config.table(named: "mixed"))
        #expect(mixed.format == .tsv)
        #expect(mixed.filePattern == "*.tsv")
        #expect(mixed.columns == [.init(name: "id", type: .integer), .init(name: "when", type: .date)])
        // The minority format is drafted complete, commented out under its own name.
        #expect(starter.tables.contains { $0.name == "mixed_jsonl" && !$0.isActive })
        #expect(starter.text.contains("# note: commented out"))
        #expect(starter.text.contains("#   - table_name: mixed_jsonl"))
    }

    @Test func nullWordsGiveAHintButNotTheType() throws {
        try folder.write("in/r_export/data.csv", "x,y\n1,NA\nNA,2.5\n3,NULL\n")
        let starter = try generate(["in/r_export"])
        let table = try #require(starter.tables.first)
        #expect(table.columns.map(\.type) == [.text, .text])
        #expect(table.columns.map(\.typeWithNullWords) == [.integer, .real])
        #expect(starter.text.contains("# null_values: [\"\", \"NA\", \"NULL\"]"))
        #expect(starter.text.contains("holds \"NA\"; integer with the null_values hint"))
    }

    @Test(arguments: [
        (["orders_2024-01-01.csv", "orders_2024-01-02.csv"], "orders_*.csv"),
        (["flights.csv"], "*.csv"),
        (["a.csv", "b.csv.gz"], "*.csv*"),
        (["x_1.jsonl.gz", "x_2.jsonl.gz"], "x_*.jsonl.gz"),
        (["DATA.CSV"], "*.CSV"),
        (["[weird]_1.csv", "[weird]_2.csv"], "*.csv"),
    ])
    func filePatternMatchesWhatWasFound(names: [String], pattern: String) {
        #expect(FilePatternGuess.pattern(for: names) == pattern)
        #expect(names.allSatisfy { GlobPattern(pattern).matches($0) })
    }

    /// Guards against drift: init must read as many records as the run it predicts.
    @Test func samplesAsManyRecordsAsARun() throws {
        let warehouse = try SQLiteWarehouse(path: folder.url("w.sqlite"))
        let table = StarterConfigGenerator.tableConfig(name: "t", sourcePath: folder.path, filePattern: "*.csv", format: .csv)
        let context = LoadContext(warehouse: warehouse, table: table, batchSize: 10, maxRecordBytes: 1 << 20,
                                  clock: SystemClock(), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(SchemaSampler.sampleSize == context.sampleSize)
    }

    @Test func tableNamesArePlainIdentifiers() {
        var naming = TableNaming()
        #expect(naming.name(forFolder: "2024 Sales-data") == "t_2024_sales_data")
        #expect(naming.name(forFolder: "_lading_x") == "lading_x")
        #expect(naming.name(forFolder: "Orders") == "orders")
        #expect(naming.name(forFolder: "orders") == "orders_2")
        #expect(naming.name(forFolder: "---") == "table")
    }

    @Test func refusesAnExistingOutputBeforeScanning() throws {
        try folder.write("in/t/a.csv", "a\n1\n")
        try folder.write("lading.yaml", "keep\n")
        #expect(throws: InitError.self) { try generate(["in"]) }
        let starter = try generate(["in"], output: "new.yaml")
        try folder.write("new.yaml", "appeared meanwhile\n")
        #expect(throws: InitError.self) { try StarterConfigWriter.write(starter) }
        #expect(folder.read("new.yaml") == "appeared meanwhile\n")
    }
}

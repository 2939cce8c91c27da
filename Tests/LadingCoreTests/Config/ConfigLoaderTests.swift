import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct ConfigLoaderTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.url("landing/t"), withIntermediateDirectories: true)
    }

    func load(_ yaml: String) throws -> LadingConfig {
        let path = try folder.write("lading.yaml", yaml)
        return try ConfigLoader.load(path: path)
    }

    func configError(_ yaml: String) -> ConfigError? {
        do {
            _ = try load(yaml)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("expected a ConfigError, got \(error)")
            return nil
        }
    }

    @Test func postgresKeysAreReadAndCheckedAgainstTheDriver() throws {
        let config = try load("""
        warehouse:
          driver: postgres
          dsn: "host=db1 dbname=dw password=${PGPASS}"
          schema: analytics
        tables:
          - table_name: t
            source_path: landing/t
        """)
        #expect(config.warehouse.driver == .postgres)
        #expect(config.warehouse.dsn == "host=db1 dbname=dw password=${PGPASS}", "expanded only when connecting")
        #expect(config.warehouse.schema == "analytics" && config.warehouse.stateSchema == "lading_state" && config.warehouse.leaseSeconds == 300)
        let sqliteWithDSN = configError("warehouse:\n  dsn: \"host=x\"\ntables:\n  - table_name: t\n    source_path: landing/t\n")
        #expect(sqliteWithDSN?.message.contains("driver: postgres only") == true, "\(String(describing: sqliteWithDSN))")
        let long = String(repeating: "t", count: 64)
        let tooLong = configError("warehouse:\n  driver: postgres\ntables:\n  - table_name: \(long)\n    source_path: landing/t\n")
        #expect(tooLong?.message.contains("at most 63 bytes") == true, "\(String(describing: tooLong))")
        #expect(tooLong?.exitStatus == .configuration)
        let longSchema = configError("warehouse:\n  driver: postgres\n  state_schema: \(long)\ntables:\n  - table_name: t\n    source_path: landing/t\n")
        #expect(longSchema?.message.contains("state_schema") == true, "\(String(describing: longSchema))")
        #expect(configError("warehouse:\n  driver: mysql\ntables:\n  - table_name: t\n    source_path: landing/t\n")?.message.contains("sqlite, postgres") == true)
        // The same 64-byte table name is fine on SQLite.
        #expect(try load("tables:\n  - table_name: \(long)\n    source_path: landing/t\n").tables.first?.name == long)
    }

    @Test func minimalConfigGetsDefaultsAndAbsolutePaths() throws {
        let config = try load("""
        tables:
          - table_name: t
            source_path: landing/t
        """)
        #expect(config.stateDirectory == folder.url("state"))
        #expect(config.trackerPath == folder.url("state/tracker.sqlite"))
        #expect(config.lockPath == folder.url("state/lading.lock"))
        #expect(config.warehouse.path == folder.url("warehouse.sqlite"))
        #expect(config.retryAttempts == 3)
        #expect(config.batchSize == 10_000)
        #expect(config.tables[0].sourcePath == folder.url("landing/t"))
        #expect(config.tables[0].strategy == .append)
        #expect(config.tables[0].filePattern == "*")
        #expect(config.tables[0].effectiveDateColumn == "effective_date")
    }

    @Test func unknownTopLevelKeyIsNamedWithItsLine() throws {
        let error = try #require(configError("""
        state_dir: ./state
        retry_atempts: 3
        tables:
          - table_name: t
            source_path: landing/t
        """))
        #expect(error.keyPath == "retry_atempts")
        #expect(error.line == 2)
        #expect(error.message.contains("retry_attempts"))
        #expect(error.message.contains(folder.url("lading.yaml")))
        #expect(error.exitStatus == .configuration)
    }

    @Test func typoInsideATableIsNamedWithPathAndLine() throws {
        let error = try #require(configError("""
        tables:
          - table_name: t
            source_path: landing/t
            file_patern: "*.csv"
        """))
        #expect(error.keyPath == "tables[0].file_patern")
        #expect(error.line == 4)
    }

    @Test func wrongTypeIsRejected() throws {
        let error = try #require(configError("""
        batch_size: lots
        tables:
          - table_name: t
            source_path: landing/t
        """))
        #expect(error.keyPath == "batch_size")
        #expect(error.line == 1)
        #expect(error.reason.contains("whole number"))
    }

    @Test func outOfRangeAndBadEnumAreRejected() throws {
        let ratio = try #require(configError("""
        max_bad_record_ratio: 1.5
        tables:
          - table_name: t
            source_path: landing/t
        """))
        #expect(ratio.keyPath == "max_bad_record_ratio")
        let strategy = try #require(configError("""
        tables:
          - table_name: t
            source_path: landing/t
          - table_name: u
            source_path: landing/t
            loading_strategy: upsert
        """))
        #expect(strategy.keyPath == "tables[1].loading_strategy")
        #expect(strategy.line == 6)
        #expect(strategy.reason.contains("append"))
    }

    @Test func scd2WithoutPrimaryKeysIsRejected() throws {
        let error = try #require(configError("""
        tables:
          - table_name: dim
            source_path: landing/t
            loading_strategy: scd2
        """))
        #expect(error.keyPath == "tables[0].primary_keys")
        #expect(error.line == 4)
    }

    @Test func duplicateTableNamesIgnoringCaseAreRejected() throws {
        let error = try #require(configError("""
        tables:
          - table_name: Orders
            source_path: landing/t
          - table_name: orders
            source_path: landing/t
        """))
        #expect(error.keyPath == "tables[1].table_name")
        #expect(error.line == 4)
    }

    @Test func missingTablesAndMissingFileAreErrors() throws {
        #expect(configError("state_dir: ./s\n")?.keyPath == "tables")
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: folder.url("absent.yaml")) }
    }

    @Test func invalidYAMLReportsTheLine() throws {
        let error = try #require(configError("tables:\n  - table_name: t\n    source_path: [unclosed\n"))
        #expect(error.line != nil)
        #expect(error.reason.contains("invalid YAML"))
    }

    @Test func columnsKeepTheirOrderAndTypes() throws {
        let config = try load("""
        tables:
          - table_name: t
            source_path: landing/t
            format: tsv
            csv: {delimiter: tab, header: false, null_values: ["", NA]}
            columns:
              zeta: integer
              alpha: TIMESTAMP
        """)
        let table = config.tables[0]
        #expect(table.columns.map(\.name) == ["zeta", "alpha"])
        #expect(table.columns.map(\.type) == [.integer, .timestamp])
        #expect(table.csv.delimiter == 9)
        #expect(table.csv.header == false)
        #expect(table.csv.nullValues == ["", "NA"])
        #expect(table.format == .tsv)
    }

    @Test func locatePrefersFlagThenEnvironmentThenDefault() {
        #expect(ConfigLoader.locate(explicit: "a.yaml", environment: ["LADING_CONFIG": "/x/b.yaml"], currentDirectory: "/w") == "/w/a.yaml")
        #expect(ConfigLoader.locate(explicit: nil, environment: ["LADING_CONFIG": "/x/b.yaml"], currentDirectory: "/w") == "/x/b.yaml")
        #expect(ConfigLoader.locate(explicit: nil, environment: [:], currentDirectory: "/w") == "/w/lading.yaml")
    }

    @Test func theExampleConfigIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let config = try ConfigLoader.load(path: root.path + "/config.example.yaml")
        #expect(config.tables.map(\.name) == ["transactions", "customers", "products"])
        #expect(config.tables[2].strategy == .merge && config.tables[2].mergeDeletes == .ignore)
        #expect(config.tables[1].strategy == .scd2)
        #expect(config.tables[1].primaryKeys == ["customer_id"])
    }
}

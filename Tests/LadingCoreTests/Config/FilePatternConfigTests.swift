import Foundation
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// A `file_pattern` that can never match under `source_path` is a configuration error
/// at its key and line, not a table that silently loads nothing.
@Suite struct FilePatternConfigTests {
    func parse(pattern: String) throws -> LadingConfig {
        try ConfigLoader.parse(yaml: """
        tables:
          - table_name: a
            source_path: ./landing/a
          - table_name: b
            source_path: ./landing/b
            file_pattern: "\(pattern)"
        """, path: "/tmp/lading.yaml")
    }

    @Test(arguments: ["../other/*.csv", "sub/../*.csv", "**/../*.csv", "..", "./*.csv", "sub/./*.csv"])
    func dotSegmentsAreRejectedWithKeyPathAndLine(pattern: String) throws {
        #expect {
            _ = try parse(pattern: pattern)
        } throws: { error in
            guard let config = error as? ConfigError else { return false }
            return config.keyPath == "tables[1].file_pattern" && config.line == 6 && config.exitStatus == .configuration
                && config.reason.contains(pattern) && config.message.contains("key tables[1].file_pattern")
        }
    }

    @Test(arguments: ["*.csv", "**/*.csv", "a..b.csv", "*..csv", "..csv", ".hidden*.csv", "2026/*.csv"])
    func patternsWithDotsInsideNamesStillLoad(pattern: String) throws {
        #expect(try parse(pattern: pattern).tables[1].filePattern == pattern)
    }
}

import Foundation
import Logging
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// Issue 13: in JSON logs a metadata value that is a plain number is a JSON number
/// (`"files_failed":2`), so log pipelines can sum and compare it; everything else
/// stays a string, including numbers a JSON reader would change (leading zeros,
/// exponents, more digits than a double keeps).
@Suite struct JSONLogNumberTests {
    func render(_ metadata: Logger.Metadata) -> String {
        StderrLogHandler.render(format: .json, date: Date(timeIntervalSince1970: 0), level: .info, message: "run finished", metadata: metadata)
    }

    @Test func plainIntegersAndDecimalsAreJSONNumbers() throws {
        let line = render(["files_failed": "2", "rows_loaded": "1234567", "seconds": "0.011", "delta": "-3", "ratio": "-0.5",
                           "count": .stringConvertible(42)])
        #expect(line.contains(#""files_failed":2"#), "\(line)")
        #expect(line.contains(#""rows_loaded":1234567"#), "\(line)")
        #expect(line.contains(#""seconds":0.011"#), "\(line)")
        #expect(line.contains(#""delta":-3"#) && line.contains(#""ratio":-0.5"#), "\(line)")
        #expect(line.contains(#""count":42"#), "\(line)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["files_failed"] as? Int == 2)
        #expect(object["seconds"] as? Double == 0.011)
        #expect(object["message"] as? String == "run finished")
    }

    @Test(arguments: ["007", "1e5", "2.", ".5", "+1", "", " 1", "1 ", "0x10", "12345678901234567890", "1,000", "NaN", "run-2", "2026-01-01", "1.2.3"])
    func everythingElseStaysAString(value: String) throws {
        let line = render(["value": .string(value)])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["value"] as? String == value, "\(line)")
    }

    @Test func textLogsAreUnchanged() {
        let line = StderrLogHandler.render(format: .text, date: Date(timeIntervalSince1970: 0), level: .info, message: "run finished",
                                           metadata: ["files_failed": "2", "seconds": "0.011"])
        #expect(line == "1970-01-01T00:00:00.000Z INFO run finished files_failed=2 seconds=0.011")
    }
}

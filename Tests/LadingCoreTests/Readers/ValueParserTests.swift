import Foundation
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct ValueParserTests {
    func with<T>(_ text: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        Array(text.utf8).withUnsafeBytes(body)
    }

    @Test func integers() {
        #expect(with("42") { ValueParser.integer($0) } == 42)
        #expect(with("-9223372036854775808") { ValueParser.integer($0) } == Int64.min)
        #expect(with("9223372036854775808") { ValueParser.integer($0) } == nil)
        #expect(with("1.0") { ValueParser.integer($0) } == nil)
        #expect(with(" 1") { ValueParser.integer($0) } == nil)
    }

    @Test func realsAreLocaleFree() {
        #expect(with("2.5") { ValueParser.real($0) } == 2.5)
        #expect(with("1e3") { ValueParser.real($0) } == 1000)
        #expect(with("2,5") { ValueParser.real($0) } == nil)
        #expect(with("inf") { ValueParser.real($0) } == nil)
        #expect(with("0x10") { ValueParser.real($0) } == nil)
    }

    @Test func booleansDatesAndTimestamps() {
        #expect(with("TRUE") { ValueParser.boolean($0) } == 1)
        #expect(with("no") { ValueParser.boolean($0) } == 0)
        #expect(with("maybe") { ValueParser.boolean($0) } == nil)
        #expect(with("2024-02-29") { ValueParser.date($0) } == "2024-02-29")
        #expect(with("2023-02-29") { ValueParser.date($0) } == nil)
        #expect(with("2026-11-01T08:15:00Z") { ValueParser.timestamp($0) } == "2026-11-01T08:15:00Z")
        #expect(with("2026-11-01 10:15:00.5+02:00") { ValueParser.timestamp($0) } == "2026-11-01T08:15:00.500000Z")
        #expect(with("2026-11-01") { ValueParser.timestamp($0) } == "2026-11-01T00:00:00Z")
        #expect(with("2026-13-01T00:00:00Z") { ValueParser.timestamp($0) } == nil)
        // An offset moving an instant out of years 0001–9999 makes it a bad record
        // (PostgreSQL has no year 0; issue 14 adversarial finding F4).
        #expect(with("0001-01-01T00:00:00+01:00") { ValueParser.timestamp($0) } == nil)
        #expect(with("0001-01-01T01:00:00+01:00") { ValueParser.timestamp($0) } == "0001-01-01T00:00:00Z")
        #expect(with("9999-12-31T23:00:00-02:00") { ValueParser.timestamp($0) } == nil)
    }

    /// The loader stores a canonical timestamp as it is; that must be exactly what the
    /// full parser would have produced, and nothing invalid may pass as canonical.
    @Test func canonicalTimestampsAgreeWithTheFullParser() {
        let random = SeededRandom(seed: 7)
        for _ in 0..<5_000 {
            let text = String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(random.nextUInt64() % 3000), Int(random.nextUInt64() % 14), Int(random.nextUInt64() % 33),
                              Int(random.nextUInt64() % 26), Int(random.nextUInt64() % 62), Int(random.nextUInt64() % 62))
            let canonical = with(text) { ValueParser.isCanonicalTimestamp($0) }
            let parsed = with(text) { ValueParser.timestamp($0) }
            if canonical { #expect(parsed == text, "\(text)") }
            if parsed == text { #expect(canonical || text.hasPrefix("0"), "\(text)") }
        }
        #expect(with("2026-11-01T08:15:00Z") { ValueParser.isCanonicalTimestamp($0) })
        #expect(!with("2026-11-01T08:15:60Z") { ValueParser.isCanonicalTimestamp($0) })
        #expect(!with("2026-11-01 08:15:00Z") { ValueParser.isCanonicalTimestamp($0) })
        #expect(!with("2026-02-30T08:15:00Z") { ValueParser.isCanonicalTimestamp($0) })
    }

    @Test func inferenceTakesTheNarrowestTypeAndKeepsCodesAsText() {
        var inference = TypeInference()
        let samples: [[String?]] = [
            ["1", "2.5", "true", "2026-01-01", "2026-01-01T00:00:00Z", "007", "x", nil, "99999999999999999999"],
            ["2", "3", "false", "2026-01-02", "2026-01-02 10:00", "008", "1", nil, "1"],
        ]
        for row in samples {
            for (column, value) in row.enumerated() {
                if let value { Array(value.utf8).withUnsafeBytes { inference.observe(column: column, $0) } } else { inference.observe(column: column, nil) }
            }
            inference.finishRecord()
        }
        #expect((0..<9).map { inference.type(of: $0) } == [.integer, .real, .boolean, .date, .timestamp, .text, .text, .text, .text])
    }
}

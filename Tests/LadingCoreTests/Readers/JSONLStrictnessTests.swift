import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore

/// JSON Lines records that must never crash the reader.
@Suite struct JSONLStrictnessTests {
    static func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    @Test func aPoisonLineOfNestedBracketsIsABadRecordNotACrash() throws {
        let folder = try TemporaryFolder()
        let poison = "{\"a\":" + String(repeating: "[", count: 400_000)
        let path = try folder.write("deep.jsonl", "{\"a\":1}\n" + poison + "\n" + String(repeating: "[", count: 400_000) + "\n{\"a\":2}\n")
        let outcome = try readAll(path)
        #expect(outcome.rows == [["1"], ["2"]])
        #expect(outcome.lines == [1, 4])
        #expect(outcome.bad.map(\.lineNumber) == [2, 3])
        #expect(outcome.bad.map(\.errorType) == ["invalid_json", "invalid_json"])
        #expect(outcome.bad[0].reason.contains("nested deeper than \(JSONLReader.maximumDepth)"), "\(outcome.bad[0].reason)")
    }

    @Test func nestingUpToTheCapLoadsAndOneMoreLevelIsABadRecord() throws {
        let folder = try TemporaryFolder()
        // The line's own object is level 1, so the value may nest maximumDepth - 1 levels.
        let deepest = Self.nested(JSONLReader.maximumDepth - 1)
        let path = try folder.write("cap.jsonl", """
        {"a":\(deepest)}
        {"a":\(Self.nested(JSONLReader.maximumDepth))}
        {"a":{"b":\(Self.nested(JSONLReader.maximumDepth - 2))}}
        {"a":{"b":\(Self.nested(JSONLReader.maximumDepth - 1))}}
        """)
        let outcome = try readAll(path)
        #expect(outcome.lines == [1, 3])
        #expect(outcome.rows.first == [deepest])
        #expect(outcome.bad.map(\.lineNumber) == [2, 4])
        #expect(outcome.bad.allSatisfy { $0.reason.contains("nested deeper than \(JSONLReader.maximumDepth)") })
    }
}

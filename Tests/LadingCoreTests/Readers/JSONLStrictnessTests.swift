import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// JSON Lines records that must never crash the reader, never be stored as JSON text
/// SQLite rejects, and never lose a value to a key that differs only in case.
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

    /// Lines whose nested values are valid JSON: each must load, and its stored text
    /// must pass SQLite's `json_valid`.
    static let validNested: [String] = [
        #"{"v":[]}"#,
        #"{"v":{}}"#,
        #"{"v":[ 1 , { "x" : [ ] } , -0.5e+3 , 0 , 1E400 , -0 ]}"#,
        #"{"v":{"k":[true,false,null],"":""}}"#,
        #"{"v":["\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00 \u0000"]}"#,
        #"{"v":{"k\u00e9\n":"\\"}}"#,
        #"{"v":["Zoë ☃ 😀", "\u007f"]}"#,
        "{\"v\":[\"a\u{7F}b\"]}",
        "{\"v\":\(nested(JSONLReader.maximumDepth - 1))}",
    ]

    /// Lines that are not valid JSON: each must be a bad record with a reason.
    static let invalid: [(line: String, reason: String)] = [
        (#"{"v":["\x","\u12"]}"#, "invalid escape"),
        (#"{"v":["\u12"]}"#, "invalid \\u escape"),
        (#"{"v":["\u12G4"]}"#, "invalid \\u escape"),
        (#"{"v":["ok", "\'"]}"#, "invalid escape"),
        (#"{"v":{"k\q":1}}"#, "invalid escape"),
        (#"{"v":["\U0041"]}"#, "invalid escape"),
        (#"{"v":["trailing \"]}"#, "unterminated"),
        (#"{"v":["\"#, "unterminated"),
        (#"{"v":"\x"}"#, "invalid escape"),
        (#"{"v":"\u12"}"#, "invalid \\u escape"),
        (#"{"v":[1,]}"#, "invalid value"),
        (#"{"v":[01]}"#, "expected ',' or ']'"),
        (#"{"v":[.5]}"#, "invalid value"),
        (#"{"v":[1.]}"#, "invalid number"),
        (#"{"v":[tru]}"#, "invalid literal"),
        (#"{"v":[1 2]}"#, "expected ',' or ']'"),
        (#"{"v":{"a" 1}}"#, "expected ':'"),
        (#"{"v":{"a":1,}}"#, "expected a key"),
        (#"{"v":[NaN]}"#, "invalid value"),
        (#"{"v":['x']}"#, "invalid value"),
        (#"{"v":[1]]}"#, "expected ',' or '}'"),
        ("{\"v\":[\"tab\there\"]}", "control character"),
        (#"{"v":[1}"#, "expected ',' or ']'"),
    ]

    @Test func storedNestedValuesAlwaysPassSQLitesJSONValid() throws {
        let folder = try TemporaryFolder()
        let lines = Self.validNested + Self.invalid.map(\.line)
        let path = try folder.write("tricky.jsonl", lines.joined(separator: "\n") + "\n")
        let outcome = try readAll(path)
        let database = try Connection(path: ":memory:")
        // Every value a record yields for `v` is what the warehouse stores for it.
        for (row, line) in zip(outcome.rows, outcome.lines) {
            let text = try #require(row.first ?? nil)
            let valid = try database.scalar("SELECT json_valid(?)", [.text(text)])
            #expect(valid == .integer(1), "line \(line): \(lines[line - 1].prefix(80)) stored as \(text.prefix(80))")
        }
        #expect(outcome.lines == Array(1...Self.validNested.count))
        #expect(outcome.bad.map(\.lineNumber) == Array((Self.validNested.count + 1)...lines.count))
        for bad in outcome.bad {
            let expected = Self.invalid[bad.lineNumber - Self.validNested.count - 1]
            #expect(bad.errorType == "invalid_json")
            #expect(bad.reason.contains(expected.reason), "line \(bad.lineNumber) \(expected.line): \(bad.reason)")
        }
    }

    @Test func nestedStringsAreStoredAsWrittenAndCompacted() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("kept.jsonl", #"{"v": [ "\u00e9\n" , { "k" : "\/" } ]}"# + "\n")
        #expect(try readAll(path).rows == [[#"["\u00e9\n",{"k":"\/"}]"#]])
    }

    @Test func keysEqualIgnoringCaseAreRenamedLikeCSVHeaders() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("case.jsonl", """
        {"name": "lower", "NAME": "upper", "Name": "title", "name_2": "taken"}
        {"NAME": "only upper"}
        {"": "empty key", "name": "again"}
        """)
        let outcome = try readAll(path)
        #expect(outcome.columns == CSVReader.uniqueColumnNames(["name", "NAME", "Name", "name_2", ""]))
        #expect(outcome.columns == ["name", "NAME_2", "Name_3", "name_2_2", "column_5"])
        #expect(outcome.rows[0] == ["lower", "upper", "title", "taken"])
        #expect(outcome.rows[1] == [nil, "only upper", nil, nil])
        #expect(outcome.rows[2] == ["again", nil, nil, nil, "empty key"])
    }
}

import Foundation
import LadingTestSupport
import Testing
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders

/// The JSON Lines fast paths (issue 18) with the values spelled out: strings returned
/// in place or unescaped, numbers as written, keys matched against the previous line's
/// order, UTF-8 checked only where non-ASCII bytes are.
@Suite struct JSONLFastPathTests {
    func read(_ text: String) throws -> ReadOutcome {
        let folder = try TemporaryFolder()
        return try readAll(try folder.write("t.jsonl", text))
    }

    @Test func everyEscapeIsDecoded() throws {
        let outcome = try read(#"{"s": "q\" b\\ s\/ \b\f\n\r\t end", "u": "\u00e9\u2603\uD83D\uDE00", "plain": "no escape at all, longer than eight bytes"}"# + "\n")
        #expect(outcome.rows == [["q\" b\\ s/ \u{8}\u{C}\n\r\t end", "é☃😀", "no escape at all, longer than eight bytes"]])
    }

    @Test func loneSurrogatesAndNulEscapesAreBadRecords() throws {
        let outcome = try read(#"{"a": "\uD83D"}"# + "\n" + #"{"a": "\uDE00"}"# + "\n" + #"{"a": "\uD83Dx"}"# + "\n" + #"{"a": "\u0000"}"# + "\n" + #"{"a": "ok"}"# + "\n")
        #expect(outcome.rows == [["ok"]])
        #expect(outcome.bad.map(\.lineNumber) == [1, 2, 3, 4])
        #expect(outcome.bad.prefix(3).allSatisfy { $0.reason.contains("unpaired UTF-16 surrogate") })
        #expect(outcome.bad[3].reason.contains("NUL"))
    }

    @Test func numbersAreKeptAsWritten() throws {
        let outcome = try read(#"{"a": -0, "b": 1e5, "c": 1.5E-3, "d": 123456789012345678901234567890, "e": -12.50e+07, "t": true, "f": false, "n": null}"# + "\n")
        #expect(outcome.rows == [["-0", "1e5", "1.5E-3", "123456789012345678901234567890", "-12.50e+07", "true", "false", nil]])
    }

    @Test func nestedValuesAreCompacted() throws {
        let outcome = try read(#"{"v": { "a" : [ 1 , "x\"y" , { } , [ ] ] , "b" : null }}"# + "\n")
        #expect(outcome.rows == [[#"{"a":[1,"x\"y",{},[]],"b":null}"#]])
    }

    @Test func keysInAnotherOrderDuplicatesAndNewKeysLandInTheirColumns() throws {
        let outcome = try read("""
        {"id": 1, "name": "a", "qty": 10}
        {"qty": 20, "id": 2, "name": "b"}
        {"id": 3, "id": 4, "name": null, "qty": 30}
        {"id": 5, "city": "new mid-file", "qty": 50}
        {"id": 6, "name": "f", "qty": 60}

        """)
        #expect(outcome.columns == ["id", "name", "qty", "city"])
        #expect(outcome.rows == [["1", "a", "10"], ["2", "b", "20"], ["4", nil, "30"], ["5", nil, "50", "new mid-file"], ["6", "f", "60", nil]])
    }

    @Test func blankLinesAndCRLFAreSkippedWithLineNumbersKept() throws {
        let outcome = try read("{\"a\": 1}\r\n\r\n   \t\n{\"a\": \"x\"}\r\n")
        #expect(outcome.rows == [["1"], ["x"]])
        #expect(outcome.lines == [1, 4])
    }

    @Test func invalidUTF8IsABadRecordWithItsLineAndAddsNoColumn() throws {
        let folder = try TemporaryFolder()
        var bytes = Array(#"{"a": "ok"}"#.utf8) + [0x0A]
        bytes += Array(#"{"a": "caf"#.utf8) + [0xC3] + Array(#""}"#.utf8) + [0x0A]
        bytes += Array(#"{"fresh": 1, "a": "x"#.utf8) + [0xFF] + Array(#""}"#.utf8) + [0x0A]
        bytes += Array(#"{"a": "caf"#.utf8) + [0xC3, 0xA9] + Array(#""}"#.utf8) + [0x0A]
        let path = folder.url("u.jsonl")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let outcome = try readAll(path)
        #expect(outcome.rows == [["ok"], ["café"]])
        #expect(outcome.lines == [1, 4])
        #expect(outcome.columns == ["a"])
        #expect(outcome.bad.map(\.lineNumber) == [2, 3])
        #expect(outcome.bad.map(\.errorType) == ["invalid_utf8", "invalid_utf8"])
        #expect(outcome.bad[0].reason == "invalid UTF-8 at byte 11 of the line")
    }

    @Test func aLongLineOfOpeningBracketsIsABadRecord() throws {
        let outcome = try read("{\"a\": 1}\n" + String(repeating: "[", count: 400_000) + "\n{\"a\": " + String(repeating: "[", count: 400_000) + "\n{\"a\": 2}\n")
        #expect(outcome.rows == [["1"], ["2"]])
        #expect(outcome.bad.map(\.lineNumber) == [2, 3])
        #expect(outcome.bad.map(\.recordNumber) == [2, 3])
    }

    /// The eight-byte scan stops at the first quote, backslash or control byte wherever
    /// it falls in a word, and flags non-ASCII bytes only before it.
    @Test func theWordScanFindsTheFirstSpecialByte() {
        for length in 0..<20 {
            for special: UInt8 in [0x22, 0x5C, 0x00, 0x1F] {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length) + [special] + [UInt8](repeating: 0xC3, count: 9)
                bytes.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    var high: UInt64 = 0
                    let stop = StringScan.plainRun(base, from: 0, end: buffer.count, high: &high)
                    #expect(stop == length, "length \(length) special \(special)")
                    #expect(high & StringScan.highBits == 0, "length \(length) special \(special)")
                }
            }
            var accented = [UInt8](repeating: UInt8(ascii: "a"), count: length) + [0xC3, 0xA9, 0x22]
            accented.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                var high: UInt64 = 0
                #expect(StringScan.plainRun(base, from: 0, end: buffer.count, high: &high) == length + 2)
                #expect(high & StringScan.highBits != 0)
            }
        }
    }
}

import Foundation
import LadingTestSupport
import Testing
@testable import LadingSupport
@testable import LadingReaders

/// The fast JSON Lines reader against `ReferenceJSONLReader` (the reader before the
/// fast paths): same events, same fields as bytes, same columns, same bad records with
/// the same reasons, on tricky lines, on random mutations of them, and through small
/// chunks and a small `max_record_bytes`.
@Suite struct JSONLDifferentialTests {
    /// Hands out `piece` bytes per read at most, so lines straddle refills.
    final class MemorySource: ByteSource {
        private let bytes: [UInt8]
        private let piece: Int
        private var offset = 0
        init(_ bytes: [UInt8], piece: Int) {
            self.bytes = bytes
            self.piece = piece
        }
        var bytesConsumed: Int64 { Int64(offset) }
        var contentSHA256: String? { nil }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let count = min(piece, buffer.count, bytes.count - offset)
            guard count > 0 else { return 0 }
            for index in 0..<count { buffer[index] = bytes[offset + index] }
            offset += count
            return count
        }
    }

    /// Everything a reader reports, event by event.
    enum Event: Equatable {
        case record(number: Int, line: Int, fields: [[UInt8]?], columns: [String], raw: [UInt8])
        case bad(BadRecord)
    }

    static func events(_ reader: RecordReader) throws -> [Event] {
        var events: [Event] = []
        while true {
            switch try reader.next() {
            case .end: return events
            case .bad(let bad): events.append(.bad(bad))
            case .record:
                let fields = (0..<reader.fieldCount).map { reader.field($0).map { Array($0) } }
                events.append(.record(number: reader.recordNumber, line: reader.lineNumber, fields: fields,
                                      columns: reader.columnNames, raw: reader.rawRecord()))
            }
        }
    }

    /// Compares both readers on `bytes`; returns the first difference, if any.
    static func difference(_ bytes: [UInt8], piece: Int = 1 << 20, maxRecordBytes: Int = 64 << 20, chunkSize: Int = 1 << 20) throws -> String? {
        let fast = try JSONLReader(source: MemorySource(bytes, piece: piece), maxRecordBytes: maxRecordBytes, chunkSize: chunkSize)
        let reference = try ReferenceJSONLReader(source: MemorySource(bytes, piece: piece), maxRecordBytes: maxRecordBytes, chunkSize: chunkSize)
        let got = try events(fast)
        let expected = try events(reference)
        for (index, (a, b)) in zip(got, expected).enumerated() where a != b {
            return "event \(index): fast \(a) reference \(b)"
        }
        if got.count != expected.count { return "fast \(got.count) events, reference \(expected.count)" }
        if fast.columnNames != reference.columnNames { return "columns \(fast.columnNames) vs \(reference.columnNames)" }
        return nil
    }

    /// Lines covering each path of the parser, valid and not.
    static let tricky: [String] = [
        #"{"id": 0, "qty": 93, "ts": "2024-01-01T00:00:00", "price": 1228.15, "name": "Smith, John", "note": "said \"no\""}"#,
        #"{"qty": 1, "id": 2, "note": null, "name": "Zoë", "price": -0}"#,
        #"{"id":3,"qty":1e5,"price":1.5E-3,"big":123456789012345678901234567890,"neg":-12.5e+07}"#,
        #"{"s": "\" \\ \/ \b \f \n \r \t", "u": "\u00e9\u2603\uD83D\uDE00", "mixed": "a\u0041b\\c"}"#,
        #"{"lone": "\uD83D"}"#,
        #"{"lone": "\uDE00x"}"#,
        #"{"lone": "\uD83D\u0041"}"#,
        #"{"nul": "\u0000"}"#,
        #"{"bad": "\u12G4"}"#,
        #"{"bad": "\x"}"#,
        #"{"nested": {"a": [1, 2, {"b": "c\"d"}], "e": "\u00e9"}, "list": [ true , false , null ]}"#,
        #"{"id": 4, "id": 5, "id": null}"#,
        #"{"new": "key mid-file", "id": 6}"#,
        #"{"k\u00e9y": 1, "kéy": 2, "k\"q": 3}"#,
        // The same key written with and without escapes, line after line.
        #"{"k\"q": 1, "x": 2}"#,
        #"{"k"q": 1}"#,
        #"{"k\"q": 1, "x": 2}"#,
        #"{"k\u0041": 1, "x\u0000": 2}"#,
        #"{"kA": 2, "x": 3}"#,
        #"{"k\u0041": 3}"#,
        #"{"kA"#,
        #"{"kA": 4}"#,
        #"{"": "empty key", "NAME": 1, "name": 2}"#,
        "",
        "   \t ",
        "{\"crlf\": 1}\r",
        "{\"t\": true, \"f\": false}",
        "{\"tab\": \"a\tb\"}",
        "{\"ctl\": \"a\u{1}b\"}",
        "{\"del\": \"a\u{7F}b\"}",
        "{}",
        " { } ",
        "[1, 2]",
        "\"just a string\"",
        "{\"a\": 1} trailing",
        "{\"a\": 1,}",
        "{\"a\" 1}",
        "{\"a\": tru}",
        "{\"a\": nul}",
        "{\"a\": 01}",
        "{\"a\": -}",
        "{\"a\": 1.}",
        "{\"a\": 1e}",
        "{\"a\": .5}",
        "{\"a\": \"unterminated}",
        "{\"a\": \"ends in backslash\\",
        "{\"a\": [1, 2}",
        "{\"a\": {\"b\" 1}}",
        "{a: 1}",
        "{\"a\": 1",
        "{\"a\": \"" + String(repeating: "long plain string ", count: 40) + "\"}",
        "{\"a\": \"" + String(repeating: "ünïcödé ", count: 20) + "\\n\"}",
        "{\"a\": " + String(repeating: "[", count: 600) + "}",
        "{\"deep\": " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}",
    ]

    /// Bytes that make a line interesting when dropped into it.
    static let alphabet: [UInt8] = Array("\"\\/{}[]:,. \t\r01-+eEnulltrufasbfnrt9AaFfx".utf8) + [0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xA9, 0xE2, 0xED, 0xA0, 0xF0, 0xF4, 0x90, 0xFF]

    @Test func trickyLinesReadTheSame() throws {
        let text = Array(Self.tricky.joined(separator: "\n").utf8)
        #expect(try Self.difference(text) == nil)
        #expect(try Self.difference(text + [0x0A]) == nil)
        // Invalid UTF-8 and NUL in strings, keys, between tokens, and in a new key.
        // A line whose bad bytes follow a key never seen must add no column.
        var encoding: [UInt8] = []
        var fresh = 0
        for line in [#"{"a": "x?y"}"#, #"{"a?": 1}"#, #"{"a": 1 ?}"#, #"{"new#": 1, "b": "?"}"#, #"{"new#": "ok", ?}"#, #"{"a": ["?"]}"#, #"{"a": {"?": 1}}"#] {
            for bad: [UInt8] in [[0xFF], [0x00], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3, 0xA9]] {
                fresh += 1
                let numbered = line.replacingOccurrences(of: "#", with: "\(fresh)")
                encoding += numbered.utf8.flatMap { $0 == UInt8(ascii: "?") ? bad : [$0] } + [0x0A]
            }
        }
        #expect(try Self.difference(encoding) == nil)
    }

    @Test func smallChunksAndALowRecordCapReadTheSame() throws {
        let text = Array(Self.tricky.joined(separator: "\n").utf8)
        for piece in [1, 3, 7, 64] {
            #expect(try Self.difference(text, piece: piece, maxRecordBytes: 200, chunkSize: 64) == nil, "piece \(piece)")
        }
    }

    @Test func randomMutationsReadTheSame() throws {
        let seed = TestSeed.value(default: 18)
        var random = SplitMix64(seed: seed)
        var lines: [[UInt8]] = []
        for _ in 0..<6_000 {
            var line = Array(Self.tricky[Int(random.next() % UInt64(Self.tricky.count))].utf8)
            for _ in 0..<(1 + random.next() % 4) {
                let at = line.isEmpty ? 0 : Int(random.next() % UInt64(line.count))
                let byte = Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))]
                switch random.next() % 3 {
                case 0: line.insert(byte, at: at)
                case 1: if !line.isEmpty { line[at] = byte }
                default: if !line.isEmpty { line.remove(at: at) }
                }
            }
            lines.append(line)
        }
        let text = Array(lines.joined(separator: [0x0A]))
        #expect(try Self.difference(text) == nil, "seed \(seed)")
        #expect(try Self.difference(text, piece: 5, maxRecordBytes: 300, chunkSize: 128) == nil, "seed \(seed)")
    }

    /// A whole file (`LADING_JSONL_DIFF_FILE`, e.g. bench data), when given.
    @Test func aFileNamedInTheEnvironmentReadsTheSame() throws {
        guard let path = ProcessInfo.processInfo.environment["LADING_JSONL_DIFF_FILE"] else { return }
        let fast = try JSONLReader(source: try FileByteSource(path: path))
        let reference = try ReferenceJSONLReader(source: try FileByteSource(path: path))
        var events = 0
        while true {
            let a = try fast.next()
            let b = try reference.next()
            try #require(a == b, "event \(events)")
            if a == .end { break }
            if a == .record {
                try #require(fast.fieldCount == reference.fieldCount)
                for index in 0..<fast.fieldCount {
                    try #require(fast.field(index).map { Array($0) } == reference.field(index).map { Array($0) }, "event \(events) field \(index)")
                }
            }
            events += 1
        }
        #expect(fast.columnNames == reference.columnNames)
    }
}

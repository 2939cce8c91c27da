// The JSON Lines reader as it was before the fast paths of issue 18 (commit a786936),
// kept verbatim but renamed as the oracle of `JSONLDifferentialTests`: the fast reader
// must give the same columns, the same field bytes and the same bad records (reasons
// included) on every input. Test-only; never used by lading.
#if canImport(Glibc)
import Glibc
#endif
@testable import LadingReaders
import LadingSupport
import LadingConfiguration

/// A streaming JSON Lines reader: one object per line, keys become columns in
/// first-seen order (named by the CSV header rule, so keys differing only in case are
/// separate columns), nested arrays and objects are kept as compact JSON text that
/// SQLite's `json_valid` accepts, numbers keep their digits exactly (typing decides
/// later), blank lines are skipped. Nothing recurses per nesting level: a line of
/// 400,000 `[` is one bad record, not a stack overflow.
final class ReferenceJSONLReader: RecordReader {
    private let source: ByteSource
    private let input: ReadBuffer
    private var lineStart = 0
    private var lineEnd = 0

    public private(set) var columnNames: [String] = []
    private var columnBytes: [[UInt8]] = []
    /// Column of each key as written (exact bytes; names may differ, see `naming`).
    private var columnIndex: [String: Int] = [:]
    private var naming = ColumnNaming()
    /// Closing brackets of the nested value being copied, innermost last.
    private var closers: [UInt8] = []
    private var lastKeyOrder: [Int] = []
    private var keyOrder: [Int] = []

    private var valueStart: [Int] = []
    private var valueEnd: [Int] = []
    private var present: [Bool] = []
    /// Unescaped strings, keys and compacted nested values of the current line.
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int
    private var scratchCount = 0

    public private(set) var recordNumber = 0
    public private(set) var lineNumber = 0
    private var nextLine = 1

    public var bytesConsumed: Int64 { source.bytesConsumed }
    public var contentSHA256: String? { source.contentSHA256 }
    public var fieldCount: Int { columnNames.count }

    public init(source: ByteSource, maxRecordBytes: Int = 64 << 20, chunkSize: Int = 1 << 20) throws {
        self.source = source
        input = ReadBuffer(maxRecordBytes: maxRecordBytes, chunkSize: chunkSize)
        scratchCapacity = 4096
        scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchCapacity)
        try input.skipByteOrderMark(from: source)
    }

    deinit {
        input.free()
        scratch.deallocate()
    }

    public func field(_ index: Int) -> UnsafeRawBufferPointer? {
        guard index < present.count, present[index] else { return nil }
        return UnsafeRawBufferPointer(start: scratch + valueStart[index], count: valueEnd[index] - valueStart[index])
    }

    public func rawRecord() -> [UInt8] {
        input.raw(from: lineStart, to: lineEnd)
    }

    public func next() throws -> ReadEvent {
        while true {
            guard let found = try nextLineRange() else { return .end }
            if case .bad(let bad) = found { return .bad(bad) }
            // Skip blank lines.
            var p = lineStart
            let bytes = input.bytes
            while p < lineEnd && (bytes[p] == 0x20 || bytes[p] == 0x09) { p += 1 }
            if p == lineEnd { continue }
            recordNumber += 1
            if let problem = UTF8Check.problem(in: UnsafeRawBufferPointer(start: input.base + lineStart, count: lineEnd - lineStart)) {
                return .bad(BadRecord(recordNumber: recordNumber, lineNumber: lineNumber, raw: rawRecord(), errorType: problem.errorType,
                                      reason: problem.reason(in: "line")))
            }
            if let reason = parseLine() {
                return .bad(BadRecord(recordNumber: recordNumber, lineNumber: lineNumber, raw: rawRecord(), errorType: "invalid_json", reason: reason))
            }
            return .record
        }
    }

    private enum LineResult { case line, bad(BadRecord) }

    /// Finds the next line: `[lineStart, lineEnd)` without its LF (and CR).
    private func nextLineRange() throws -> LineResult? {
        while true {
            if input.start == input.end {
                if input.eof { return nil }
                try input.refill(from: source)
                continue
            }
            if let found = memchr(input.base + input.start, 0x0A, input.end - input.start) {
                let lf = input.base.distance(to: found)
                setLine(input.start, lf)
                input.start = lf + 1
                return .line
            }
            if input.eof {
                setLine(input.start, input.end)
                input.start = input.end
                return .line
            }
            if input.recordTooLarge {
                return .bad(try skipOversizedLine())
            }
            try input.refill(from: source)
        }
    }

    private func setLine(_ from: Int, _ to: Int) {
        lineStart = from
        lineEnd = to
        if lineEnd > lineStart && input.bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        lineNumber = nextLine
        nextLine += 1
    }

    private func skipOversizedLine() throws -> BadRecord {
        recordNumber += 1
        lineNumber = nextLine
        nextLine += 1
        lineStart = input.start
        lineEnd = input.end
        let raw = rawRecord()
        _ = try input.discardThroughLineFeed(from: source)
        return BadRecord(recordNumber: recordNumber, lineNumber: lineNumber, raw: raw, errorType: "record_too_large",
                         reason: "line longer than max_record_bytes (\(input.maxRecordBytes) bytes)")
    }

    // MARK: - JSON

    private struct ParseFailure: Error { let reason: String }

    /// Parses the current line as one JSON object; returns the reason when it is not.
    private func parseLine() -> String? {
        for index in 0..<present.count { present[index] = false }
        scratchCount = 0
        keyOrder.removeAll(keepingCapacity: true)
        var parser = Parser(bytes: input.bytes, position: lineStart, end: lineEnd)
        do {
            parser.skipSpace()
            guard parser.peek() == UInt8(ascii: "{") else { throw ParseFailure(reason: "the line is not a JSON object") }
            parser.position += 1
            parser.skipSpace()
            if parser.peek() == UInt8(ascii: "}") {
                parser.position += 1
            } else {
                while true {
                    parser.skipSpace()
                    guard parser.peek() == UInt8(ascii: "\"") else { throw ParseFailure(reason: "expected a key in quotes at byte \(parser.position - lineStart + 1)") }
                    let keyStart = scratchCount
                    try parseString(&parser)
                    let column = columnFor(keyFrom: keyStart, to: scratchCount)
                    scratchCount = keyStart
                    parser.skipSpace()
                    guard parser.peek() == UInt8(ascii: ":") else { throw ParseFailure(reason: "expected ':' after a key") }
                    parser.position += 1
                    parser.skipSpace()
                    let valueBegin = scratchCount
                    let isNull = try parseValue(&parser)
                    present[column] = !isNull
                    valueStart[column] = valueBegin
                    valueEnd[column] = scratchCount
                    parser.skipSpace()
                    let separator = parser.peek()
                    parser.position += 1
                    if separator == UInt8(ascii: ",") { continue }
                    if separator == UInt8(ascii: "}") { break }
                    throw ParseFailure(reason: "expected ',' or '}' at byte \(parser.position - lineStart)")
                }
            }
            parser.skipSpace()
            guard parser.position == parser.end else { throw ParseFailure(reason: "text after the end of the object") }
        } catch let failure as ParseFailure {
            return failure.reason
        } catch {
            return "invalid JSON"
        }
        lastKeyOrder = keyOrder
        return nil
    }

    private func columnFor(keyFrom: Int, to: Int) -> Int {
        let key = UnsafeBufferPointer(start: scratch + keyFrom, count: to - keyFrom)
        let position = keyOrder.count
        if position < lastKeyOrder.count {
            let guess = lastKeyOrder[position]
            if columnBytes[guess].count == key.count && columnBytes[guess].elementsEqual(key) {
                keyOrder.append(guess)
                return guess
            }
        }
        let written = String(decoding: key, as: UTF8.self)
        if let existing = columnIndex[written] {
            keyOrder.append(existing)
            return existing
        }
        let index = columnNames.count
        columnNames.append(naming.name(for: written, position: index + 1))
        columnBytes.append(Array(key))
        columnIndex[written] = index
        valueStart.append(0)
        valueEnd.append(0)
        present.append(false)
        keyOrder.append(index)
        return index
    }

    private func append(_ byte: UInt8) {
        if scratchCount == scratchCapacity { growScratch(scratchCount + 1) }
        scratch[scratchCount] = byte
        scratchCount += 1
    }

    private func append(_ source: UnsafePointer<UInt8>, _ count: Int) {
        if scratchCount + count > scratchCapacity { growScratch(scratchCount + count) }
        (scratch + scratchCount).update(from: source, count: count)
        scratchCount += count
    }

    private func growScratch(_ needed: Int) {
        var size = scratchCapacity * 2
        while size < needed { size *= 2 }
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        larger.update(from: scratch, count: scratchCount)
        scratch.deallocate()
        scratch = larger
        scratchCapacity = size
    }

    private struct Parser {
        let bytes: UnsafeMutablePointer<UInt8>
        var position: Int
        let end: Int

        func peek() -> UInt8 { position < end ? bytes[position] : 0 }

        mutating func skipSpace() {
            while position < end {
                let byte = bytes[position]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A else { return }
                position += 1
            }
        }
    }

    /// Parses the value of one of the line's keys into scratch; returns true for `null`.
    /// A string is stored unescaped; an array or object as compact JSON text.
    private func parseValue(_ parser: inout Parser) throws -> Bool {
        switch parser.peek() {
        case UInt8(ascii: "\""):
            try parseString(&parser)
            return false
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try copyNested(&parser)
            return false
        case UInt8(ascii: "n"):
            let before = scratchCount
            try literal(&parser, "null")
            scratchCount = before
            return true
        default:
            try copyScalar(&parser)
            return false
        }
    }

    /// Copies a nested array or object compactly (no whitespace outside strings, strings
    /// and numbers as written once checked), with an explicit stack of closing brackets
    /// instead of recursion, capped at `maximumDepth` levels.
    private func copyNested(_ parser: inout Parser) throws {
        closers.removeAll(keepingCapacity: true)
        while true {
            // A value starts here.
            parser.skipSpace()
            let byte = parser.peek()
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                // The line's object is level 1, this container level closers.count + 2.
                guard closers.count + 2 <= LadingReaders.JSONLReader.maximumDepth else {
                    throw ParseFailure(reason: "arrays and objects nested deeper than \(LadingReaders.JSONLReader.maximumDepth) levels at byte \(parser.position - lineStart + 1)")
                }
                let close: UInt8 = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                append(byte)
                parser.position += 1
                parser.skipSpace()
                if parser.peek() == close {
                    append(close)
                    parser.position += 1
                } else {
                    closers.append(close)
                    if close == UInt8(ascii: "}") { try copyKey(&parser) }
                    continue
                }
            } else {
                try copyScalar(&parser)
            }
            // A value ended: a separator continues its container, a bracket closes it.
            while let close = closers.last {
                parser.skipSpace()
                let separator = parser.peek()
                if separator == UInt8(ascii: ",") {
                    append(separator)
                    parser.position += 1
                    if close == UInt8(ascii: "}") { try copyKey(&parser) }
                    break
                }
                guard separator == close else {
                    if parser.position >= parser.end { throw ParseFailure(reason: "unterminated nested value") }
                    throw ParseFailure(reason: "expected ',' or '\(Character(Unicode.Scalar(close)))' at byte \(parser.position - lineStart + 1)")
                }
                append(close)
                parser.position += 1
                closers.removeLast()
            }
            if closers.isEmpty { return }
        }
    }

    /// A key of a nested object and its colon.
    private func copyKey(_ parser: inout Parser) throws {
        parser.skipSpace()
        guard parser.peek() == UInt8(ascii: "\"") else { throw ParseFailure(reason: "expected a key in a nested object") }
        try copyString(&parser)
        parser.skipSpace()
        guard parser.peek() == UInt8(ascii: ":") else { throw ParseFailure(reason: "expected ':' in a nested object") }
        append(UInt8(ascii: ":"))
        parser.position += 1
    }

    /// A string, number or literal inside a nested value, copied as written.
    private func copyScalar(_ parser: inout Parser) throws {
        switch parser.peek() {
        case UInt8(ascii: "\""): try copyString(&parser)
        case UInt8(ascii: "t"): try literal(&parser, "true")
        case UInt8(ascii: "f"): try literal(&parser, "false")
        case UInt8(ascii: "n"): try literal(&parser, "null")
        default: try number(&parser)
        }
    }

    private func literal(_ parser: inout Parser, _ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard parser.position + count <= parser.end,
              memcmp(parser.bytes + parser.position, word.utf8Start, count) == 0
        else { throw ParseFailure(reason: "invalid literal") }
        append(parser.bytes + parser.position, count)
        parser.position += count
    }

    /// JSON number grammar, digits copied exactly as written.
    private func number(_ parser: inout Parser) throws {
        let begin = parser.position
        var p = parser.position
        func digits() -> Int {
            let from = p
            while p < parser.end && parser.bytes[p] >= 0x30 && parser.bytes[p] <= 0x39 { p += 1 }
            return p - from
        }
        if p < parser.end && parser.bytes[p] == UInt8(ascii: "-") { p += 1 }
        guard p < parser.end else { throw ParseFailure(reason: "invalid value") }
        if parser.bytes[p] == UInt8(ascii: "0") { p += 1 } else if digits() == 0 { throw ParseFailure(reason: "invalid value") }
        if p < parser.end && parser.bytes[p] == UInt8(ascii: ".") {
            p += 1
            guard digits() > 0 else { throw ParseFailure(reason: "invalid number") }
        }
        if p < parser.end && (parser.bytes[p] | 0x20) == UInt8(ascii: "e") {
            p += 1
            if p < parser.end && (parser.bytes[p] == UInt8(ascii: "+") || parser.bytes[p] == UInt8(ascii: "-")) { p += 1 }
            guard digits() > 0 else { throw ParseFailure(reason: "invalid number") }
        }
        append(parser.bytes + begin, p - begin)
        parser.position = p
    }

    /// Copies a string with its quotes and escapes as written (inside nested values),
    /// after checking each escape is one JSON allows, so the stored text stays valid JSON.
    private func copyString(_ parser: inout Parser) throws {
        let begin = parser.position
        var p = parser.position + 1
        while p < parser.end {
            let byte = parser.bytes[p]
            if byte == UInt8(ascii: "\\") {
                guard p + 1 < parser.end else { break }
                let escape = parser.bytes[p + 1]
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    p += 2
                case UInt8(ascii: "u"):
                    guard hex4(parser.bytes, p + 2, parser.end) != nil else {
                        throw ParseFailure(reason: "invalid \\u escape (four hex digits expected) at byte \(p - lineStart + 1)")
                    }
                    p += 6
                default:
                    throw ParseFailure(reason: "invalid escape \\\(Character(Unicode.Scalar(escape))) at byte \(p - lineStart + 1)")
                }
                continue
            }
            if byte == UInt8(ascii: "\"") {
                append(parser.bytes + begin, p + 1 - begin)
                parser.position = p + 1
                return
            }
            if byte < 0x20 { throw ParseFailure(reason: "control character inside a string") }
            p += 1
        }
        throw ParseFailure(reason: "unterminated string")
    }

    /// Decodes a string (escapes resolved) into scratch.
    private func parseString(_ parser: inout Parser) throws {
        var p = parser.position + 1
        while p < parser.end {
            let byte = parser.bytes[p]
            if byte == UInt8(ascii: "\"") {
                parser.position = p + 1
                return
            }
            if byte < 0x20 { throw ParseFailure(reason: "control character inside a string") }
            if byte != UInt8(ascii: "\\") {
                // Copy the run up to the next quote or backslash in one go.
                var q = p + 1
                while q < parser.end {
                    let next = parser.bytes[q]
                    if next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") || next < 0x20 { break }
                    q += 1
                }
                append(parser.bytes + p, q - p)
                p = q
                continue
            }
            guard p + 1 < parser.end else { break }
            let escape = parser.bytes[p + 1]
            p += 2
            switch escape {
            case UInt8(ascii: "\""): append(0x22)
            case UInt8(ascii: "\\"): append(0x5C)
            case UInt8(ascii: "/"): append(0x2F)
            case UInt8(ascii: "b"): append(0x08)
            case UInt8(ascii: "f"): append(0x0C)
            case UInt8(ascii: "n"): append(0x0A)
            case UInt8(ascii: "r"): append(0x0D)
            case UInt8(ascii: "t"): append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(parser.bytes, p, parser.end) else { throw ParseFailure(reason: "invalid \\u escape") }
                p += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard p + 6 <= parser.end, parser.bytes[p] == UInt8(ascii: "\\"), parser.bytes[p + 1] == UInt8(ascii: "u"),
                          let low = hex4(parser.bytes, p + 2, parser.end), low >= 0xDC00, low <= 0xDFFF
                    else { throw ParseFailure(reason: "unpaired UTF-16 surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    p += 6
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw ParseFailure(reason: "unpaired UTF-16 surrogate in a \\u escape")
                }
                if scalar == 0 { throw ParseFailure(reason: "a \\u0000 (NUL) escape cannot be stored as text") }
                guard let unicode = Unicode.Scalar(scalar) else { throw ParseFailure(reason: "invalid \\u escape") }
                for unit in String(Character(unicode)).utf8 { append(unit) }
            default:
                throw ParseFailure(reason: "invalid escape \\\(Character(Unicode.Scalar(escape)))")
            }
        }
        throw ParseFailure(reason: "unterminated string")
    }

    private func hex4(_ bytes: UnsafeMutablePointer<UInt8>, _ at: Int, _ end: Int) -> UInt32? {
        guard at + 4 <= end else { return nil }
        var value: UInt32 = 0
        for i in at..<(at + 4) {
            let byte = bytes[i]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }
}

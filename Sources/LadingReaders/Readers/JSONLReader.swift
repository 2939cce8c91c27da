#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration

/// A streaming JSON Lines reader: one object per line, keys become columns in
/// first-seen order (named by the CSV header rule, so keys differing only in case are
/// separate columns), nested arrays and objects are kept as compact JSON text that
/// SQLite's `json_valid` accepts, numbers keep their digits exactly (typing decides
/// later), blank lines are skipped. Nothing recurses per nesting level: a line of
/// 400,000 `[` is one bad record, not a stack overflow.
///
/// Fast paths (issue 18): a string without escapes, a number and a literal are
/// returned where they lie in the line, not copied; a key is compared byte-wise with
/// the key found at the same position of the previous line, so no `String` is made
/// per key; UTF-8 is checked only inside strings holding non-ASCII bytes, since a line
/// that parses holds nothing else but ASCII. Any line that fails to parse is checked
/// whole first, so its reason is the one a check-then-parse reader would give.
public final class JSONLReader: RecordReader {
    /// Deepest nesting of arrays and objects a line may have, counting the line's own
    /// object as level 1. A deeper line is a bad record: the parser keeps its own small
    /// stack, so depth could not crash it, but SQLite's JSON functions refuse text
    /// nested beyond 1000 levels, and no real feed nests hundreds deep.
    public static let maximumDepth = 512

    private let source: ByteSource
    private let input: ReadBuffer
    private var lineStart = 0
    private var lineEnd = 0
    /// Whether the whole current line was found to be valid UTF-8 without NUL (checked
    /// lazily, before a line may add a column).
    private var lineChecked = false

    public private(set) var columnNames: [String] = []
    /// Column of each key as written (names may differ, see `naming`).
    private var columnIndex: [String: Int] = [:]
    private var naming = ColumnNaming()
    /// Per column: its key's bytes in `keyBytes` and its value in the current line.
    private var columns = PlainArray<Column>()
    /// Every column's key as written, back to back.
    private var keyBytes = PlainArray<UInt8>()
    /// Column of the key at each position of the line, from earlier lines: a guess,
    /// always confirmed byte-wise. Never longer than `columns`.
    private var guesses = PlainArray<Int>()
    /// Closing brackets of the nested value being copied, innermost last.
    private var closers: [UInt8] = []

    /// Unescaped strings, keys and compacted nested values of the current line.
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int
    private var scratchCount = 0

    public private(set) var recordNumber = 0
    public private(set) var lineNumber = 0
    private var nextLine = 1

    public var bytesConsumed: Int64 { source.bytesConsumed }
    public var contentSHA256: String? { source.contentSHA256 }
    public var fieldCount: Int { columns.count }

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
        columns.free()
        keyBytes.free()
        guesses.free()
    }

    public func field(_ index: Int) -> UnsafeRawBufferPointer? {
        guard index >= 0, index < columns.count else { return nil }
        let column = columns[index]
        guard column.valueCount >= 0 else { return nil }
        let base = column.valueInScratch ? UnsafeRawPointer(scratch) : UnsafeRawPointer(input.base)
        return UnsafeRawBufferPointer(start: base + column.valueStart, count: column.valueCount)
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
            if let reason = parseLine() {
                // Encoding problems come first, as if the line had been checked before parsing.
                if let problem = UTF8Check.problem(in: UnsafeRawBufferPointer(start: input.base + lineStart, count: lineEnd - lineStart)) {
                    return .bad(BadRecord(recordNumber: recordNumber, lineNumber: lineNumber, raw: rawRecord(), errorType: problem.errorType,
                                          reason: problem.reason(in: "line")))
                }
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

    // MARK: - Columns

    /// One column: where its key's bytes are, and its value in the current line
    /// (`valueCount` -1 for null or missing; bytes in `scratch` or in the line).
    private struct Column {
        var keyStart: Int
        var keyCount: Int
        var valueStart = 0
        var valueCount = -1
        var valueInScratch = false
        /// The key holds no `"`, `\` or control byte, so a line writing it without
        /// escapes holds exactly its bytes followed by a quote.
        var plainKey = false
    }

    /// A value's bytes: in the line itself, or in `scratch` once unescaped or compacted.
    private struct Span {
        var start: Int
        var count: Int
        var inScratch: Bool
    }

    /// The column of the key at `position` among the line's keys. The previous lines'
    /// key at that position is tried first, byte-wise; otherwise the key is looked up
    /// by its text, and a key never seen becomes a column.
    private func column(forKey key: UnsafePointer<UInt8>, count: Int, position: Int) throws -> Int {
        if position < guesses.count {
            let guess = guesses[position]
            let known = columns[guess]
            if known.keyCount == count && Self.sameBytes(keyBytes.base + known.keyStart, key, count) { return guess }
        }
        let found = try lookUp(key: key, count: count)
        if position < guesses.count {
            guesses[position] = found
        } else if position == guesses.count && guesses.count < columns.count {
            guesses.append(found)
        }
        return found
    }

    /// Whether two byte runs are equal: keys are a few bytes long, where the call to
    /// `memcmp` showed as 7% of the parse in perf (inline, the parse took about 1% less).
    @inline(__always)
    private static func sameBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        while index + 8 <= count {
            let left = UnsafeRawPointer(a + index).loadUnaligned(as: UInt64.self)
            let right = UnsafeRawPointer(b + index).loadUnaligned(as: UInt64.self)
            if left != right { return false }
            index += 8
        }
        while index < count {
            if a[index] != b[index] { return false }
            index += 1
        }
        return true
    }

    /// The column of a key by its text (a `String`, so lookups follow `String` equality
    /// exactly as before the byte-wise guess existed), made when new.
    private func lookUp(key: UnsafePointer<UInt8>, count: Int) throws -> Int {
        let written = String(decoding: UnsafeBufferPointer(start: key, count: count), as: UTF8.self)
        if let existing = columnIndex[written] { return existing }
        // A line whose bytes are not clean text adds no column (it was refused whole
        // before parsing, once): check it before the first new key.
        if !lineChecked {
            if UTF8Check.problem(in: UnsafeRawBufferPointer(start: input.base + lineStart, count: lineEnd - lineStart)) != nil {
                throw ParseFailure(reason: "invalid UTF-8")
            }
            lineChecked = true
        }
        let index = columns.count
        columnNames.append(naming.name(for: written, position: index + 1))
        columnIndex[written] = index
        let plain = !UnsafeBufferPointer(start: key, count: count).contains { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 }
        columns.append(Column(keyStart: keyBytes.count, keyCount: count, plainKey: plain))
        for offset in 0..<count { keyBytes.append(key[offset]) }
        return index
    }

    // MARK: - JSON

    private struct ParseFailure: Error { let reason: String }

    /// Parses the current line as one JSON object; returns the reason when it is not.
    private func parseLine() -> String? {
        for index in 0..<columns.count { columns.base[index].valueCount = -1 }
        scratchCount = 0
        lineChecked = false
        var parser = Parser(bytes: input.bytes, position: lineStart, end: lineEnd)
        do {
            parser.skipSpace()
            guard parser.peek() == UInt8(ascii: "{") else { throw ParseFailure(reason: "the line is not a JSON object") }
            parser.position += 1
            parser.skipSpace()
            if parser.peek() == UInt8(ascii: "}") {
                parser.position += 1
            } else {
                try parseMembers(&parser)
            }
            parser.skipSpace()
            guard parser.position == parser.end else { throw ParseFailure(reason: "text after the end of the object") }
        } catch let failure as ParseFailure {
            return failure.reason
        } catch {
            return "invalid JSON"
        }
        return nil
    }

    /// The `"key": value` members of the line's object, through its closing brace.
    private func parseMembers(_ parser: inout Parser) throws {
        var position = 0
        while true {
            parser.skipSpace()
            guard parser.peek() == UInt8(ascii: "\"") else { throw ParseFailure(reason: "expected a key in quotes at byte \(parser.position - lineStart + 1)") }
            let index = try expectedKey(&parser, position: position) ?? readKey(&parser, position: position)
            position += 1
            parser.skipSpace()
            guard parser.peek() == UInt8(ascii: ":") else { throw ParseFailure(reason: "expected ':' after a key") }
            parser.position += 1
            parser.skipSpace()
            let value = try readValue(&parser)
            let slot = columns.base + index
            slot.pointee.valueStart = value?.start ?? 0
            slot.pointee.valueCount = value?.count ?? -1
            slot.pointee.valueInScratch = value?.inScratch ?? false
            parser.skipSpace()
            let separator = parser.peek()
            parser.position += 1
            if separator == UInt8(ascii: ",") { continue }
            if separator == UInt8(ascii: "}") { return }
            throw ParseFailure(reason: "expected ',' or '}' at byte \(parser.position - lineStart)")
        }
    }

    /// The column of the key at the parser when it is, as written, the previous lines'
    /// key at this position (a key without escapes, the common case): no scan, no decoding.
    @inline(__always)
    private func expectedKey(_ parser: inout Parser, position: Int) -> Int? {
        guard position < guesses.count else { return nil }
        let guess = guesses[position]
        let known = columns[guess]
        let open = parser.position + 1
        guard known.plainKey, open + known.keyCount < parser.end,
              parser.bytes[open + known.keyCount] == UInt8(ascii: "\""),
              Self.sameBytes(parser.bytes + open, keyBytes.base + known.keyStart, known.keyCount)
        else { return nil }
        parser.position = open + known.keyCount + 1
        return guess
    }

    /// Reads a key string and finds (or makes) its column.
    private func readKey(_ parser: inout Parser, position: Int) throws -> Int {
        let scratchBefore = scratchCount
        let key = try readString(&parser)
        let keyBase = key.inScratch ? UnsafePointer(scratch) : UnsafePointer(parser.bytes)
        let index = try column(forKey: keyBase + key.start, count: key.count, position: position)
        scratchCount = scratchBefore
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

    /// Reads the value of one of the line's keys; nil for `null`. A string is its
    /// unescaped text, an array or object compact JSON text, a number or literal as written.
    private func readValue(_ parser: inout Parser) throws -> Span? {
        let begin = parser.position
        switch parser.peek() {
        case UInt8(ascii: "\""):
            return try readString(&parser)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let from = scratchCount
            try copyNested(&parser)
            return Span(start: from, count: scratchCount - from, inScratch: true)
        case UInt8(ascii: "n"):
            try literal(&parser, "null")
            return nil
        case UInt8(ascii: "t"):
            try literal(&parser, "true")
        case UInt8(ascii: "f"):
            try literal(&parser, "false")
        default:
            try number(&parser)
        }
        return Span(start: begin, count: parser.position - begin, inScratch: false)
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
                guard closers.count + 2 <= JSONLReader.maximumDepth else {
                    throw ParseFailure(reason: "arrays and objects nested deeper than \(JSONLReader.maximumDepth) levels at byte \(parser.position - lineStart + 1)")
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
        let begin = parser.position
        switch parser.peek() {
        case UInt8(ascii: "\""): try copyString(&parser); return
        case UInt8(ascii: "t"): try literal(&parser, "true")
        case UInt8(ascii: "f"): try literal(&parser, "false")
        case UInt8(ascii: "n"): try literal(&parser, "null")
        default: try number(&parser)
        }
        append(parser.bytes + begin, parser.position - begin)
    }

    /// Checks a literal and moves past it.
    private func literal(_ parser: inout Parser, _ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard parser.position + count <= parser.end,
              memcmp(parser.bytes + parser.position, word.utf8Start, count) == 0
        else { throw ParseFailure(reason: "invalid literal") }
        parser.position += count
    }

    /// Checks a number by the JSON grammar and moves past it; its digits are kept as written.
    private func number(_ parser: inout Parser) throws {
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
        parser.position = p
    }

    /// Fails when a string's raw bytes that held non-ASCII are not valid UTF-8. The
    /// reason never shows: a failed line is checked whole, which finds the same problem.
    private func checkText(_ bytes: UnsafeMutablePointer<UInt8>, from: Int, to: Int, high: UInt64) throws {
        guard high & StringScan.highBits != 0 else { return }
        if UTF8Check.fullCheck(bytes + from, to - from) != nil { throw ParseFailure(reason: "invalid UTF-8 in a string") }
    }

    /// Copies a string with its quotes and escapes as written (inside nested values),
    /// after checking each escape is one JSON allows, so the stored text stays valid JSON.
    private func copyString(_ parser: inout Parser) throws {
        let begin = parser.position
        let bytes = parser.bytes
        var high: UInt64 = 0
        var p = parser.position + 1
        while true {
            p = StringScan.plainRun(bytes, from: p, end: parser.end, high: &high)
            guard p < parser.end else { break }
            let byte = bytes[p]
            if byte == UInt8(ascii: "\"") {
                try checkText(bytes, from: begin + 1, to: p, high: high)
                append(bytes + begin, p + 1 - begin)
                parser.position = p + 1
                return
            }
            if byte != UInt8(ascii: "\\") { throw ParseFailure(reason: "control character inside a string") }
            guard p + 1 < parser.end else { break }
            let escape = bytes[p + 1]
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                p += 2
            case UInt8(ascii: "u"):
                guard hex4(bytes, p + 2, parser.end) != nil else {
                    throw ParseFailure(reason: "invalid \\u escape (four hex digits expected) at byte \(p - lineStart + 1)")
                }
                p += 6
            default:
                throw ParseFailure(reason: "invalid escape \\\(Character(Unicode.Scalar(escape))) at byte \(p - lineStart + 1)")
            }
        }
        throw ParseFailure(reason: "unterminated string")
    }

    /// Reads a string (the parser on its opening quote): where it holds no escape, its
    /// text is where it lies in the line; otherwise it is decoded into scratch.
    private func readString(_ parser: inout Parser) throws -> Span {
        let bytes = parser.bytes
        let open = parser.position + 1
        var high: UInt64 = 0
        let stop = StringScan.plainRun(bytes, from: open, end: parser.end, high: &high)
        guard stop < parser.end else { throw ParseFailure(reason: "unterminated string") }
        switch bytes[stop] {
        case UInt8(ascii: "\""):
            try checkText(bytes, from: open, to: stop, high: high)
            parser.position = stop + 1
            return Span(start: open, count: stop - open, inScratch: false)
        case UInt8(ascii: "\\"):
            let from = scratchCount
            append(bytes + open, stop - open)
            let close = try decodeEscaped(bytes, from: stop, end: parser.end, high: &high)
            try checkText(bytes, from: open, to: close, high: high)
            parser.position = close + 1
            return Span(start: from, count: scratchCount - from, inScratch: true)
        default:
            throw ParseFailure(reason: "control character inside a string")
        }
    }

    /// Decodes the rest of a string from `from` (an escape or a plain byte) into
    /// scratch; returns the position of its closing quote.
    private func decodeEscaped(_ bytes: UnsafeMutablePointer<UInt8>, from: Int, end: Int, high: inout UInt64) throws -> Int {
        var p = from
        while p < end {
            let byte = bytes[p]
            if byte == UInt8(ascii: "\"") { return p }
            if byte < 0x20 { throw ParseFailure(reason: "control character inside a string") }
            if byte != UInt8(ascii: "\\") {
                // Copy the run up to the next quote, backslash or control byte in one go.
                let q = StringScan.plainRun(bytes, from: p, end: end, high: &high)
                append(bytes + p, q - p)
                p = q
                continue
            }
            guard p + 1 < end else { break }
            let escape = bytes[p + 1]
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
            case UInt8(ascii: "u"): p = try decodeUnicodeEscape(bytes, at: p, end: end)
            default:
                throw ParseFailure(reason: "invalid escape \\\(Character(Unicode.Scalar(escape)))")
            }
        }
        throw ParseFailure(reason: "unterminated string")
    }

    /// Appends the UTF-8 of a `\uXXXX` escape (its hex digits at `at`), joining a
    /// surrogate pair; returns the position after it.
    private func decodeUnicodeEscape(_ bytes: UnsafeMutablePointer<UInt8>, at: Int, end: Int) throws -> Int {
        var p = at
        guard var scalar = hex4(bytes, p, end) else { throw ParseFailure(reason: "invalid \\u escape") }
        p += 4
        if scalar >= 0xD800 && scalar <= 0xDBFF {
            guard p + 6 <= end, bytes[p] == UInt8(ascii: "\\"), bytes[p + 1] == UInt8(ascii: "u"),
                  let low = hex4(bytes, p + 2, end), low >= 0xDC00, low <= 0xDFFF
            else { throw ParseFailure(reason: "unpaired UTF-16 surrogate in a \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            p += 6
        } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
            throw ParseFailure(reason: "unpaired UTF-16 surrogate in a \\u escape")
        }
        if scalar == 0 { throw ParseFailure(reason: "a \\u0000 (NUL) escape cannot be stored as text") }
        guard let unicode = Unicode.Scalar(scalar) else { throw ParseFailure(reason: "invalid \\u escape") }
        for unit in String(Character(unicode)).utf8 { append(unit) }
        return p
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

/// Finding the end of a run of plain string bytes eight at a time: most strings hold
/// no escape, and their bytes need no look but this one.
enum StringScan {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` that is `"`, `\` or below 0x20. Only the
    /// lowest flagged byte is exact (borrows may flag bytes above it), which is all a
    /// scan needs.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let quoteZero = (quote &- ones) & ~quote
        let backslashZero = (backslash &- ones) & ~backslash
        let control = (word &- ones &* 0x20) & ~word
        return (quoteZero | backslashZero | control) & highBits
    }

    /// The position of the first `"`, `\` or control byte in `[from, end)`, or `end`.
    /// Every byte passed over is ORed into `high`: bit 7 of a byte set means the run
    /// holds non-ASCII bytes (`high & highBits != 0`).
    @inline(__always)
    static func plainRun(_ bytes: UnsafeMutablePointer<UInt8>, from: Int, end: Int, high: inout UInt64) -> Int {
        var p = from
        while p + 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(bytes + p).loadUnaligned(as: UInt64.self))
            let special = specialBytes(word)
            if special != 0 {
                // Bits below the first special byte's high bit: the bytes before it.
                high |= word & ((special & (0 &- special)) &- 1)
                return p + (special.trailingZeroBitCount >> 3)
            }
            high |= word
            p += 8
        }
        while p < end {
            let byte = bytes[p]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 { return p }
            high |= UInt64(byte)
            p += 1
        }
        return end
    }
}

/// A growable array of plain values read and written on every line, without the
/// uniqueness and bounds checks of `Array` (a tenth of the parse in perf, with the
/// copy-on-write of the key order). Callers keep indices below `count`; `free` once.
struct PlainArray<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = capacity
        base = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
    }

    subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }

    mutating func append(_ element: Element) {
        if count == capacity {
            let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            larger.initialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    func free() { base.deallocate() }
}

#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration

/// A streaming RFC 4180 reader for CSV and TSV, working on bytes.
///
/// A record is always parsed from one contiguous stretch of its `ReadBuffer`; when a
/// chunk ends inside a record, the record is parsed again from its start once more
/// bytes are in. So fields are plain views into the buffer (copied only when they
/// contain doubled quotes) and the raw record is there for the quarantine.
public final class CSVReader: RecordReader {
    public struct Options: Sendable {
        public var delimiter: UInt8
        public var quote: UInt8
        public var header: Bool
        public var nullValues: [[UInt8]]
        public var maxRecordBytes: Int
        public var chunkSize: Int

        public init(delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8 = UInt8(ascii: "\""), header: Bool = true,
                    nullValues: [String] = [""], maxRecordBytes: Int = 64 << 20, chunkSize: Int = 1 << 20) {
            self.delimiter = delimiter
            self.quote = quote
            self.header = header
            self.nullValues = nullValues.map { Array($0.utf8) }
            self.maxRecordBytes = maxRecordBytes
            self.chunkSize = chunkSize
        }
    }

    private let source: ByteSource
    private let options: Options
    private let path: String
    private let input: ReadBuffer
    /// Bytes that end an unquoted field: delimiter, CR, LF.
    private let stops: UnsafeMutablePointer<Bool>
    private let onlyEmptyIsNull: Bool

    /// Field boundaries of the current record, in raw storage: the parser's inner loop
    /// must not pay for array uniqueness and exclusivity checks on every field.
    private var fields = FieldTable()
    /// Unescaped copies of the fields that contained doubled quotes.
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity = 4096
    private var scratchCount = 0
    private var scratchRanges: [Int: Range<Int>] = [:]
    private var recordStart = 0
    private var recordEnd = 0

    public private(set) var columnNames: [String] = []
    public private(set) var recordNumber = 0
    public private(set) var lineNumber = 0
    private var nextLine = 1
    private var expectedFields: Int?

    public var bytesConsumed: Int64 { source.bytesConsumed }
    public var contentSHA256: String? { source.contentSHA256 }
    public var fieldCount: Int { fields.count }

    public init(source: ByteSource, path: String, options: Options) throws {
        self.source = source
        self.options = options
        self.path = path
        input = ReadBuffer(maxRecordBytes: options.maxRecordBytes, chunkSize: options.chunkSize)
        scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchCapacity)
        stops = UnsafeMutablePointer<Bool>.allocate(capacity: 256)
        stops.initialize(repeating: false, count: 256)
        stops[Int(options.delimiter)] = true
        stops[0x0A] = true
        stops[0x0D] = true
        onlyEmptyIsNull = options.nullValues == [[]]
        try input.skipByteOrderMark(from: source)
        try readHeader()
    }

    deinit {
        input.free()
        scratch.deallocate()
        stops.deallocate()
        fields.free()
    }

    // MARK: - Accessors

    public func field(_ index: Int) -> UnsafeRawBufferPointer? {
        guard index < fields.count else { return nil }
        let bytes = fieldBytes(index)
        if !fields.quoted[index] {
            if onlyEmptyIsNull {
                if bytes.isEmpty { return nil }
            } else {
                for null in options.nullValues where null.count == bytes.count && null.elementsEqual(bytes) { return nil }
            }
        }
        return bytes
    }

    public func rawRecord() -> [UInt8] {
        input.raw(from: recordStart, to: recordEnd)
    }

    // MARK: - Reading

    private func readHeader() throws {
        guard options.header else { return }
        while true {
            switch try parseNext() {
            case .end:
                return
            case .bad(let bad):
                throw ReaderError.badHeader(path: path, detail: "line \(bad.lineNumber): \(bad.reason)")
            case .record:
                if isBlankRecord { continue }
                var names: [String] = []
                for index in 0..<fields.count {
                    let bytes = fieldBytes(index)
                    names.append(String(decoding: bytes, as: UTF8.self))
                }
                columnNames = CSVReader.uniqueColumnNames(names)
                expectedFields = names.count
                recordNumber = 0
                return
            }
        }
    }

    public func next() throws -> ReadEvent {
        while true {
            let event = try parseNext()
            guard case .record = event else {
                if case .bad = event { recordNumber += 1 }
                return event.withRecordNumber(recordNumber)
            }
            if isBlankRecord { continue }
            recordNumber += 1
            if expectedFields == nil {
                expectedFields = fields.count
                columnNames = (1...fields.count).map { "column_\($0)" }
            }
            if let expected = expectedFields, fields.count != expected {
                return .bad(BadRecord(recordNumber: recordNumber, lineNumber: lineNumber, raw: rawRecord(), errorType: "field_count",
                                      reason: "expected \(expected) fields, found \(fields.count)"))
            }
            return .record
        }
    }

    /// A line with nothing on it: skipped (and counted as a line), like most CSV tools.
    private var isBlankRecord: Bool {
        fields.count == 1 && !fields.quoted[0] && fields.ends[0] == fields.starts[0]
    }

    private func fieldBytes(_ index: Int) -> UnsafeRawBufferPointer {
        if fields.escaped[index], let range = scratchRanges[index] {
            return UnsafeRawBufferPointer(start: scratch + range.lowerBound, count: range.count)
        }
        return UnsafeRawBufferPointer(start: input.base + fields.starts[index], count: fields.ends[index] - fields.starts[index])
    }

    private enum Parse {
        case complete(next: Int, newlines: Int)
        case needMore
        case bad(next: Int, newlines: Int, reason: String, type: String)
    }

    /// Parses the next record into the field arrays, refilling the buffer as needed.
    private func parseNext() throws -> ReadEvent {
        while true {
            if input.start == input.end {
                if input.eof { return .end }
                try input.refill(from: source)
                continue
            }
            switch parseRecord(at: input.start) {
            case .needMore:
                if input.recordTooLarge {
                    return try skipOversizedRecord()
                }
                try input.refill(from: source)
            case .complete(let next, let newlines):
                recordStart = input.start
                recordEnd = next
                lineNumber = nextLine
                nextLine += newlines
                input.start = next
                unescapeFields()
                if let problem = UTF8Check.problem(in: UnsafeRawBufferPointer(start: input.base + recordStart, count: recordEnd - recordStart)) {
                    return .bad(BadRecord(recordNumber: 0, lineNumber: lineNumber, raw: rawRecord(), errorType: problem.errorType,
                                          reason: problem.reason(in: "record")))
                }
                return .record
            case .bad(let next, let newlines, let reason, let type):
                recordStart = input.start
                recordEnd = next
                lineNumber = nextLine
                nextLine += newlines
                input.start = next
                return .bad(BadRecord(recordNumber: 0, lineNumber: lineNumber, raw: rawRecord(), errorType: type, reason: reason))
            }
        }
    }

    /// A record beyond `maxRecordBytes` (a runaway quote, a binary blob): one bad record,
    /// then reading resumes after the next line break.
    private func skipOversizedRecord() throws -> ReadEvent {
        lineNumber = nextLine
        recordStart = input.start
        recordEnd = input.end
        let raw = rawRecord()
        if try input.discardThroughLineFeed(from: source) { nextLine += 1 }
        return .bad(BadRecord(recordNumber: 0, lineNumber: lineNumber, raw: raw, errorType: "record_too_large",
                              reason: "record larger than max_record_bytes (\(options.maxRecordBytes) bytes); an unterminated quote is the usual cause"))
    }

    /// Splits one record starting at `position`. Pure over the buffer: on `.needMore`
    /// nothing is kept and the caller parses again once more bytes are in.
    private func parseRecord(at position: Int) -> Parse {
        fields.count = 0
        let bytes = input.bytes
        let quote = options.quote
        let delimiter = options.delimiter
        let end = input.end
        let eof = input.eof
        let stops = self.stops
        var table = fields
        defer { fields = table }
        var p = position
        var newlines = 0
        while true {
            // One field.
            if p < end && bytes[p] == quote {
                p += 1
                let contentStart = p
                var escaped = false
                while true {
                    guard let found = memchr(bytes + p, Int32(quote), end - p) else {
                        if eof {
                            newlines += countNewlines(bytes, p, end)
                            return .bad(next: end, newlines: newlines, reason: "unterminated quoted field at end of file", type: "unterminated_quote")
                        }
                        return .needMore
                    }
                    let q = bytes.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    newlines += countNewlines(bytes, p, q)
                    if q + 1 < end {
                        if bytes[q + 1] == quote { escaped = true; p = q + 2; continue }
                        table.append(start: contentStart, end: q, quoted: true, escaped: escaped)
                        p = q + 1
                        break
                    }
                    if !eof { return .needMore }
                    table.append(start: contentStart, end: q, quoted: true, escaped: escaped)
                    p = q + 1
                    break
                }
                if p < end {
                    let byte = bytes[p]
                    if byte != delimiter && byte != 0x0A && byte != 0x0D {
                        // Text after a closing quote: strict RFC 4180 says no. Find the end of
                        // the line so reading resumes at the next record.
                        var r = p
                        while r < end && bytes[r] != 0x0A { r += 1 }
                        if r == end && !eof { return .needMore }
                        return .bad(next: min(r + 1, end), newlines: newlines + (r < end ? 1 : 0),
                                    reason: "unexpected character after a closing quote in field \(table.count)", type: "malformed_quote")
                    }
                }
            } else {
                let fieldStart = p
                while p < end && !stops[Int(bytes[p])] { p += 1 }
                table.append(start: fieldStart, end: p, quoted: false, escaped: false)
            }
            // After a field: delimiter, line end, or end of data.
            if p == end {
                if !eof { return .needMore }
                return .complete(next: p, newlines: newlines + (p > position ? 1 : 0))
            }
            let byte = bytes[p]
            if byte == delimiter {
                p += 1
                continue
            }
            if byte == 0x0A { return .complete(next: p + 1, newlines: newlines + 1) }
            // CR: CRLF, or a lone CR (old Mac line end).
            if p + 1 < end {
                return .complete(next: bytes[p + 1] == 0x0A ? p + 2 : p + 1, newlines: newlines + 1)
            }
            if !eof { return .needMore }
            return .complete(next: p + 1, newlines: newlines + 1)
        }
    }

    private func countNewlines(_ bytes: UnsafeMutablePointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var count = 0
        var i = from
        while i < to {
            let byte = bytes[i]
            if byte == 0x0A { count += 1 } else if byte == 0x0D && (i + 1 >= to || bytes[i + 1] != 0x0A) { count += 1 }
            i += 1
        }
        return count
    }

    /// Collapses doubled quotes of the fields that have them into `scratch`.
    private func unescapeFields() {
        scratchRanges.removeAll(keepingCapacity: true)
        guard (0..<fields.count).contains(where: { fields.escaped[$0] }) else { return }
        scratchCount = 0
        let bytes = input.bytes
        for index in 0..<fields.count where fields.escaped[index] {
            let from = scratchCount
            var i = fields.starts[index]
            let stop = fields.ends[index]
            if scratchCount + (stop - i) > scratchCapacity {
                var size = scratchCapacity * 2
                while size < scratchCount + (stop - i) { size *= 2 }
                let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
                larger.update(from: scratch, count: scratchCount)
                scratch.deallocate()
                scratch = larger
                scratchCapacity = size
            }
            while i < stop {
                let byte = bytes[i]
                scratch[scratchCount] = byte
                scratchCount += 1
                i += (byte == options.quote && i + 1 < stop && bytes[i + 1] == options.quote) ? 2 : 1
            }
            scratchRanges[index] = from..<scratchCount
        }
    }

    /// Header names exactly as written, except: an empty name becomes `column_N` (its
    /// position) and a name equal, ignoring case, to an earlier one gets `_2`, `_3`, ….
    public static func uniqueColumnNames(_ names: [String]) -> [String] {
        var naming = ColumnNaming()
        return names.enumerated().map { index, raw in naming.name(for: raw, position: index + 1) }
    }
}

extension ReadEvent {
    func withRecordNumber(_ number: Int) -> ReadEvent {
        guard case .bad(var bad) = self else { return self }
        bad.recordNumber = number
        return .bad(bad)
    }
}

/// Growable raw arrays of field boundaries and flags (a value type holding pointers:
/// copying it copies the pointers, which is what the parser's local copy wants).
struct FieldTable {
    var starts: UnsafeMutablePointer<Int>
    var ends: UnsafeMutablePointer<Int>
    var quoted: UnsafeMutablePointer<Bool>
    var escaped: UnsafeMutablePointer<Bool>
    var count = 0
    var capacity = 64

    init() {
        starts = .allocate(capacity: 64)
        ends = .allocate(capacity: 64)
        quoted = .allocate(capacity: 64)
        escaped = .allocate(capacity: 64)
    }

    func free() {
        starts.deallocate()
        ends.deallocate()
        quoted.deallocate()
        escaped.deallocate()
    }

    @inline(__always)
    mutating func append(start: Int, end: Int, quoted isQuoted: Bool, escaped isEscaped: Bool) {
        if count == capacity { grow() }
        starts[count] = start
        ends[count] = end
        quoted[count] = isQuoted
        escaped[count] = isEscaped
        count += 1
    }

    private mutating func grow() {
        let size = capacity * 2
        func move<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let new = UnsafeMutablePointer<T>.allocate(capacity: size)
            new.moveInitialize(from: old, count: count)
            old.deallocate()
            return new
        }
        starts = move(starts)
        ends = move(ends)
        quoted = move(quoted)
        escaped = move(escaped)
        capacity = size
    }
}

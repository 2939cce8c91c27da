#if canImport(Glibc)
import Glibc
#endif
import LadingReaders

/// A failed property: print what and abort, so libFuzzer saves the input as a crash.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if condition() { return }
    let text = Array("PROPERTY FAILED at \(file):\(line): \(message())\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// Takes option values from the front of a fuzz input (like LLVM's FuzzedDataProvider):
/// a byte at a time, 0 once the input is used up, so any input is valid.
public struct FuzzInput {
    public let bytes: [UInt8]
    public var position = 0

    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A value in `0..<bound` from one or two bytes.
    public mutating func int(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let raw = bound > 256 ? Int(byte()) << 8 | Int(byte()) : Int(byte())
        return raw % bound
    }

    /// Everything not taken yet.
    public var rest: [UInt8] { position < bytes.count ? Array(bytes[position...]) : [] }
}

/// A byte source over memory that hands out at most `step` bytes per read, so chunk
/// boundaries fall everywhere, and records the largest buffer a reader asked to fill
/// (the reader's window: the memory bound to check against `max_record_bytes`).
public final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let step: Int
    public private(set) var largestRequest = 0
    public private(set) var bytesConsumed: Int64 = 0
    public var contentSHA256: String? { nil }

    public init(_ bytes: [UInt8], step: Int = Int.max) {
        self.bytes = bytes
        self.step = max(1, step)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        largestRequest = max(largestRequest, buffer.count)
        let count = min(buffer.count, step, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        bytesConsumed += Int64(count)
        return count
    }
}

/// What a reader produced, for comparing two readings of the same bytes.
public enum Event: Equatable {
    case record(line: Int, number: Int, fields: [[UInt8]?])
    case bad(line: Int, number: Int, type: String)
    case failed(String)
}

/// Reads every event of `reader`, checking the reader-level invariants on the way:
/// I2 (every data record is either a good record or a bad one, numbered 1, 2, 3, …
/// with no gaps, so good + bad = records), lines never go backwards, good records'
/// fields are valid UTF-8 and there are `fieldCount` of them. Stops after `limit` events.
public func drain(_ reader: RecordReader, limit: Int = 1 << 20, checkFieldCount: Bool = true) -> [Event] {
    var events: [Event] = []
    var lastLine = 0
    while events.count < limit {
        let event: ReadEvent
        do { event = try reader.next() } catch { events.append(.failed("\(error)")); break }
        switch event {
        case .end:
            return events
        case .record:
            require(reader.recordNumber == events.count + 1, "record number \(reader.recordNumber) after \(events.count) records (I2)")
            require(reader.lineNumber >= lastLine, "line number went back from \(lastLine) to \(reader.lineNumber)")
            lastLine = reader.lineNumber
            if checkFieldCount {
                require(reader.fieldCount == reader.columnNames.count, "\(reader.fieldCount) fields, \(reader.columnNames.count) columns")
            }
            var fields: [[UInt8]?] = []
            for index in 0..<reader.fieldCount {
                let bytes = reader.field(index).map { Array($0) }
                if let bytes {
                    require(String(validating: bytes, as: UTF8.self) != nil, "field \(index) of a good record is not UTF-8")
                }
                fields.append(bytes)
            }
            events.append(.record(line: reader.lineNumber, number: reader.recordNumber, fields: fields))
        case .bad(let bad):
            require(bad.recordNumber == events.count + 1, "bad record number \(bad.recordNumber) after \(events.count) records (I2)")
            require(bad.lineNumber >= lastLine, "bad record line went back from \(lastLine) to \(bad.lineNumber)")
            require(bad.raw.count <= BadRecord.rawLimit, "bad record keeps \(bad.raw.count) bytes")
            require(!bad.errorType.isEmpty && !bad.reason.isEmpty, "bad record without a type or reason")
            lastLine = bad.lineNumber
            events.append(.bad(line: bad.lineNumber, number: bad.recordNumber, type: bad.errorType))
        }
    }
    return events
}

/// Physical lines in `bytes` (LF, CRLF and lone CR each end one), plus one for an unended last line.
public func physicalLines(_ bytes: [UInt8]) -> Int {
    var count = 0
    var index = 0
    while index < bytes.count {
        if bytes[index] == 0x0A { count += 1 } else if bytes[index] == 0x0D && (index + 1 >= bytes.count || bytes[index + 1] != 0x0A) { count += 1 }
        index += 1
    }
    if let last = bytes.last, last != 0x0A && last != 0x0D { count += 1 }
    return count
}

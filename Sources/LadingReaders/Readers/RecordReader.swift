import LadingSupport
import LadingConfiguration

/// A record the reader could not turn into fields, or whose fields are unusable:
/// it carries everything the quarantine needs (I2: nothing dropped silently).
public struct BadRecord: Sendable, Equatable {
    public var recordNumber: Int
    public var lineNumber: Int
    /// The record's bytes as read (capped at `BadRecord.rawLimit`).
    public var raw: [UInt8]
    public var errorType: String
    public var reason: String

    /// Raw text kept for a bad record: enough to see the problem, never a 64 MiB row.
    public static let rawLimit = 65_536

    public init(recordNumber: Int, lineNumber: Int, raw: [UInt8], errorType: String, reason: String) {
        self.recordNumber = recordNumber
        self.lineNumber = lineNumber
        self.raw = raw.count > BadRecord.rawLimit ? Array(raw.prefix(BadRecord.rawLimit)) : raw
        self.errorType = errorType
        self.reason = reason
    }

    /// The raw bytes as text for storage; invalid UTF-8 is replaced, never trapped on.
    public var rawText: String { String(decoding: raw, as: UTF8.self) }
}

public enum ReadEvent: Sendable, Equatable {
    /// A good record is available through the reader's accessors.
    case record
    case bad(BadRecord)
    case end
}

/// A streaming reader of records. The current record's fields are views into the
/// reader's buffer, valid until the next call to `next()`: no `String` per field.
public protocol RecordReader: AnyObject {
    /// Column names; for JSON Lines the list grows as new keys appear.
    var columnNames: [String] { get }
    func next() throws -> ReadEvent
    /// Fields of the current record (for JSON Lines: the current number of columns).
    var fieldCount: Int { get }
    /// The bytes of field `index`, or nil for NULL (a null value, a missing key).
    func field(_ index: Int) -> UnsafeRawBufferPointer?
    /// 1-based position of the current record among data records.
    var recordNumber: Int { get }
    /// 1-based physical line where the current record starts (header included).
    var lineNumber: Int { get }
    /// The current record's raw bytes, for quarantining a value that does not convert.
    func rawRecord() -> [UInt8]
    /// Bytes consumed from the file (compressed for gzip), for progress and throughput.
    var bytesConsumed: Int64 { get }
    /// SHA-256 of the file's bytes as read, once the reader reached the end.
    var contentSHA256: String? { get }
}

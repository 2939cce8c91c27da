import LadingReaders
import LadingStore

/// The PostgreSQL column types lading's own types map to (SPEC §9), by type OID: the
/// only ones a batch is sent to in binary. Any other type (a table made by hand with
/// `integer` or `varchar`) makes the whole COPY text, which the server parses.
enum PGBinaryType {
    case int8, float8, bool, date, timestamptz, text

    init?(oid: Int64) {
        switch oid {
        case 20: self = .int8
        case 701: self = .float8
        case 16: self = .bool
        case 1082: self = .date
        case 1184: self = .timestamptz
        case 25: self = .text
        default: return nil
        }
    }

    /// PostgreSQL's epoch (2000-01-01) in days and microseconds since 1970-01-01.
    static let epochDays = 10_957
    static let epochMicroseconds: Int64 = 946_684_800_000_000
}

extension PGCopyBinary {
    /// Whether every cell of the batch has an exact binary form in its column's type, as
    /// text format would have stored it: otherwise the batch goes as text (a cell lading
    /// converted can only miss here if the table's types changed under it).
    static func fits(_ batch: RecordBatch, types: [PGBinaryType]) -> Bool {
        for row in 0..<batch.rowCount {
            let cells = batch.cells(ofRow: row)
            guard cells.count <= types.count else { return false }
            for (cell, type) in zip(cells, types) where !fits(cell, type, batch) { return false }
        }
        return true
    }

    private static func fits(_ cell: RecordBatch.Cell, _ type: PGBinaryType, _ batch: RecordBatch) -> Bool {
        switch (cell.kind, type) {
        case (.null, _), (.integer, .int8), (.integer, .float8), (.real, .float8), (.text, .text), (.integer, .text), (.real, .text):
            return true
        case (.integer, .bool):
            return cell.payload == 0 || cell.payload == 1
        case (.text, .date):
            return ValueParser.epochDays(ofDate: text(cell, batch)) != nil
        case (.text, .timestamptz):
            return ValueParser.epochMicroseconds(ofStoredTimestamp: text(cell, batch)) != nil
        default:
            return false
        }
    }

    /// One row of a batch that `fits`: its cells (missing trailing cells NULL), then
    /// `trailing` fields already encoded (the audit values).
    mutating func appendRow(of batch: RecordBatch, _ row: Int, types: [PGBinaryType], trailing: [[UInt8]]) {
        beginRow(fields: types.count + trailing.count)
        var written = 0
        for cell in batch.cells(ofRow: row) {
            append(cell, as: types[written], batch)
            written += 1
        }
        while written < types.count {
            appendNull()
            written += 1
        }
        for field in trailing { appendEncoded(field) }
    }

    private mutating func append(_ cell: RecordBatch.Cell, as type: PGBinaryType, _ batch: RecordBatch) {
        switch (cell.kind, type) {
        case (.null, _):
            appendNull()
        case (.integer, .int8):
            appendInt64(cell.payload)
        case (.integer, .float8):
            appendFloat64(Double(cell.payload))
        case (.real, .float8):
            appendFloat64(Double(bitPattern: UInt64(bitPattern: cell.payload)))
        case (.integer, .bool):
            appendBool(cell.payload != 0)
        case (.text, .date):
            appendInt32(Int32(truncatingIfNeeded: (ValueParser.epochDays(ofDate: Self.text(cell, batch)) ?? 0) - PGBinaryType.epochDays))
        case (.text, .timestamptz):
            appendInt64((ValueParser.epochMicroseconds(ofStoredTimestamp: Self.text(cell, batch)) ?? 0) - PGBinaryType.epochMicroseconds)
        case (.text, _):
            appendBytes(Self.text(cell, batch))
        case (.integer, _):
            var digits = String(cell.payload)
            digits.withUTF8 { appendBytes(UnsafeRawBufferPointer($0)) }
        case (.real, _):
            var digits = PGCopyText.realText(Double(bitPattern: UInt64(bitPattern: cell.payload)))
            digits.withUTF8 { appendBytes(UnsafeRawBufferPointer($0)) }
        }
    }

    /// A value (an audit column's) encoded as one field of `type`, or nil when it has no
    /// exact binary form there.
    static func encode(_ value: String, as type: PGBinaryType) -> [UInt8]? {
        var field = PGCopyBinary(capacity: 64)
        var value = value
        let done: Bool = value.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            switch type {
            case .text:
                field.appendBytes(bytes)
            case .timestamptz:
                guard let micros = ValueParser.epochMicroseconds(ofStoredTimestamp: bytes) else { return false }
                field.appendInt64(micros - PGBinaryType.epochMicroseconds)
            case .date:
                guard let days = ValueParser.epochDays(ofDate: bytes) else { return false }
                field.appendInt32(Int32(truncatingIfNeeded: days - PGBinaryType.epochDays))
            default:
                return false
            }
            return true
        }
        return done ? field.bytes : nil
    }

    private static func text(_ cell: RecordBatch.Cell, _ batch: RecordBatch) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: batch.arena + Int(cell.payload), count: Int(cell.length))
    }
}

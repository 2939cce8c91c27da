import LadingConfiguration
import LadingReaders
import LadingStore

/// Converts one field to its column type into a batch; a value that does not convert
/// makes the record bad (SPEC §3), with a reason naming column, value and type.
enum ValueConverter {
    static func append(_ bytes: UnsafeRawBufferPointer?, as type: ColumnType, column: String, into batch: inout RecordBatch) -> String? {
        guard let bytes else {
            batch.appendNull()
            return nil
        }
        switch type {
        case .text:
            batch.appendText(bytes)
        case .integer:
            guard let value = ValueParser.integer(bytes) else { return failure(bytes, column, type) }
            batch.appendInteger(value)
        case .real:
            guard let value = ValueParser.real(bytes) else { return failure(bytes, column, type) }
            batch.appendReal(value)
        case .boolean:
            guard let value = ValueParser.boolean(bytes) else { return failure(bytes, column, type) }
            batch.appendInteger(value)
        case .date:
            guard ValueParser.isDate(bytes) else { return failure(bytes, column, type) }
            batch.appendText(bytes)
        case .timestamp:
            if ValueParser.isCanonicalTimestamp(bytes) {
                batch.appendText(bytes)
                return nil
            }
            // Normalised on the stack, then copied into the batch's arena: no String per value.
            let stored = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ValueParser.timestampCapacity) { buffer -> Bool in
                guard let base = buffer.baseAddress, let length = ValueParser.timestamp(bytes, into: base) else { return false }
                batch.appendText(UnsafeRawBufferPointer(start: base, count: length))
                return true
            }
            guard stored else { return failure(bytes, column, type) }
        }
        return nil
    }

    private static func failure(_ bytes: UnsafeRawBufferPointer, _ column: String, _ type: ColumnType) -> String {
        var shown = String(decoding: bytes.prefix(80), as: UTF8.self)
        if bytes.count > 80 { shown += "…" }
        return "column '\(column)': '\(shown)' is not a valid \(type.rawValue)"
    }
}

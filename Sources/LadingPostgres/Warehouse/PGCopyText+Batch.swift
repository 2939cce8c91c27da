import LadingStore

extension PGCopyText {
    /// One row of a batch in COPY text format: its cells (missing trailing cells NULL, as
    /// a record shorter than the header gives), then `trailing` fields already encoded
    /// (the audit values), then the record's line number when asked (an SCD2 stage's).
    mutating func appendRow(of batch: RecordBatch, _ row: Int, width: Int, trailing: [[UInt8]], line: Int? = nil) {
        var written = 0
        for cell in batch.cells(ofRow: row) {
            switch cell.kind {
            case .null:
                appendNull()
            case .integer:
                appendInteger(cell.payload)
            case .real:
                appendField(Self.realText(Double(bitPattern: UInt64(bitPattern: cell.payload))))
            case .text:
                appendField(UnsafeRawBufferPointer(start: batch.arena + Int(cell.payload), count: Int(cell.length)))
            }
            written += 1
        }
        while written < width {
            appendNull()
            written += 1
        }
        for field in trailing { field.withUnsafeBytes { appendField($0) } }
        if let line { appendInteger(Int64(line)) }
        endRow()
    }

    /// Decimal digits without a `String` per value (the bulk path's most common cell).
    mutating func appendInteger(_ value: Int64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var at = 20
            repeat {
                at -= 1
                digits[at] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                at -= 1
                digits[at] = UInt8(ascii: "-")
            }
            appendField(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[at..<20]))
        }
    }

    /// Swift's shortest round-trip text; PostgreSQL reads `inf`, `-inf` and `nan` too.
    static func realText(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return "\(value)"
    }
}

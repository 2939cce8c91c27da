import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Writes a batch with multi-row INSERTs sized under SQLite's parameter limit, binding
/// values straight from the batch arena, plus per-file trailing values (the audit
/// columns) kept at a stable address so they bind without copies.
final class BatchInserter {
    private var trailing: UnsafeMutableRawPointer
    private var trailingCapacity = 16_384
    private var trailingOffsets: [Int] = []
    private var trailingLengths: [Int] = []
    private(set) var trailingNames: [String] = []
    /// The values set last, so a caller can skip setting the same ones again.
    private(set) var trailingValues: [String] = []

    init() {
        trailing = UnsafeMutableRawPointer.allocate(byteCount: trailingCapacity, alignment: 16)
    }

    deinit { trailing.deallocate() }

    /// Text values appended to every row, such as `_source_file`, `_load_timestamp`, `_batch_id`.
    func setTrailing(_ values: [String], names: [String]) {
        trailingNames = names
        trailingValues = values
        trailingOffsets = []
        trailingLengths = []
        // Audit values are a file's identity (`_source_file`): never cut, so the buffer
        // grows to hold them whole.
        let total = values.reduce(0) { $0 + $1.utf8.count }
        if total > trailingCapacity {
            trailing.deallocate()
            trailingCapacity = total
            trailing = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 16)
        }
        var offset = 0
        for value in values {
            let bytes = Array(value.utf8)
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { (trailing + offset).copyMemory(from: base, byteCount: raw.count) }
            }
            trailingOffsets.append(offset)
            trailingLengths.append(bytes.count)
            offset += bytes.count
        }
    }

    func insert(_ batch: RecordBatch, into target: String, columns: [String], db: Connection, withTrailing: Bool = true) throws {
        guard batch.rowCount > 0 else { return }
        let trailingNames = withTrailing ? self.trailingNames : []
        let trailingOffsets = withTrailing ? self.trailingOffsets : []
        let width = columns.count + trailingNames.count
        let perStatement = max(1, min(256, db.variableLimit / max(width, 1)))
        let columnList = (columns + trailingNames).map(SQL.quoteIdentifier).joined(separator: ", ")
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ",") + ")"
        func statement(rows: Int) throws -> Statement {
            try db.prepare("INSERT INTO \(SQL.quoteIdentifier(target)) (\(columnList)) VALUES " + Array(repeating: tuple, count: rows).joined(separator: ","))
        }
        let fullRows = min(perStatement, batch.rowCount)
        let full = try statement(rows: fullRows)
        var row = 0
        while row < batch.rowCount {
            let count = min(perStatement, batch.rowCount - row)
            let current = count == fullRows ? full : try statement(rows: count)
            var parameter = 1
            for offset in 0..<count {
                var written = 0
                for cell in batch.cells(ofRow: row + offset) {
                    try batch.bind(cell, to: current, at: parameter)
                    parameter += 1
                    written += 1
                }
                while written < columns.count {
                    try current.bindNull(at: parameter)
                    parameter += 1
                    written += 1
                }
                for index in trailingOffsets.indices {
                    try current.bindStaticText(trailing + trailingOffsets[index], count: trailingLengths[index], at: parameter)
                    parameter += 1
                }
            }
            try current.step()
            try current.reset()
            row += count
        }
    }
}

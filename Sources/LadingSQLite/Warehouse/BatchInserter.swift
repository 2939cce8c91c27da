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

    /// Prepared INSERTs by target, columns and row count. Preparing a statement of
    /// thousands of parameters costs more than stepping it, and a batch read in parts
    /// (issue 18) inserts many times per transaction: each shape is prepared once per
    /// connection. Reset statements hold no locks, and SQLite re-prepares one whose
    /// table changed (`sqlite3_prepare_v2`), so a cached statement stays valid.
    private var statements: [String: Statement] = [:]

    /// Parameters per statement at most: SQLite's own limit is 32,766, but a statement's
    /// memory grows with its parameters, and beyond a few thousand there is no gain.
    private static let parameterCap = 8192

    /// Before the connection closes: a close with statements open is deferred by SQLite.
    func finalizeStatements() { statements.removeAll() }

    private func statement(into target: String, columnList: String, tuple: String, rows: Int, db: Connection) throws -> Statement {
        let key = "\(rows)\u{0}\(target)\u{0}\(columnList)"
        if let cached = statements[key] { return cached }
        if statements.count >= 32 { statements.removeAll() }
        let prepared = try db.prepare("INSERT INTO \(SQL.quoteIdentifier(target)) (\(columnList)) VALUES "
                                      + Array(repeating: tuple, count: rows).joined(separator: ","))
        statements[key] = prepared
        return prepared
    }

    func insert(_ batch: RecordBatch, into target: String, columns: [String], db: Connection, withTrailing: Bool = true) throws {
        guard batch.rowCount > 0 else { return }
        let trailingNames = withTrailing ? self.trailingNames : []
        let trailingOffsets = withTrailing ? self.trailingOffsets : []
        let width = columns.count + trailingNames.count
        let perStatement = max(1, min(256, min(db.variableLimit, BatchInserter.parameterCap) / max(width, 1)))
        let columnList = (columns + trailingNames).map(SQL.quoteIdentifier).joined(separator: ", ")
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ",") + ")"
        var row = 0
        while row < batch.rowCount {
            // Full statements, then the rest in powers of two: a handful of shapes, all cached.
            let left = batch.rowCount - row
            var count = perStatement
            if left < perStatement {
                count = 1
                while count * 2 <= left { count *= 2 }
            }
            let current = try statement(into: target, columnList: columnList, tuple: tuple, rows: count, db: db)
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
            do {
                try current.step()
                try current.reset()
            } catch {
                // A failed step leaves the statement in an error state: never reuse it.
                try? current.reset()
                statements.removeAll()
                throw error
            }
            row += count
        }
    }
}

/// A batch of converted records, ready to bind: values live in one growing byte arena
/// and a flat cell array, so a batch of 10,000 rows costs a few allocations, not one
/// `String` per field.
public struct RecordBatch {
    struct Cell {
        enum Kind: UInt8 { case null, integer, real, text }
        var kind: Kind
        /// integer value, real bit pattern, or arena offset for text.
        var payload: Int64
        var length: Int32
    }

    private(set) var arena: UnsafeMutableRawPointer
    private var arenaCapacity: Int
    private(set) var arenaCount = 0
    private(set) var cells: [Cell] = []
    private(set) var rowStarts: [Int] = []
    /// Physical line of each row's record.
    private(set) var rowLines: [Int] = []
    var badRecords: [BadRecord] = []
    /// Records consumed in this batch (good and bad).
    var records = 0
    var lastRecordNumber = 0
    var lastLineNumber = 0

    init() {
        arenaCapacity = 1 << 20
        arena = UnsafeMutableRawPointer.allocate(byteCount: arenaCapacity, alignment: 16)
        cells.reserveCapacity(1 << 16)
    }

    func free() { arena.deallocate() }

    var rowCount: Int { rowStarts.count }

    mutating func reset() {
        arenaCount = 0
        cells.removeAll(keepingCapacity: true)
        rowStarts.removeAll(keepingCapacity: true)
        rowLines.removeAll(keepingCapacity: true)
        badRecords.removeAll(keepingCapacity: true)
        records = 0
    }

    mutating func beginRow(line: Int) {
        rowStarts.append(cells.count)
        rowLines.append(line)
    }

    /// Drops the cells of the row begun last (its record turned out bad).
    mutating func abandonRow() {
        guard let start = rowStarts.popLast() else { return }
        rowLines.removeLast()
        cells.removeSubrange(start...)
    }

    mutating func appendNull() { cells.append(Cell(kind: .null, payload: 0, length: 0)) }
    mutating func appendInteger(_ value: Int64) { cells.append(Cell(kind: .integer, payload: value, length: 0)) }
    mutating func appendReal(_ value: Double) { cells.append(Cell(kind: .real, payload: Int64(bitPattern: value.bitPattern), length: 0)) }

    mutating func appendText(_ bytes: UnsafeRawBufferPointer) {
        let offset = store(bytes)
        cells.append(Cell(kind: .text, payload: Int64(offset), length: Int32(bytes.count)))
    }

    mutating func appendText(_ text: String) {
        var copy = text
        copy.withUTF8 { appendText(UnsafeRawBufferPointer($0)) }
    }

    /// Copies bytes into the arena and returns their offset.
    mutating func store(_ bytes: UnsafeRawBufferPointer) -> Int {
        if arenaCount + bytes.count > arenaCapacity {
            var size = arenaCapacity * 2
            while size < arenaCount + bytes.count { size *= 2 }
            let larger = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            larger.copyMemory(from: arena, byteCount: arenaCount)
            arena.deallocate()
            arena = larger
            arenaCapacity = size
        }
        let offset = arenaCount
        if let base = bytes.baseAddress, bytes.count > 0 { (arena + offset).copyMemory(from: base, byteCount: bytes.count) }
        arenaCount += bytes.count
        return offset
    }

    func cells(ofRow row: Int) -> ArraySlice<Cell> {
        let start = rowStarts[row]
        let end = row + 1 < rowStarts.count ? rowStarts[row + 1] : cells.count
        return cells[start..<end]
    }

    /// Binds one cell; text points into the arena (no copy: the arena outlives the step).
    func bind(_ cell: Cell, to statement: Statement, at index: Int) throws {
        switch cell.kind {
        case .null: try statement.bindNull(at: index)
        case .integer: try statement.bindInt64(cell.payload, at: index)
        case .real: try statement.bindDouble(Double(bitPattern: UInt64(bitPattern: cell.payload)), at: index)
        case .text: try statement.bindStaticText(arena + Int(cell.payload), count: Int(cell.length), at: index)
        }
    }
}

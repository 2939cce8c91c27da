import LadingSupport
import LadingConfiguration
import LadingReaders

/// A batch of converted records, ready to bind: values live in one growing byte arena
/// and a flat cell array, so a batch of 10,000 rows costs a few allocations, not one
/// `String` per field.
public struct RecordBatch {
    package struct Cell {
        package enum Kind: UInt8 { case null, integer, real, text }
        package var kind: Kind
        /// integer value, real bit pattern, or arena offset for text.
        package var payload: Int64
        package var length: Int32
    }

    package private(set) var arena: UnsafeMutableRawPointer
    private var arenaCapacity: Int
    package private(set) var arenaCount = 0
    package private(set) var cells: [Cell] = []
    package private(set) var rowStarts: [Int] = []
    /// Physical line of each row's record.
    package private(set) var rowLines: [Int] = []
    package var badRecords: [BadRecord] = []
    /// Records consumed in this batch (good and bad).
    package var records = 0
    package var lastRecordNumber = 0
    package var lastLineNumber = 0

    package init() {
        arenaCapacity = 1 << 20
        arena = UnsafeMutableRawPointer.allocate(byteCount: arenaCapacity, alignment: 16)
        cells.reserveCapacity(1 << 16)
    }

    package func free() { arena.deallocate() }

    package var rowCount: Int { rowStarts.count }

    /// Bytes the batch's rows hold (cells and text), what a memory bound counts.
    package var footprint: Int { cells.count * MemoryLayout<Cell>.stride + arenaCount }

    package mutating func reset() {
        arenaCount = 0
        cells.removeAll(keepingCapacity: true)
        rowStarts.removeAll(keepingCapacity: true)
        rowLines.removeAll(keepingCapacity: true)
        badRecords.removeAll(keepingCapacity: true)
        records = 0
    }

    package mutating func beginRow(line: Int) {
        rowStarts.append(cells.count)
        rowLines.append(line)
    }

    /// Drops the cells of the row begun last (its record turned out bad).
    package mutating func abandonRow() {
        guard let start = rowStarts.popLast() else { return }
        rowLines.removeLast()
        cells.removeSubrange(start...)
    }

    package mutating func appendNull() { cells.append(Cell(kind: .null, payload: 0, length: 0)) }
    package mutating func appendInteger(_ value: Int64) { cells.append(Cell(kind: .integer, payload: value, length: 0)) }
    package mutating func appendReal(_ value: Double) { cells.append(Cell(kind: .real, payload: Int64(bitPattern: value.bitPattern), length: 0)) }

    package mutating func appendText(_ bytes: UnsafeRawBufferPointer) {
        let offset = store(bytes)
        cells.append(Cell(kind: .text, payload: Int64(offset), length: Int32(bytes.count)))
    }

    package mutating func appendText(_ text: String) {
        var copy = text
        copy.withUTF8 { appendText(UnsafeRawBufferPointer($0)) }
    }

    /// Copies bytes into the arena and returns their offset.
    package mutating func store(_ bytes: UnsafeRawBufferPointer) -> Int {
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

    package func cells(ofRow row: Int) -> ArraySlice<Cell> {
        let start = rowStarts[row]
        let end = row + 1 < rowStarts.count ? rowStarts[row + 1] : cells.count
        return cells[start..<end]
    }
}

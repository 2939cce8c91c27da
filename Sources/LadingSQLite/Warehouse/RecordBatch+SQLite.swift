import LadingStore
import LadingSupport
import LadingConfiguration
import LadingReaders

extension RecordBatch {
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

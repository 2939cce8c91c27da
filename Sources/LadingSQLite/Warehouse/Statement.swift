import CSQLite
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `SQLITE_TRANSIENT`: SQLite copies the bytes before the call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One prepared statement. Owns its `sqlite3_stmt`: finalized in `deinit`, every
/// return code checked. Prepare once per batch; bind, step and reset per row.
public final class Statement {
    let handle: OpaquePointer
    unowned let connection: Connection
    public let sql: String

    init(connection: Connection, sql: String) throws {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(connection.handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw connection.error(code: code, sql: sql)
        }
        self.handle = statement
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// Binds `value` to the 1-based parameter `index`.
    public func bind(_ value: SQLValue, at index: Int) throws {
        let position = Int32(index)
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(handle, position)
        case .integer(let number): code = sqlite3_bind_int64(handle, position, number)
        case .real(let number): code = sqlite3_bind_double(handle, position, number)
        case .text(let text): code = sqlite3_bind_text(handle, position, text, -1, sqliteTransient)
        case .blob(let bytes):
            code = bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob(handle, position, raw.baseAddress, Int32(raw.count), sqliteTransient)
            }
        }
        try check(code)
    }

    /// Binds bytes that stay valid and unchanged until the statement is stepped
    /// (`SQLITE_STATIC`: no copy). The loader's batch arena guarantees that.
    public func bindStaticText(_ base: UnsafeRawPointer, count: Int, at index: Int) throws {
        let code = sqlite3_bind_text(handle, Int32(index), base.assumingMemoryBound(to: CChar.self), Int32(count), nil)
        try check(code)
    }

    public func bindNull(at index: Int) throws { try check(sqlite3_bind_null(handle, Int32(index))) }

    public func bindInt64(_ value: Int64, at index: Int) throws { try check(sqlite3_bind_int64(handle, Int32(index), value)) }

    public func bindDouble(_ value: Double, at index: Int) throws { try check(sqlite3_bind_double(handle, Int32(index), value)) }

    public func bind(_ values: [SQLValue]) throws {
        for (offset, value) in values.enumerated() { try bind(value, at: offset + 1) }
    }

    /// Advances: true when a row is available, false when done; anything else throws.
    @discardableResult
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(code: code, sql: sql)
        }
    }

    /// Ready for the next bindings; the bindings themselves stay until rebound.
    public func reset() throws {
        sqlite3_reset(handle)
    }

    public func clearBindings() { sqlite3_clear_bindings(handle) }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func columnName(_ index: Int) -> String {
        guard let name = sqlite3_column_name(handle, Int32(index)) else { return "" }
        return String(cString: name)
    }

    public func isNull(_ index: Int) -> Bool {
        sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL
    }

    public func int64(_ index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }

    public func double(_ index: Int) -> Double { sqlite3_column_double(handle, Int32(index)) }

    public func text(_ index: Int) -> String? {
        guard let pointer = sqlite3_column_text(handle, Int32(index)) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// This row's text column `index` against `text`, by bytes: negative when the
    /// column sorts first, zero when equal, positive when `text` sorts first.
    func compareText(_ index: Int32, with text: String) -> Int {
        // Pointer before length, as SQLite asks (the text may be converted on first read).
        let bytes = sqlite3_column_text(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        // A native string's own bytes; a copy (a reference count) only for a bridged one.
        if let order = text.utf8.withContiguousStorageIfAvailable({ Paths.compareBytes(bytes, count, $0.baseAddress, $0.count) }) {
            return order
        }
        var copy = text
        return copy.withUTF8 { Paths.compareBytes(bytes, count, $0.baseAddress, $0.count) }
    }

    /// The current rows of two statements compared on their first two text columns, by
    /// bytes (SQLite's BINARY collation): negative, zero or positive. No strings made.
    static func compareKeys(_ left: Statement, _ right: Statement) -> Int {
        for column: Int32 in 0...1 {
            let leftBytes = sqlite3_column_text(left.handle, column), rightBytes = sqlite3_column_text(right.handle, column)
            let order = Paths.compareBytes(leftBytes, Int(sqlite3_column_bytes(left.handle, column)),
                                           rightBytes, Int(sqlite3_column_bytes(right.handle, column)))
            if order != 0 { return order }
        }
        return 0
    }

    public func value(_ index: Int) -> SQLValue {
        let position = Int32(index)
        switch sqlite3_column_type(handle, position) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, position))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, position))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, position))
            guard count > 0, let pointer = sqlite3_column_blob(handle, position) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .text(text(index) ?? "")
        }
    }

    /// The current row as values.
    public func row() -> [SQLValue] { (0..<columnCount).map(value) }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw connection.error(code: code, sql: sql) }
    }
}

import CSQLite
import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// One SQLite database connection, the sole owner of a `sqlite3*`.
///
/// Extended result codes are on from open, a busy timeout absorbs short contention
/// (a health check reading beside a run), and transactions take closures so a throw
/// can never leave one open.
public final class Connection {
    let handle: OpaquePointer
    public let path: String
    private var savepointDepth = 0

    public enum Mode: Sendable {
        case readWrite, readWriteCreate, readOnly
        /// Read only, and leaving no `-wal`/`-shm` file behind (`immutable=1`): for a
        /// database no process has open in WAL mode right now (its `-wal` is absent).
        case readOnlyQuiet
    }

    /// `file:` URI with `immutable=1`; `?`, `#` and `%` in the path percent-encoded.
    static func immutableURI(_ path: String) -> String {
        var encoded = ""
        for character in path {
            switch character {
            case "%": encoded += "%25"
            case "?": encoded += "%3f"
            case "#": encoded += "%23"
            default: encoded.append(character)
            }
        }
        return "file:" + encoded + "?immutable=1"
    }

    public init(path: String, mode: Mode = .readWriteCreate, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        var flags: Int32 = SQLITE_OPEN_NOMUTEX
        switch mode {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readOnlyQuiet: flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
        }
        var db: OpaquePointer?
        let target = mode == .readOnlyQuiet ? Self.immutableURI(path) : path
        let code = sqlite3_open_v2(target, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let detail = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: code & 0xFF, extendedCode: code, detail: detail, path: path)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit { close() }

    /// True once `close()` ran: every later statement throws instead of touching a freed
    /// handle.
    private(set) var isClosed = false

    /// Closes the connection now (a run does it before releasing its lock, so its
    /// integrity stamp describes the files as it left them); `deinit` otherwise.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        if let trust { trust.close(handle) } else { sqlite3_close_v2(handle) }
    }

    private func ensureOpen(_ sql: String) throws {
        if isClosed { throw SQLiteError(code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE, detail: "the connection was closed", sql: sql, path: path) }
    }

    /// Set by `trustIntegrity(stampPath:)`: see `IntegrityTrust`.
    private(set) var trust: IntegrityTrust?

    /// Follows this read-write connection's commits so the next run may skip its
    /// integrity check (`IntegrityTrust`). The commit hook runs inside SQLite's commit,
    /// before anything is written, and lets every commit go ahead.
    public func trustIntegrity(stampPath: String) {
        let trust = IntegrityTrust(databasePath: path, stampPath: stampPath)
        self.trust = trust
        sqlite3_commit_hook(handle, { context in
            if let context { Unmanaged<IntegrityTrust>.fromOpaque(context).takeUnretainedValue().beforeCommit() }
            return 0
        }, Unmanaged.passUnretained(trust).toOpaque())
    }

    /// A commit this connection made is its own: noted once no transaction is open.
    func settleCommits() {
        if let trust, !isClosed, !isInTransaction { trust.settle() }
    }

    /// Damage, I/O and full-disk errors end the trust in this database's last check.
    func noteFailure(_ code: Int32) {
        switch code & 0xFF {
        case SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN: trust?.distrust()
        default: break
        }
    }

    func error(code: Int32, sql: String?) -> SQLiteError {
        noteFailure(code)
        let extended = sqlite3_extended_errcode(handle)
        return SQLiteError(
            code: code & 0xFF,
            extendedCode: extended,
            detail: String(cString: sqlite3_errmsg(handle)),
            sql: sql,
            path: path
        )
    }

    /// Runs one or more statements that take no parameters and return nothing useful.
    public func execute(_ sql: String) throws {
        try ensureOpen(sql)
        defer { settleCommits() }
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            noteFailure(code)
            let detail = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: code & 0xFF, extendedCode: sqlite3_extended_errcode(handle), detail: detail, sql: sql, path: path)
        }
    }

    public func prepare(_ sql: String) throws -> Statement {
        try ensureOpen(sql)
        return try Statement(connection: self, sql: sql)
    }

    /// Runs one statement with bound values; returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        defer { settleCommits() }
        let statement = try prepare(sql)
        try statement.bind(values)
        while try statement.step() {}
        return changes
    }

    /// Every row of a query, as values.
    public func rows(_ sql: String, _ values: [SQLValue] = []) throws -> [[SQLValue]] {
        defer { settleCommits() }
        let statement = try prepare(sql)
        try statement.bind(values)
        var result: [[SQLValue]] = []
        while try statement.step() { result.append(statement.row()) }
        return result
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar(_ sql: String, _ values: [SQLValue] = []) throws -> SQLValue? {
        defer { settleCommits() }
        let statement = try prepare(sql)
        try statement.bind(values)
        guard try statement.step() else { return nil }
        return statement.value(0)
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }

    public var isInTransaction: Bool { !isClosed && sqlite3_get_autocommit(handle) == 0 }

    /// `BEGIN IMMEDIATE` … `COMMIT`, rolled back on any throw (the first error wins).
    /// Nested calls become savepoints.
    /// Drops the clean pages SQLite caches between transactions, so the next one reads
    /// the file again. SQLite trusts its cache while the file's change counter is the
    /// same, which holds for any change not made through SQLite (a disk error, a copy
    /// over the file): re-reading finds such damage at the next transaction instead of
    /// writing on. Costs little: the pages come back from the OS cache.
    public func releaseCachedPages() {
        _ = sqlite3_db_release_memory(handle)
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// A named savepoint around `body`, released on success and rolled back on throw.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        let name = "lading_sp\(savepointDepth)"
        defer { savepointDepth -= 1 }
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute("RELEASE \(name)")
            return result
        } catch {
            try? execute("ROLLBACK TO \(name)")
            try? execute("RELEASE \(name)")
            throw error
        }
    }

    /// `PRAGMA integrity_check`: nil when "ok", otherwise the problems it lists.
    ///
    /// `quick` runs `quick_check`: the same page and B-tree structure checks without
    /// matching every index entry to its row, about half the time of the full check.
    /// `unlessUnchanged`: a run's start, which skips the check when the files are exactly
    /// as lading's last clean close left them (`IntegrityTrust`).
    public func integrityProblems(limit: Int = 20, quick: Bool = false, unlessUnchanged: Bool = false) throws -> [String]? {
        if unlessUnchanged, let trust, !isInTransaction, trust.unchangedSinceLastClose() {
            trust.verified()
            return nil
        }
        let rows = try rows("PRAGMA \(quick ? "quick_check" : "integrity_check")(\(max(1, limit)))")
        let lines = rows.compactMap { $0.first?.textValue }
        if lines == ["ok"] {
            trust?.verified()
            return nil
        }
        trust?.distrust()
        return lines
    }

    public func tableExists(_ name: String, schema: String = "main") throws -> Bool {
        let sql = "SELECT 1 FROM \(SQL.quoteIdentifier(schema)).sqlite_master WHERE type = 'table' AND name = ?"
        return try scalar(sql, [.text(name)]) != nil
    }

    /// Column names of a table, in order.
    public func columns(of table: String) throws -> [String] {
        let statement = try prepare("SELECT name FROM pragma_table_info(?)")
        try statement.bind(.text(table), at: 1)
        var names: [String] = []
        while try statement.step() { names.append(statement.text(0) ?? "") }
        return names
    }

    public var userVersion: Int {
        get throws { Int(try scalar("PRAGMA user_version")?.integerValue ?? 0) }
    }

    public func setUserVersion(_ version: Int) throws {
        try execute("PRAGMA user_version = \(version)")
    }

    /// The maximum number of `?` parameters one statement may have.
    public var variableLimit: Int {
        Int(sqlite3_limit(handle, SQLITE_LIMIT_VARIABLE_NUMBER, -1))
    }
}

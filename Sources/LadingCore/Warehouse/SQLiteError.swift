import CSQLite

/// A failed sqlite3 call, with everything needed to understand it: result code,
/// extended code, `sqlite3_errmsg` and the SQL that was running.
public struct SQLiteError: LadingError {
    public let code: Int32
    public let extendedCode: Int32
    public let detail: String
    public let sql: String?
    public let path: String?

    public init(code: Int32, extendedCode: Int32, detail: String, sql: String? = nil, path: String? = nil) {
        self.code = code
        self.extendedCode = extendedCode
        self.detail = detail
        self.sql = sql
        self.path = path
    }

    public var message: String {
        var text = "SQLite error \(code) (extended \(extendedCode)): \(detail)"
        if let path { text += " [database \(path)]" }
        if let sql {
            let short = sql.count > 200 ? String(sql.prefix(200)) + "…" : sql
            text += " [SQL: \(short)]"
        }
        return text
    }

    public var exitStatus: ExitStatus { .internalError }

    /// SPEC §7: busy and locked databases pass; a full disk, I/O error or corrupt file
    /// is the system's; anything else is unknown.
    public var kind: ErrorKind {
        switch code {
        case SQLITE_BUSY, SQLITE_LOCKED: return .transient
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM,
             SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_NOMEM:
            return .system
        default: return .unknown
        }
    }

    /// True when the file is not a usable SQLite database (garbage, truncated).
    /// A damaged file. A garbled header can also read as SQLITE_ERROR "unsupported file
    /// format" (bytes 18–19, the file format numbers), which is damage too.
    public var isCorruption: Bool {
        code == SQLITE_CORRUPT || code == SQLITE_NOTADB || (code == SQLITE_ERROR && detail.contains("unsupported file format"))
    }
}

import CSQLite
import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

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
        if isIOFailure, let path { text = ioAdvice(path) + "; " + text }
        if isBusy, let path {
            text = "\(path) stayed locked by another process for longer than the busy timeout (warehouse.busy_timeout_seconds): "
                + "nothing was half-written; run again once it is released; " + text
        }
        if let sql {
            let short = sql.count > 200 ? String(sql.prefix(200)) + "…" : sql
            text += " [SQL: \(short)]"
        }
        return text
    }

    /// SPEC §2: a full disk, a read-only or unwritable file is exit 74; damage stays 70.
    /// A database another process keeps locked past the busy timeout, when it stops a
    /// whole run (a file meeting it only fails transiently), is "try again later": 75.
    public var exitStatus: ExitStatus { isIOFailure ? .ioError : isBusy ? .lockHeld : .internalError }

    /// SQLITE_BUSY or SQLITE_LOCKED: another connection holds the database.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }

    /// Disk full, I/O error, read-only or unwritable database: the system's, not ours.
    public var isIOFailure: Bool {
        [SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM].contains(code)
    }

    /// Says which file to look at. A WAL database also needs its `-shm` file writable;
    /// one left read-only (an earlier run as another user) is named.
    private func ioAdvice(_ path: String) -> String {
        if code == SQLITE_FULL { return "the disk holding \(path) is full (or its quota is reached): free space, then run again; nothing was half-written" }
        for suffix in ["-shm", "-wal", "-journal", ""] {
            let file = path + suffix
            if FileManager.default.fileExists(atPath: file), access(file, W_OK) != 0 {
                return "\(file) is not writable by this user (read-only file or folder, or left by a run as another user): fix its owner or permissions, then run again"
            }
        }
        if access(Paths.directory(of: path), W_OK) != 0 {
            return "the folder of \(path) is not writable by this user (read-only file system or permissions)"
        }
        return "cannot write \(path) (\(code == SQLITE_IOERR ? "I/O error" : "read-only or unwritable"))"
    }

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

    /// A UNIQUE (or other) constraint refused the statement.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }

    /// True when the file is not a usable SQLite database (garbage, truncated).
    /// A damaged file. A garbled header can also read as SQLITE_ERROR "unsupported file
    /// format" (bytes 18–19, the file format numbers), which is damage too.
    public var isCorruption: Bool {
        code == SQLITE_CORRUPT || code == SQLITE_NOTADB || (code == SQLITE_ERROR && detail.contains("unsupported file format"))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A database file and its journal as `stat` sees them. Any write to a file, by SQLite
/// or by hand (`dd`, a copy over it, an editor), gives it a new change time, which no
/// tool can set back (`touch` sets only the modification time); a replaced file has a
/// new inode. Two equal stamps therefore mean nobody wrote to the files in between.
struct DatabaseStamp: Codable, Equatable {
    struct File: Codable, Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
        var changedSeconds: Int
        var changedNanoseconds: Int
    }

    var database: File
    /// The `-wal` and `-journal` files when they hold bytes. An empty or missing one
    /// holds nothing (SQLite leaves an empty journal behind after each commit in
    /// `TRUNCATE` mode and creates an empty WAL on open), so both read as nil.
    var wal: File?
    var rollbackJournal: File?

    var ignoringRollbackJournal: DatabaseStamp {
        var stamp = self
        stamp.rollbackJournal = nil
        return stamp
    }

    /// Nil when the database file cannot be read with `stat` (it is missing).
    static func of(_ path: String) -> DatabaseStamp? {
        guard let database = file(path, emptyIsNone: false) else { return nil }
        return DatabaseStamp(database: database, wal: file(path + "-wal", emptyIsNone: true),
                             rollbackJournal: file(path + "-journal", emptyIsNone: true))
    }

    private static func file(_ path: String, emptyIsNone: Bool) -> File? {
        var info = stat()
        guard stat(path, &info) == 0, !emptyIsNone || info.st_size > 0 else { return nil }
        return File(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino),
                    size: Int64(info.st_size), modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec),
                    changedSeconds: Int(info.st_ctim.tv_sec), changedNanoseconds: Int(info.st_ctim.tv_nsec))
    }
}

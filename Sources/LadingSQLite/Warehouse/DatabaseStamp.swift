#if canImport(Glibc)
import Glibc
#endif

/// A database file and its journal as `stat` sees them. Any write to a file, by SQLite
/// or by hand (`dd`, a copy over it, an editor), gives it a new change time, which no
/// tool can set back (`touch` sets only the modification time); a replaced file has a
/// new inode. Two equal stamps therefore mean nobody wrote to the files in between.
struct DatabaseStamp: Equatable {
    struct File: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
        var changedSeconds: Int
        var changedNanoseconds: Int

        /// `name` relative to the open folder `folder` (or a path with `AT_FDCWD`).
        static func of(_ name: String, in folder: Int32) -> File? {
            var info = stat()
            guard fstatat(folder, name, &info, 0) == 0 else { return nil }
            return File(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino),
                        size: Int64(info.st_size), modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec),
                        changedSeconds: Int(info.st_ctim.tv_sec), changedNanoseconds: Int(info.st_ctim.tv_nsec))
        }
    }

    var database: File
    /// The `-wal` and `-journal` files when they hold bytes. An empty or missing one
    /// holds nothing (SQLite leaves an empty journal behind after each commit in
    /// `TRUNCATE` mode and creates an empty WAL on open), so both read as nil.
    var wal: File?
    var rollbackJournal: File?

    /// One line per file, `name device inode size mtime-s mtime-ns ctime-s ctime-ns`:
    /// written at every clean close, read at every run's start (no JSON coder for seven
    /// integers).
    var text: String {
        var lines = ""
        for (name, file) in [("database", database), ("wal", wal), ("journal", rollbackJournal)] {
            guard let file else { continue }
            lines += "\(name) \(file.device) \(file.inode) \(file.size) \(file.modifiedSeconds) \(file.modifiedNanoseconds) "
                + "\(file.changedSeconds) \(file.changedNanoseconds)\n"
        }
        return lines
    }

    /// Nil when the database file cannot be read with `stat` (it is missing).
    static func of(_ path: String) -> DatabaseStamp? {
        guard let database = file(path, emptyIsNone: false) else { return nil }
        return DatabaseStamp(database: database, wal: file(path + "-wal", emptyIsNone: true),
                             rollbackJournal: file(path + "-journal", emptyIsNone: true))
    }

    private static func file(_ path: String, emptyIsNone: Bool) -> File? {
        guard let file = File.of(path, in: AT_FDCWD), !emptyIsNone || file.size > 0 else { return nil }
        return file
    }
}

extension DatabaseStamp {
    /// Parses `text`; nil for anything else (then the database is checked).
    init?(text: String) {
        var files: [String: File] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 8, let device = UInt64(fields[1]), let inode = UInt64(fields[2]), let size = Int64(fields[3]),
                  let modified = Int(fields[4]), let modifiedNanoseconds = Int(fields[5]), let changed = Int(fields[6]),
                  let changedNanoseconds = Int(fields[7]), files[String(fields[0])] == nil else { return nil }
            files[String(fields[0])] = File(device: device, inode: inode, size: size, modifiedSeconds: modified, modifiedNanoseconds: modifiedNanoseconds,
                                            changedSeconds: changed, changedNanoseconds: changedNanoseconds)
        }
        guard let database = files["database"], Set(files.keys).isSubset(of: ["database", "wal", "journal"]) else { return nil }
        self.init(database: database, wal: files["wal"], rollbackJournal: files["journal"])
    }
}

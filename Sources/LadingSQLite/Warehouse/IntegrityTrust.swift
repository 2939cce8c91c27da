import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport

/// Lets a run skip the integrity check of a database that nobody but lading touched
/// since a check passed, so a run's start costs the same on a 10 GB warehouse as on an
/// empty one (a `quick_check` reads every page: about 0.07 s per 60 MB).
///
/// A chain of stamps: a check passes, and the database file's stamp is noted; before
/// each commit of this connection the file must still carry the stamp noted after its
/// previous commit (nothing else wrote to it in between), and the new stamp is noted
/// after the commit. That is one `fstatat` of the file (relative to its open folder, no
/// path walk) before and one after each commit: a first run's 10,000 tracker commits
/// pay about 10 ms. When the connection closes with the chain unbroken, the stamp of
/// the file and its journal after the close (`DatabaseStamp`) is written to
/// `stampPath`. The next connection skips its check only if the files still carry
/// exactly that stamp. (A journal written by hand between two commits of a run is
/// not seen; SQLite checksums WAL frames and ignores a journal without a valid header.)
///
/// The chain breaks, and the stamp file is removed, on any sign of trouble: a foreign
/// write between commits, a corruption, I/O or full-disk error, a close that SQLite
/// defers. Then the next run checks again. What it does not see is damage that keeps a
/// file's change time (a failing disk): `validate-consistency` runs the full
/// `integrity_check` whatever the stamps say, and SQLite reports a damaged page when a
/// load reads it.
final class IntegrityTrust {
    let databasePath: String
    let stampPath: String
    /// The database file's stamp after this connection's last verified point; nil
    /// before a check passed or once the chain broke.
    private var trusted: DatabaseStamp.File?
    private var broken = false
    /// A commit started since the last `settle()`.
    private var committing = false
    /// The database's folder, open for `fstatat` (a folder's descriptor, unlike one of the
    /// database file, has no bearing on SQLite's POSIX locks).
    private let folder: Int32
    private let name: String

    init(databasePath: String, stampPath: String) {
        self.databasePath = databasePath
        self.stampPath = stampPath
        let slash = databasePath.lastIndex(of: "/")
        name = slash.map { String(databasePath[databasePath.index(after: $0)...]) } ?? databasePath
        let directory = slash.map { String(databasePath[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    deinit { if folder >= 0 { Glibc.close(folder) } }

    private func databaseFile() -> DatabaseStamp.File? {
        folder >= 0 ? DatabaseStamp.File.of(name, in: folder) : DatabaseStamp.File.of(databasePath, in: AT_FDCWD)
    }

    /// True when the files carry exactly the stamp the last clean close wrote.
    func unchangedSinceLastClose() -> Bool {
        guard let data = FileManager.default.contents(atPath: stampPath),
              let stored = DatabaseStamp(text: String(decoding: data, as: UTF8.self)) else { return false }
        return stored == DatabaseStamp.of(databasePath)
    }

    /// A check passed (or was skipped by `unchangedSinceLastClose`): the chain starts here.
    func verified() {
        guard !broken else { return }
        trusted = databaseFile()
    }

    /// SQLite's commit hook: the file must be as this connection left it. (In both
    /// journal modes SQLite writes the database file itself only at the commit or a
    /// checkpoint, unless a transaction outgrows the page cache: then the chain breaks
    /// and the next run checks, which is only slower.)
    func beforeCommit() {
        committing = true
        guard let trusted, !broken else { return }
        if databaseFile() != trusted { distrust() }
    }

    /// After a statement or transaction outside any transaction: a commit that happened
    /// is this connection's own.
    func settle() {
        guard committing else { return }
        committing = false
        guard trusted != nil, !broken else { return }
        trusted = databaseFile()
    }

    /// Corruption, I/O and full-disk errors: the next run checks, whatever changed.
    func distrust() {
        broken = true
        trusted = nil
        unlink(stampPath)
    }

    /// Closes `handle`; writes the stamp when the chain held to the end.
    func close(_ handle: OpaquePointer) {
        settle()
        guard let trusted, !broken, databaseFile() == trusted else {
            sqlite3_close_v2(handle)
            if trusted != nil || broken { unlink(stampPath) }
            return
        }
        // A plain close fails while statements are open; a deferred close would write
        // (a WAL checkpoint) after the stamp was taken.
        guard sqlite3_close(handle) == SQLITE_OK else {
            sqlite3_close_v2(handle)
            unlink(stampPath)
            return
        }
        guard let closed = DatabaseStamp.of(databasePath) else {
            unlink(stampPath)
            return
        }
        // Best effort, no fsync: a stamp lost or cut short in a power cut reads as none,
        // which only costs the next run its check.
        do {
            try AtomicFile.write(Data(closed.text.utf8), to: stampPath, durable: false)
        } catch {
            unlink(stampPath)
        }
    }
}

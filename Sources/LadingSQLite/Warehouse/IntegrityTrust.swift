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
/// A chain of stamps (`DatabaseStamp`): a check passes, and the files' stamp is noted;
/// before each commit of this connection the files must still carry the stamp noted
/// after its previous commit (nothing else wrote in between), and the new stamp is noted
/// after the commit. When the connection closes with the chain unbroken, the stamp
/// after the close is written to `stampPath`. The next connection skips the quick check
/// only if the files still carry exactly that stamp.
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
    /// The stamp after this connection's last verified point; nil before a check passed
    /// or once the chain broke.
    private var trusted: DatabaseStamp?
    private var broken = false
    /// A commit started since the last `settle()`.
    private var committing = false

    init(databasePath: String, stampPath: String) {
        self.databasePath = databasePath
        self.stampPath = stampPath
    }

    /// True when the files carry exactly the stamp the last clean close wrote.
    func unchangedSinceLastClose() -> Bool {
        guard let data = FileManager.default.contents(atPath: stampPath),
              let stored = try? JSONDecoder().decode(DatabaseStamp.self, from: data) else { return false }
        return stored == DatabaseStamp.of(databasePath)
    }

    /// A check passed (or was skipped by `unchangedSinceLastClose`): the chain starts here.
    func verified() {
        guard !broken else { return }
        trusted = DatabaseStamp.of(databasePath)
    }

    /// SQLite's commit hook: the files must be as this connection left them. The
    /// rollback journal is this transaction's own by now (SQLite writes the pages it
    /// changes there before the commit), so it is left out.
    func beforeCommit() {
        committing = true
        guard let trusted, !broken else { return }
        if DatabaseStamp.of(databasePath)?.ignoringRollbackJournal != trusted.ignoringRollbackJournal { distrust() }
    }

    /// After a statement or transaction outside any transaction: a commit that happened
    /// is this connection's own.
    func settle() {
        guard committing else { return }
        committing = false
        guard trusted != nil, !broken else { return }
        trusted = DatabaseStamp.of(databasePath)
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
        guard let trusted, !broken, DatabaseStamp.of(databasePath) == trusted else {
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
        guard let closed = DatabaseStamp.of(databasePath), let data = try? JSONEncoder().encode(closed) else {
            unlink(stampPath)
            return
        }
        // Best effort, no fsync: a stamp lost in a power cut only costs the next run its check.
        if (try? AtomicFile.write(data, to: stampPath)) == nil { unlink(stampPath) }
    }
}

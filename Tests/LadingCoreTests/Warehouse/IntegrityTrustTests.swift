import Foundation
import LadingTestSupport
import Testing
@testable import LadingSupport
@testable import LadingStore
@testable import LadingSQLite

/// A run skips the warehouse's and tracker's check only when nothing but lading wrote
/// to them since a check passed (`IntegrityTrust`). These tests damage the files the
/// ways an operator or a disk would, and require the next open to check again.
@Suite struct IntegrityTrustTests {
    private struct Fixture {
        let folder: TemporaryFolder
        var path: String { folder.url("w.sqlite") }
        var stamp: String { folder.url("w.checked") }

        init() throws { folder = try TemporaryFolder() }

        /// A warehouse with one table of 2,000 rows (several pages), checked, written and
        /// closed the way a run does it.
        func cleanRun(rows: Int = 2_000) throws {
            let warehouse = try SQLiteWarehouse(path: path, integrityStamp: stamp)
            #expect(try warehouse.integrityProblems(quick: true) == nil)
            try warehouse.db.transaction {
                try warehouse.db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER, note TEXT)")
                for id in 0..<rows { try warehouse.db.run("INSERT INTO t VALUES (?, ?)", [.integer(Int64(id)), .text(String(repeating: "x", count: 100))]) }
            }
            try warehouse.recordRun(RunRecord(runID: "r", startedAt: "", finishedAt: nil, status: "success", pid: 1, hostname: "h",
                                              filesDiscovered: 0, filesLoaded: 0, filesFailed: 0, rowsLoaded: 0, rowsQuarantined: 0, errorMessage: nil))
        }

        func storedStamp() -> DatabaseStamp? {
            FileManager.default.contents(atPath: stamp).flatMap { DatabaseStamp(text: String(decoding: $0, as: UTF8.self)) }
        }

        /// Overwrites every page after the first two with garbage, keeping the size.
        func garble() throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            let size = handle.seekToEndOfFile()
            handle.seek(toFileOffset: 32_768)
            handle.write(Data(repeating: 0xA5, count: Int(size) - 32_768))
            handle.closeFile()
        }
    }

    @Test func aCleanCloseLeavesTheStampOfTheFilesAsTheyAre() throws {
        let fixture = try Fixture()
        try fixture.cleanRun()
        let stored = try #require(fixture.storedStamp(), "a clean close writes the stamp")
        #expect(stored == DatabaseStamp.of(fixture.path))
        #expect(stored.rollbackJournal == nil, "the empty journal a TRUNCATE commit leaves counts as none")
        let reopened = try SQLiteWarehouse(path: fixture.path, integrityStamp: fixture.stamp)
        #expect(reopened.db.trust?.unchangedSinceLastClose() == true)
    }

    @Test func damageAfterACleanCloseIsCheckedAgainEvenAtTheSameSize() throws {
        let fixture = try Fixture()
        try fixture.cleanRun()
        let before = try #require(DatabaseStamp.of(fixture.path))
        try fixture.garble()
        #expect(DatabaseStamp.of(fixture.path)?.database.size == before.database.size)
        let reopened = try SQLiteWarehouse(path: fixture.path, integrityStamp: fixture.stamp)
        #expect(reopened.db.trust?.unchangedSinceLastClose() == false)
        // Either the check lists problems or SQLite refuses the damaged pages outright;
        // what must not happen is a clean answer.
        var found = true
        do { found = try reopened.integrityProblems(quick: true) != nil } catch { found = true }
        #expect(found, "the check ran and found the damage")
    }

    @Test func aModificationTimeSetBackByHandDoesNotHideAWrite() throws {
        let fixture = try Fixture()
        try fixture.cleanRun()
        let stored = try #require(fixture.storedStamp())
        try fixture.garble()
        var times = [timespec(tv_sec: stored.database.modifiedSeconds, tv_nsec: stored.database.modifiedNanoseconds),
                     timespec(tv_sec: stored.database.modifiedSeconds, tv_nsec: stored.database.modifiedNanoseconds)]
        #expect(utimensat(AT_FDCWD, fixture.path, &times, 0) == 0)
        let reopened = try SQLiteWarehouse(path: fixture.path, integrityStamp: fixture.stamp)
        #expect(reopened.db.trust?.unchangedSinceLastClose() == false, "the change time moved")
    }

    /// Another writer (a person with the sqlite3 shell) between two of the run's commits,
    /// or after its last one.
    @Test(arguments: [true, false]) func aForeignWriteBreaksTheChain(thenOursAgain: Bool) throws {
        let fixture = try Fixture()
        try fixture.cleanRun()
        do {
            let warehouse = try SQLiteWarehouse(path: fixture.path, integrityStamp: fixture.stamp)
            #expect(try warehouse.integrityProblems(quick: true) == nil)
            try warehouse.db.run("INSERT INTO t VALUES (1, 'ours')")
            let other = try Connection(path: fixture.path)
            try other.run("INSERT INTO t VALUES (2, 'theirs')")
            if thenOursAgain { try warehouse.db.run("INSERT INTO t VALUES (3, 'ours again')") }
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.stamp), "no stamp after a chain another writer broke")
        let reopened = try SQLiteWarehouse(path: fixture.path, integrityStamp: fixture.stamp)
        #expect(reopened.db.trust?.unchangedSinceLastClose() == false)
    }

    @Test func aCorruptionErrorRemovesTheStampAtOnce() throws {
        let fixture = try Fixture()
        try fixture.cleanRun(rows: 20_000)
        let warehouse = try SQLiteWarehouse(path: fixture.path, integrityStamp: fixture.stamp)
        #expect(try warehouse.integrityProblems(quick: true) == nil)
        try fixture.garble()
        warehouse.db.releaseCachedPages()
        #expect(throws: (any Error).self) { try warehouse.db.scalar("SELECT sum(length(note)) FROM t") }
        #expect(!FileManager.default.fileExists(atPath: fixture.stamp))
    }

    @Test func aTrackerClosedCleanlyInWALModeIsTrustedAndAWriteByHandIsNot() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("tracker.sqlite"), stamp = folder.url("tracker.checked")
        let clock = SystemClock()
        do {
            let tracker = try SQLiteTracker(path: path, clock: clock, integrityStamp: stamp)
            #expect(try tracker.integrityProblems(runStart: true) == nil)
            for index in 0..<50 { try tracker.register(table: "t", file: "/f\(index).csv", size: 1, modifiedTime: "m", sha256: nil) }
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the close checkpointed the WAL away")
        do {
            let tracker = try SQLiteTracker(path: path, clock: clock, integrityStamp: stamp)
            #expect(tracker.db.trust?.unchangedSinceLastClose() == true)
        }
        let other = try Connection(path: path)
        try other.run("UPDATE file_processing_tracker SET status = 'FAILED'")
        let tracker = try SQLiteTracker(path: path, clock: clock, integrityStamp: stamp)
        #expect(tracker.db.trust?.unchangedSinceLastClose() == false)
    }

    /// A run's check of the tracker, when it runs, is the full one: registration reads
    /// the status index alone, and `quick_check` does not compare index entries with
    /// rows. (A random night garbled the tracker so that only its index was wrong, and
    /// a run that used `quick_check` read stale entries from it.)
    @Test func aTrackerWhoseIndexNoLongerMatchesItsRowsIsFoundAtARunsStart() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("tracker.sqlite"), stamp = folder.url("tracker.checked")
        do {
            let tracker = try SQLiteTracker(path: path, clock: SystemClock(), integrityStamp: stamp)
            #expect(try tracker.integrityProblems(runStart: true) == nil)
            for index in 0..<20 { try tracker.register(table: "t", file: "/f\(index).csv", size: Int64(index), modifiedTime: "m\(index)", sha256: nil) }
        }
        // The index's declared columns swapped behind SQLite's back: every page and
        // B-tree is sound, every index entry is wrong.
        let other = try Connection(path: path)
        try other.execute("""
            PRAGMA writable_schema = ON;
            UPDATE sqlite_master SET sql = replace(sql, 'file_size, file_modified_time', 'file_modified_time, file_size')
                WHERE name = 'file_processing_tracker_status_stamp';
            PRAGMA writable_schema = OFF;
            """)
        other.close()
        let reopened = try Connection(path: path)
        #expect(try reopened.integrityProblems(quick: true) == nil, "quick_check does not see it")
        reopened.close()
        let tracker = try SQLiteTracker(path: path, clock: SystemClock(), integrityStamp: stamp)
        #expect(try tracker.integrityProblems(runStart: true) != nil, "the run's check does")
    }
}

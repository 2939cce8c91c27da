import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct TrackerTests {
    let folder: TemporaryFolder
    let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
    let tracker: SQLiteTracker

    init() throws {
        folder = try TemporaryFolder()
        tracker = try SQLiteTracker(path: folder.url("tracker.sqlite"), clock: clock)
    }

    func register(_ file: String = "/l/a.csv", table: String = "t") throws -> Bool {
        try tracker.register(table: table, file: file, size: 10, modifiedTime: "m", sha256: "abc")
    }

    @Test func registrationIsIdempotent() throws {
        #expect(try register())
        #expect(try !register())
        #expect(try tracker.allRecords().count == 1)
        let record = try #require(try tracker.record(table: "t", file: "/l/a.csv"))
        #expect(record.status == .pending)
        #expect(record.createdAt == "2026-11-18T11:06:40.000000Z")
    }

    @Test func tableAndPathTogetherAreTheKey() throws {
        #expect(try register(table: "one"))
        #expect(try register(table: "two"))
        #expect(try tracker.allRecords().map(\.tableName) == ["one", "two"])
    }

    @Test func theHappyPathAndItsTimestamps() throws {
        _ = try register()
        try tracker.claim(table: "t", file: "/l/a.csv", runID: "r1", batchID: "b1", seenRetryCount: 0)
        clock.advance(by: 5)
        try tracker.complete(table: "t", file: "/l/a.csv", runID: "r1", recordsRead: 3, rowsLoaded: 2, rowsQuarantined: 1, sha256: nil)
        let record = try #require(try tracker.record(table: "t", file: "/l/a.csv"))
        #expect(record.status == .completed)
        #expect(record.rowsLoaded == 2)
        #expect(record.batchID == "b1")
        #expect(record.processingEndTime == "2026-11-18T11:06:45.000000Z")
        #expect(record.contentSHA256 == "abc")
    }

    @Test func illegalTransitionsAreRefused() throws {
        _ = try register()
        // PENDING cannot complete or fail without a claim.
        #expect(throws: TrackerError.self) {
            try tracker.complete(table: "t", file: "/l/a.csv", runID: "r1", recordsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, sha256: nil)
        }
        #expect(throws: TrackerError.self) { try tracker.fail(table: "t", file: "/l/a.csv", runID: "r1", message: "x", kind: .data) }
        try tracker.claim(table: "t", file: "/l/a.csv", runID: "r1", batchID: "b1", seenRetryCount: 0)
        // A PROCESSING file cannot be claimed twice.
        #expect(throws: TrackerError.self) { try tracker.claim(table: "t", file: "/l/a.csv", runID: "r2", batchID: "b2", seenRetryCount: 0) }
        try tracker.complete(table: "t", file: "/l/a.csv", runID: "r1", recordsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, sha256: nil)
        // COMPLETED leaves only through reset-state.
        #expect(throws: TrackerError.self) { try tracker.claim(table: "t", file: "/l/a.csv", runID: "r3", batchID: "b3", seenRetryCount: 0) }
        #expect(throws: TrackerError.self) { try tracker.fail(table: "t", file: "/l/a.csv", runID: "r1", message: "x", kind: .data) }
        // Unknown files cannot move at all.
        #expect(throws: TrackerError.self) { try tracker.claim(table: "t", file: "/l/none.csv", runID: "r1", batchID: "b", seenRetryCount: 0) }
        #expect(try tracker.record(table: "t", file: "/l/a.csv")?.status == .completed)
    }

    @Test func onlyTheOwningRunMayFinishAFile() throws {
        _ = try register()
        try tracker.claim(table: "t", file: "/l/a.csv", runID: "r1", batchID: "b1", seenRetryCount: 0)
        #expect(throws: TrackerError.self) {
            try tracker.complete(table: "t", file: "/l/a.csv", runID: "someone-else", recordsRead: 1, rowsLoaded: 1, rowsQuarantined: 0, sha256: nil)
        }
        #expect(try tracker.record(table: "t", file: "/l/a.csv")?.status == .processing)
    }

    @Test func failureCountsAttemptsAndFailedFilesCanBeClaimedAgain() throws {
        _ = try register()
        try tracker.claim(table: "t", file: "/l/a.csv", runID: "r1", batchID: "b1", seenRetryCount: 0)
        try tracker.fail(table: "t", file: "/l/a.csv", runID: "r1", message: "disk on fire", kind: .system)
        var record = try #require(try tracker.record(table: "t", file: "/l/a.csv"))
        #expect(record.status == .failed)
        #expect(record.retryCount == 1)
        #expect(record.errorType == "system")
        try tracker.claim(table: "t", file: "/l/a.csv", runID: "r2", batchID: "b2", seenRetryCount: 0)
        record = try #require(try tracker.record(table: "t", file: "/l/a.csv"))
        #expect(record.status == .processing)
        #expect(record.runID == "r2")
    }

    @Test func schemaIsVersionedAndReopenable() throws {
        _ = try register()
        let reopened = try SQLiteTracker(path: folder.url("tracker.sqlite"), clock: clock)
        #expect(try reopened.db.userVersion == TrackerSchema.currentVersion)
        #expect(try reopened.allRecords().count == 1)
        let readOnly = try SQLiteTracker(path: folder.url("tracker.sqlite"), clock: clock, readOnly: true)
        #expect(try readOnly.statusCounts()["t"]?[.pending] == 1)
    }

    @Test func aNewerSchemaIsRefused() throws {
        try tracker.db.setUserVersion(99)
        #expect(throws: TrackerError.self) { _ = try SQLiteTracker(path: folder.url("tracker.sqlite"), clock: clock) }
    }

    @Test func garbageIsReportedAsCorrupt() throws {
        try folder.write("bad.sqlite", String(repeating: "not a database ", count: 100))
        #expect {
            _ = try SQLiteTracker(path: folder.url("bad.sqlite"), clock: clock)
        } throws: { error in
            guard case .corrupt = error as? TrackerError else { return false }
            return true
        }
    }

    @Test func runsAreRecorded() throws {
        try tracker.startRun(runID: "r1", pid: 1, hostname: "h")
        var run = try #require(try tracker.runs(limit: 5).first)
        #expect(run.status == "running")
        run.status = "success"
        run.filesLoaded = 2
        try tracker.finishRun(run)
        #expect(try tracker.runs(limit: 5).first?.filesLoaded == 2)
    }

    @Test func retryMatrix() {
        let policy = RetryPolicy(retryAttempts: 3)
        #expect(policy.mayRetry(kind: .transient, retryCount: 2))
        #expect(!policy.mayRetry(kind: .transient, retryCount: 3))
        #expect(!policy.mayRetry(kind: .data, retryCount: 1))
        #expect(!policy.mayRetry(kind: .configuration, retryCount: 1))
        #expect(policy.mayRetry(kind: .system, retryCount: 2))
        #expect(!RetryPolicy(retryAttempts: 10).mayRetry(kind: .system, retryCount: 3))
        #expect(policy.mayRetry(kind: .data, retryCount: 0))
    }

    /// Full jitter: each delay is a draw below a ceiling that doubles up to the cap;
    /// over many draws the ceilings show, and nothing exceeds them.
    @Test func backoffGrowsWithFullJitterUnderTheCap() {
        let random = SeededRandom(seed: 3)
        for attempt in 0..<8 {
            let ceiling = min(10.0, 0.5 * Double(1 << attempt))
            let delays = (0..<400).map { _ in RetryPolicy.backoff(attempt: attempt, base: 0.5, cap: 10, random: random) }
            #expect(delays.allSatisfy { $0 >= 0 && $0 <= ceiling })
            #expect(delays.max()! > ceiling * 0.9, "the draws reach close to the ceiling \(ceiling)")
            #expect(Set(delays).count > 300, "jittered, not fixed")
        }
    }
}

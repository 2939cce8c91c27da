import Foundation
import LadingTestSupport
import Logging
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct RunLockTests {
    let folder: TemporaryFolder
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    init() throws { folder = try TemporaryFolder() }

    var lockPath: String { folder.url("state/lading.lock") }

    func writeLock(pid: Int32, host: String = "test-host", timeoutAt: Date) throws {
        let info = LockInfo(pid: pid, hostname: host, acquiredAt: "2026-01-01T00:00:00.000000Z",
                            timeoutAt: Timestamp.iso8601(timeoutAt), lockName: "lading-run", runID: "old-run")
        try folder.write("state/lading.lock", String(decoding: info.encoded(), as: UTF8.self))
    }

    @Test func acquireWritesJSONAndReleaseRemovesIt() throws {
        let environment = Environment.test()
        let lock = try RunLock.acquire(path: lockPath, runID: "r1", timeoutMinutes: 60, environment: environment, logger: logger)
        let state = RunLock.inspect(path: lockPath, now: environment.clock.now(), process: environment.process)
        #expect(state.info?.runID == "r1")
        #expect(state.info?.pid == 4242)
        #expect(state.info?.hostname == "test-host")
        #expect(lock.replaced == nil)
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: lockPath))
    }

    @Test func aLiveHolderRefusesAtOnce() throws {
        let environment = Environment.test(process: FakeProcessIdentity(alive: [4242, 77]))
        try writeLock(pid: 77, timeoutAt: environment.clock.now().addingTimeInterval(600))
        #expect {
            _ = try RunLock.acquire(path: lockPath, runID: "r2", timeoutMinutes: 60, environment: environment, logger: logger)
        } throws: { error in
            guard let error = error as? LockError, case .heldByLiveRun(let holder, _) = error else { return false }
            return holder.pid == 77 && error.exitStatus == .lockHeld && error.message.contains("pid 77")
        }
        #expect(RunLock.inspect(path: lockPath, now: environment.clock.now(), process: environment.process).info?.runID == "old-run")
    }

    @Test func aDeadHolderIsTakenOver() throws {
        let environment = Environment.test()
        try writeLock(pid: 99, timeoutAt: environment.clock.now().addingTimeInterval(600))
        let lock = try RunLock.acquire(path: lockPath, runID: "r3", timeoutMinutes: 60, environment: environment, logger: logger)
        #expect(lock.replaced?.pid == 99)
        lock.release()
    }

    @Test func anExpiredLockIsTakenOverEvenIfItsPidLives() throws {
        let environment = Environment.test(process: FakeProcessIdentity(alive: [4242, 77]))
        try writeLock(pid: 77, timeoutAt: environment.clock.now().addingTimeInterval(-1))
        let lock = try RunLock.acquire(path: lockPath, runID: "r4", timeoutMinutes: 60, environment: environment, logger: logger)
        #expect(lock.replaced?.pid == 77)
        lock.release()
    }

    @Test func anotherHostsLockLivesUntilItsTimeout() throws {
        let environment = Environment.test()
        try writeLock(pid: 99, host: "other-host", timeoutAt: environment.clock.now().addingTimeInterval(600))
        #expect(throws: LockError.self) {
            _ = try RunLock.acquire(path: lockPath, runID: "r5", timeoutMinutes: 60, environment: environment, logger: logger)
        }
    }

    @Test func garbageIsStaleOnlyWhenOlderThanTheTimeout() throws {
        let clock = ManualClock(Date())
        let environment = Environment.test(clock: clock)
        try folder.write("state/lading.lock", "{not json")
        #expect {
            _ = try RunLock.acquire(path: lockPath, runID: "r6", timeoutMinutes: 60, environment: environment, logger: logger)
        } throws: { error in
            guard case .unreadableAndRecent = error as? LockError else { return false }
            return (error as? LockError)?.exitStatus == .lockHeld
        }
        clock.advance(by: 61 * 60)
        let lock = try RunLock.acquire(path: lockPath, runID: "r6", timeoutMinutes: 60, environment: environment, logger: logger)
        #expect(lock.replaced != nil)
        lock.release()
    }

    @Test func releaseLeavesSomebodyElsesLock() throws {
        let environment = Environment.test()
        let lock = try RunLock.acquire(path: lockPath, runID: "mine", timeoutMinutes: 60, environment: environment, logger: logger)
        try RunLock.remove(path: lockPath)
        try writeLock(pid: 4242, timeoutAt: environment.clock.now().addingTimeInterval(600))
        lock.release()
        #expect(RunLock.inspect(path: lockPath, now: environment.clock.now(), process: environment.process).info?.runID == "old-run")
    }

    /// Release compares the bytes it wrote first; a file that still names this run in
    /// other bytes (rewritten by hand, pretty-printed) is its own all the same.
    @Test func releaseRemovesItsOwnLockWrittenInOtherBytes() throws {
        let environment = Environment.test()
        let lock = try RunLock.acquire(path: lockPath, runID: "mine", timeoutMinutes: 60, environment: environment, logger: logger)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        try folder.write("state/lading.lock", String(decoding: try encoder.encode(lock.info), as: UTF8.self))
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: lockPath))
    }

    @Test func staleReasonRules() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let process = FakeProcessIdentity(alive: [10])
        func info(_ pid: Int32, _ host: String, _ offset: TimeInterval) -> LockInfo {
            LockInfo(pid: pid, hostname: host, acquiredAt: "", timeoutAt: Timestamp.iso8601(now.addingTimeInterval(offset)), lockName: "", runID: "")
        }
        #expect(info(10, "test-host", 60).staleReason(now: now, process: process) == nil)
        #expect(info(11, "test-host", 60).staleReason(now: now, process: process) != nil)
        #expect(info(10, "test-host", -60).staleReason(now: now, process: process) != nil)
        #expect(info(11, "elsewhere", 60).staleReason(now: now, process: process) == nil)
    }
}

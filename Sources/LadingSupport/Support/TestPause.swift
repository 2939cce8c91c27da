import Foundation

/// A test hook: `LADING_TEST_PAUSE_AT_CHECKPOINT=n` makes the n-th committed staging
/// checkpoint of the process log "test pause at checkpoint" and sleep two seconds, so a
/// signal test can interrupt a load in the middle whatever the machine's speed. Inert
/// when unset.
public enum TestPause {
    private static let state = PauseState()

    package static func afterCheckpoint() {
        guard state.shouldPause() else { return }
        FileHandle.standardError.write(Data("test pause at checkpoint\n".utf8))
        Thread.sleep(forTimeInterval: state.seconds)
    }
}

private final class PauseState: @unchecked Sendable {
    private let lock = NSLock()
    private let target = ProcessInfo.processInfo.environment["LADING_TEST_PAUSE_AT_CHECKPOINT"].flatMap(Int.init)
    private var hits = 0
    /// How long the pause lasts (`LADING_TEST_PAUSE_SECONDS`, default 2).
    let seconds = ProcessInfo.processInfo.environment["LADING_TEST_PAUSE_SECONDS"].flatMap(Double.init) ?? 2

    func shouldPause() -> Bool {
        guard let target else { return false }
        lock.lock(); defer { lock.unlock() }
        hits += 1
        return hits == target
    }
}

import Foundation

/// Waiting between retries, injectable so tests check the delays without sleeping.
public protocol Sleeper: Sendable {
    func sleep(seconds: Double)
}

/// Sleeps in slices of 50 ms and wakes early once SIGINT/SIGTERM arrived: a backoff
/// of a minute must not hold a stop request for a minute (SPEC §4: obeyed within a
/// second, also while waiting between retries).
public struct SystemSleeper: Sleeper {
    public init() {}
    public func sleep(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while SignalMonitor.pending == nil {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return }
            Thread.sleep(forTimeInterval: min(left, 0.05))
        }
    }
}

/// Records the delays asked for and returns at once.
public final class RecordingSleeper: Sleeper, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Double] = []

    public init() {}

    public func sleep(seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        recorded.append(seconds)
    }

    public var delays: [Double] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }
}

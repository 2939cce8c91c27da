import Foundation

/// Waiting between retries, injectable so tests check the delays without sleeping.
public protocol Sleeper: Sendable {
    func sleep(seconds: Double)
}

public struct SystemSleeper: Sleeper {
    public init() {}
    public func sleep(seconds: Double) {
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
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

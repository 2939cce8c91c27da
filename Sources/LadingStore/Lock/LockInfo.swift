import Foundation
import LadingSupport
import LadingConfiguration

/// The content of the lock file (SPEC §4), as JSON.
public struct LockInfo: Codable, Sendable, Equatable {
    public var pid: Int32
    public var hostname: String
    public var acquiredAt: String
    public var timeoutAt: String
    public var lockName: String
    public var runID: String

    enum CodingKeys: String, CodingKey {
        case pid, hostname
        case acquiredAt = "acquired_at"
        case timeoutAt = "timeout_at"
        case lockName = "lock_name"
        case runID = "run_id"
    }

    public init(pid: Int32, hostname: String, acquiredAt: String, timeoutAt: String, lockName: String, runID: String) {
        self.pid = pid
        self.hostname = hostname
        self.acquiredAt = acquiredAt
        self.timeoutAt = timeoutAt
        self.lockName = lockName
        self.runID = runID
    }

    /// Why this lock no longer protects anything, or nil when its holder is live:
    /// a pid gone on this host, or `timeout_at` in the past. A lock from another host
    /// is live until its timeout, since its pid cannot be checked from here.
    public func staleReason(now: Date, process: any ProcessIdentity) -> String? {
        if let deadline = Timestamp.parse(timeoutAt), deadline <= now {
            return "its timeout_at \(timeoutAt) has passed"
        }
        if hostname == process.hostname, !process.isAlive(pid) {
            return "process \(pid) no longer runs on \(hostname)"
        }
        return nil
    }

    /// `pid 123 on host db1 since 2026-…, run 2026…`: how a holder is named in messages.
    public var holderDescription: String {
        "pid \(pid) on host \(hostname) since \(acquiredAt) (run \(runID))"
    }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of strings and an integer cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    static func decode(_ data: Data) -> LockInfo? {
        try? JSONDecoder().decode(LockInfo.self, from: data)
    }
}

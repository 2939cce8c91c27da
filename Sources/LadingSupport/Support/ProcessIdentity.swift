import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who we are and whether another process lives: the lock's staleness rule depends on
/// both, and tests must be able to say "that pid is dead" without killing anything.
public protocol ProcessIdentity: Sendable {
    var processID: Int32 { get }
    var hostname: String { get }
    /// Whether `pid` names a live process on this host.
    func isAlive(_ pid: Int32) -> Bool
}

/// The real process table.
public struct SystemProcessIdentity: ProcessIdentity {
    public init() {}

    public var processID: Int32 { getpid() }

    public var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `kill(pid, 0)`: success or EPERM (someone else's process) means alive, ESRCH gone.
    public func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }
}

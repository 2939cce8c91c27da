import Foundation
import LadingSupport
import LadingConfiguration

/// What the lock file says right now, for `status`, `force-unlock` and validation.
public enum LockState: Sendable, Equatable {
    case absent
    /// A readable lock; `staleReason` nil means its holder is live.
    case held(LockInfo, staleReason: String?)
    /// A file that is not a lading lock; `modifiedAt` decides when it counts as stale.
    case unreadable(detail: String, modifiedAt: Date?)

    public var info: LockInfo? {
        if case .held(let info, _) = self { return info }
        return nil
    }
}

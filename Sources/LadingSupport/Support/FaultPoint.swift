import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Named moments where crash tests kill the process, as `kill -9` would.
///
/// Inert unless `LADING_FAULT=name[:n]` is set; then the n-th hit (default 1) sends
/// SIGKILL to this process, so no `defer`, no signal handler and no buffered write runs.
public enum FaultPoint: String, CaseIterable, Sendable {
    /// Lock file created and truncated, JSON not yet written.
    case lockTruncated = "lock-truncated"
    /// Lock JSON written and synced, nothing else done.
    case afterLockWritten = "after-lock-written"
    /// A file registered as PENDING in the tracker.
    case afterRegister = "after-register"
    /// A file claimed (PROCESSING) in the tracker.
    case afterClaim = "after-claim"
    /// A staging checkpoint committed in the warehouse.
    case afterBatchCommit = "after-batch-commit"
    /// A small file loaded into a group's open transaction (its savepoint released),
    /// before the next file of the group or the group's commit.
    case betweenGroupFiles = "between-group-files"
    /// A batch of a file loading straight into its table (`direct_load_max_mb`) written
    /// inside the file's one transaction, before the next batch.
    case betweenDirectBatches = "between-direct-batches"
    /// Right before the final warehouse commit of a file.
    case beforeFinalCommit = "before-final-commit"
    /// Final warehouse commit done, tracker not yet updated.
    case afterFinalCommit = "after-final-commit"
    /// Tracker marked the file COMPLETED.
    case afterTrackerComplete = "after-tracker-complete"
    /// In the middle of applying an SCD2 file, inside its transaction.
    case midSCD2Apply = "mid-scd2-apply"
    /// Between a merge file's deletes and its updates, or an overwrite's delete and insert.
    case midApply = "mid-apply"
    /// A file COMPLETED, before `after_load` archives or deletes it.
    case beforeAfterLoad = "before-after-load"
    /// While rebuilding a corrupt tracker from the ledger.
    case duringTrackerRebuild = "during-tracker-rebuild"
    /// Before the lock file is removed at the end of a run.
    case beforeLockRelease = "before-lock-release"

    private static let state = FaultState()

    /// Kills the process if this point is armed and this is the configured hit.
    public func hit() {
        if FaultPoint.state.shouldFire(self) {
            kill(getpid(), SIGKILL)
            _exit(137)
        }
    }

    /// Parses `name[:n]`; nil when unset or unknown (an unknown name is a test bug,
    /// reported by `FaultPoint.validate`).
    static func parse(_ text: String?) -> (FaultPoint, Int)? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1)
        guard let point = FaultPoint(rawValue: String(parts[0])) else { return nil }
        let count = parts.count > 1 ? Int(parts[1]) ?? 1 : 1
        return (point, max(1, count))
    }

    /// An error message when `LADING_FAULT` names no known point.
    public static func validate(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        if parse(text) != nil { return nil }
        let names = FaultPoint.allCases.map(\.rawValue).joined(separator: ", ")
        return "LADING_FAULT=\(text) names no fault point; known points: \(names)"
    }
}

private final class FaultState: @unchecked Sendable {
    private let lock = NSLock()
    private let armed: (FaultPoint, Int)?
    private var hits = 0

    init() {
        armed = FaultPoint.parse(ProcessInfo.processInfo.environment["LADING_FAULT"])
    }

    func shouldFire(_ point: FaultPoint) -> Bool {
        guard let armed, armed.0 == point else { return false }
        lock.lock(); defer { lock.unlock() }
        hits += 1
        return hits == armed.1
    }
}

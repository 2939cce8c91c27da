import Foundation

/// Who else `stat`s a large folder's names beside the thread listing it.
///
/// A helper thread started at once is what a machine with cores to spare wants. On two
/// cores it is a third runnable thread: the run's own start (lock, open, the tracker's
/// first commit, reconcile) then waits for a core after every `fsync`, and a rerun with
/// nothing new is that start plus the listing. So there the helper is the thread that
/// needs the listing, once it comes to wait for it (`arrive`), or, if it came before
/// the `stat`s began, a thread started then, on the core it left idle.
public final class StatHelp: @unchecked Sendable {
    private let lock = NSLock()
    /// Claims and does the rest of the folder being listed; nil when none is.
    private var offered: (() -> Void)?
    private var waiting = false

    public init() {}

    /// Whether a helper may start at once: more than two cores.
    static let coresToSpare = ProcessInfo.processInfo.activeProcessorCount > 2

    /// The listing thread offers `work`; true when the thread that needs the listing
    /// already waits for it (the caller then starts a helper thread).
    func offer(_ work: @escaping () -> Void) -> Bool {
        lock.withLock {
            offered = work
            return waiting
        }
    }

    /// The folder is done (its last chunk claimed).
    func withdraw() {
        lock.withLock { offered = nil }
    }

    /// The thread that needs the listing, before it waits: works on the folder being
    /// `stat`ed, if any, else leaves word that it is idle.
    public func arrive() {
        let work = lock.withLock {
            waiting = true
            return offered
        }
        work?()
    }
}

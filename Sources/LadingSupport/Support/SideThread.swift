import CThreads
import Foundation

/// Work on a thread of its own, joined by `wait()`, which returns what it produced: a
/// run's config and first listing while the command line is parsed (`EarlyListing`),
/// the first table's listing while the run starts (`ListingPrefetch`), the second half
/// of a large folder's `stat`s, the warehouse's last commit and close and the report
/// beside the tracker's.
///
/// The thread begins on another core than its parent's (`lading_thread_start_elsewhere`):
/// queued behind a busy parent it would wait up to a scheduler tick, which on a rerun
/// with nothing new is a tenth of the run.
public final class SideThread<Value>: @unchecked Sendable {
    private let work: () -> Value
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    /// The thread has the process's default stack (as the main thread's, 8 MiB), so work
    /// that recurses (a deep landing tree, a config) may go as deep there as here.
    public init(_ work: @escaping () -> Value) {
        self.work = work
        let start = ThreadStart { [self] in
            value = self.work()
            done.signal()
        }
        let context = Unmanaged.passRetained(start).toOpaque()
        if lading_thread_start_elsewhere(ThreadStart.entry, context, 0) != 0 {
            // No thread to be had (a process at its limit): the work runs here.
            Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue().body()
        }
    }

    /// Blocks until the work is done; every later call returns at once.
    @discardableResult
    public func wait() -> Value {
        done.wait()
        done.signal()
        // Set before the signal that let this call through.
        guard let value else { preconditionFailure("SideThread signalled before its work returned") }
        return value
    }
}

/// What a `SideThread`'s new thread runs, outside the generic class: a C start routine
/// cannot be formed inside one.
private final class ThreadStart {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }

    static let entry: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
        guard let context else { return }
        Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue().body()
    }
}

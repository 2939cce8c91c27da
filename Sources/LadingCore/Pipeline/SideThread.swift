import Foundation

/// Work on a thread of its own, joined by `wait()`, which returns what it produced: the
/// first table's listing while the run starts (`ListingPrefetch`), the second half of a
/// large folder's `stat`s, the warehouse's last commit and close beside the tracker's.
final class SideThread<Value>: @unchecked Sendable {
    private let work: () -> Value
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    init(stackSize: Int? = nil, _ work: @escaping () -> Value) {
        self.work = work
        let thread = Thread { [self] in
            value = self.work()
            done.signal()
        }
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
    }

    /// Blocks until the work is done; every later call returns at once.
    @discardableResult
    func wait() -> Value {
        done.wait()
        done.signal()
        // Set before the signal that let this call through.
        guard let value else { preconditionFailure("SideThread signalled before its work returned") }
        return value
    }
}

import Foundation

/// Work on a thread of its own, joined by `wait()`: for independent pieces of a run
/// that each mostly wait on the disk (the two stores' last commits and closes).
final class SideThread: @unchecked Sendable {
    private let work: () -> Void
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping () -> Void) {
        self.work = work
        let thread = Thread { [self] in
            self.work()
            done.signal()
        }
        thread.start()
    }

    func wait() {
        done.wait()
        done.signal()
    }
}

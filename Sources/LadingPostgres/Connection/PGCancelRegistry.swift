import CLibPQ
import LadingSupport

/// The connections a SIGINT/SIGTERM cancels: a statement waiting for another session's
/// lock (a hand-held `LOCK TABLE`, another worker's DDL) would otherwise keep the run
/// from obeying the signal until the lock is released (SPEC §7 asks for it within a
/// second; found by an adversarial pass). The signal handler calls `PQcancel`, which
/// libpq documents as safe there; the canceled statement fails, its transaction rolls
/// back, and the run stops as for any signal.
///
/// Slots are plain pointers in memory allocated once, so the handler touches nothing
/// Swift manages. A cancel object is never freed (a handler on another thread may be
/// reading it): one per registered connection and reconnect, a few hundred bytes each.
enum PGCancelRegistry {
    static let capacity = 64
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<OpaquePointer?> = {
        let slots = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        SignalMonitor.onSignal { PGCancelRegistry.cancelAll() }
        return slots
    }()

    /// Registers the connection's current backend; returns its slot, or nil when full
    /// (the connection then simply is not canceled by a signal).
    static func register(_ handle: OpaquePointer) -> Int? {
        guard let cancel = PQgetCancel(handle) else { return nil }
        for index in 0..<capacity where slots[index] == nil {
            slots[index] = cancel
            return index
        }
        return nil
    }

    /// Points the slot at the connection's backend after a reconnect.
    static func refresh(_ slot: Int, _ handle: OpaquePointer) {
        guard let cancel = PQgetCancel(handle) else { return }
        slots[slot] = cancel
    }

    static func unregister(_ slot: Int) {
        slots[slot] = nil
    }

    /// From the signal handler: a cancel request to each registered backend. A backend
    /// that is idle ignores it.
    static func cancelAll() {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            guard let errbuf = buffer.baseAddress else { return }
            for index in 0..<capacity {
                if let cancel = slots[index] { _ = PQcancel(cancel, errbuf, 256) }
            }
        }
    }
}

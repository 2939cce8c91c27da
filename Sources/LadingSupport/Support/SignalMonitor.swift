#if canImport(Glibc)
import Glibc
#endif

/// Records SIGINT/SIGTERM so a run can finish or roll back its current batch, record
/// state and release the lock (SPEC §7), instead of dying mid-write.
public enum SignalMonitor {
    nonisolated(unsafe) private static var received: Int32 = 0
    /// Run inside the handler after the signal is recorded: only async-signal-safe work
    /// (PostgreSQL's `PQcancel` of statements that wait for a lock).
    nonisolated(unsafe) private static var hook: (@convention(c) () -> Void)?

    public static func install() {
        signal(SIGINT) { SignalMonitor.received = $0; SignalMonitor.hook?() }
        signal(SIGTERM) { SignalMonitor.received = $0; SignalMonitor.hook?() }
        // A parent may start us with these signals blocked (the mask survives exec; seen
        // with Foundation's Process): a blocked SIGTERM would never be obeyed.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Sets the handler's hook (one; a later call replaces it).
    public static func onSignal(_ body: @convention(c) () -> Void) {
        hook = body
    }

    /// The signal that arrived, if any.
    public static var pending: Int32? {
        let value = received
        return value == 0 ? nil : value
    }
}

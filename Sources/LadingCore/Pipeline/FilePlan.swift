import LadingSupport
import LadingConfiguration
import LadingStore

/// What a run will do with one discovered file, decided from discovery and the tracker.
public enum FilePlan: Sendable, Equatable {
    /// Not tracked yet: register it and load it.
    case new
    /// PENDING (or FAILED and retryable): load it.
    case load(retry: Bool)
    /// COMPLETED and unchanged.
    case completed
    /// COMPLETED but its content changed on disk: reported, never silently reloaded.
    case changed(detail: String)
    /// FAILED and not retryable (retries exhausted, or a data/configuration error).
    case failedFinal
    /// PROCESSING: owned by a run (recovery decides what to do with an orphan).
    case processing
}

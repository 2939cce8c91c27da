import LadingSupport
import LadingConfiguration

/// The closed set of tracker states (SPEC §4). Only the named transitions of
/// `Tracker` move a file between them.
public enum FileStatus: String, Sendable, Codable, CaseIterable {
    case pending = "PENDING"
    case processing = "PROCESSING"
    case completed = "COMPLETED"
    case failed = "FAILED"
}

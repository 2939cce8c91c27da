/// The error classes of SPEC §7. Retry decisions read this, never the message text.
public enum ErrorKind: String, Sendable, Codable, CaseIterable {
    case transient
    case configuration
    case data
    case system
    case unknown
}

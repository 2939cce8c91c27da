/// A landing file as discovery saw it.
public struct DiscoveredFile: Sendable, Equatable {
    /// Absolute path, as tracked (`_source_file`).
    public var path: String
    /// Path relative to the table's `source_path`, the sort key for name order.
    public var relativePath: String
    public var size: Int64
    /// ISO-8601 UTC with nanoseconds, exactly as `stat` gave it.
    public var modifiedTime: String
    public var modifiedSeconds: Double
    /// Filled only when the file had to be hashed.
    public var sha256: String?
}

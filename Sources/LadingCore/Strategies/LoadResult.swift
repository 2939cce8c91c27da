/// What loading one file did (SPEC §8 report fields).
public struct LoadResult: Sendable, Codable, Equatable {
    public var recordsRead: Int64 = 0
    public var rowsLoaded: Int64 = 0
    public var rowsQuarantined: Int64 = 0
    public var bytesRead: Int64 = 0
    /// True when the load continued from a checkpoint left by a crashed run.
    public var resumed = false
    /// SHA-256 of the bytes this load read (SPEC §4: recorded as read).
    public var contentSHA256: String?

    enum CodingKeys: String, CodingKey {
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case bytesRead = "bytes_read"
        case resumed
    }

    public init() {}
}

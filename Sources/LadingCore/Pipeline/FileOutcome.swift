import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// One file's part in a run, for the report.
public struct FileOutcome: Sendable, Codable {
    public var file: String
    /// `completed`, `failed` or `skipped` (circuit breaker or an earlier SCD2 failure).
    public var status: String
    public var recordsRead: Int64
    public var rowsLoaded: Int64
    public var rowsQuarantined: Int64
    public var bytesRead: Int64
    public var durationSeconds: Double
    public var rowsPerSecond: Double
    public var resumed: Bool
    public var errorType: String?
    public var errorMessage: String?
    /// SCD2 files: keys new, changed, unchanged and closed (SPEC §8).
    public var scd2: SCD2Counts?
    /// merge files: keys inserted, updated, unchanged and deleted (SPEC §8).
    public var merge: MergeCounts? = nil

    enum CodingKeys: String, CodingKey {
        case file, status, resumed
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case bytesRead = "bytes_read"
        case durationSeconds = "duration_seconds"
        case rowsPerSecond = "rows_per_second"
        case errorType = "error_type"
        case errorMessage = "error_message"
        case scd2, merge
    }
}

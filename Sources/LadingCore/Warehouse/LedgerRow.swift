/// One row of `_lading_loads`: what the warehouse holds of one file. Written in the
/// same transaction as the rows it describes, so it is the truth about data.
public struct LedgerRow: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case partial, complete }

    public var tableName: String
    public var sourceFile: String
    public var batchID: String
    public var contentSHA256: String?
    public var status: Status
    /// Records consumed so far (partial): a resumed load skips this many.
    public var checkpoint: Int64
    public var checkpointLine: Int64
    public var stagingTable: String?
    public var recordsRead: Int64
    public var rowsLoaded: Int64
    public var rowsQuarantined: Int64
    public var fileSize: Int64?
    public var fileModifiedTime: String?
    /// SCD2: the timestamp that opened and closed versions for this file.
    public var boundary: String?
    public var committedAt: String

    enum CodingKeys: String, CodingKey {
        case tableName = "table_name"
        case sourceFile = "source_file"
        case batchID = "batch_id"
        case contentSHA256 = "content_sha256"
        case status, checkpoint
        case checkpointLine = "checkpoint_line"
        case stagingTable = "staging_table"
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case fileSize = "file_size"
        case fileModifiedTime = "file_modified_time"
        case boundary
        case committedAt = "committed_at"
    }
}

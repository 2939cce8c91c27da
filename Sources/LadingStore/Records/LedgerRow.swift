import LadingSupport
import LadingConfiguration
import LadingReaders

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

    public init(tableName: String, sourceFile: String, batchID: String, contentSHA256: String?, status: Status, checkpoint: Int64, checkpointLine: Int64, stagingTable: String?, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64, fileSize: Int64?, fileModifiedTime: String?, boundary: String?, committedAt: String) {
        self.tableName = tableName
        self.sourceFile = sourceFile
        self.batchID = batchID
        self.contentSHA256 = contentSHA256
        self.status = status
        self.checkpoint = checkpoint
        self.checkpointLine = checkpointLine
        self.stagingTable = stagingTable
        self.recordsRead = recordsRead
        self.rowsLoaded = rowsLoaded
        self.rowsQuarantined = rowsQuarantined
        self.fileSize = fileSize
        self.fileModifiedTime = fileModifiedTime
        self.boundary = boundary
        self.committedAt = committedAt
    }
}

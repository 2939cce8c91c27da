import LadingSupport
import LadingConfiguration
import LadingReaders

/// One row of `file_processing_tracker`.
public struct FileRecord: Sendable, Equatable, Codable {
    public var tableName: String
    public var filePath: String
    public var fileSize: Int64
    public var fileModifiedTime: String
    public var contentSHA256: String?
    public var status: FileStatus
    public var processingStartTime: String?
    public var processingEndTime: String?
    public var errorMessage: String?
    public var errorType: String?
    public var retryCount: Int
    public var recordsRead: Int64
    public var rowsLoaded: Int64
    public var rowsQuarantined: Int64
    public var batchID: String?
    public var runID: String?
    /// Set when a COMPLETED file's content changed on disk after it loaded.
    public var changeDetected: String?
    public var createdAt: String
    public var updatedAt: String
    /// SPEC §4 after_load: where the file was moved once COMPLETED (`archive`), or ""
    /// when it was removed (`delete`); nil while it is where it was found.
    public var archivedPath: String? = nil

    enum CodingKeys: String, CodingKey {
        case tableName = "table_name"
        case filePath = "file_path"
        case fileSize = "file_size"
        case fileModifiedTime = "file_modified_time"
        case contentSHA256 = "content_sha256"
        case status
        case processingStartTime = "processing_start_time"
        case processingEndTime = "processing_end_time"
        case errorMessage = "error_message"
        case errorType = "error_type"
        case retryCount = "retry_count"
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case batchID = "batch_id"
        case runID = "run_id"
        case changeDetected = "change_detected"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case archivedPath = "archived_path"
    }

    public init(tableName: String, filePath: String, fileSize: Int64, fileModifiedTime: String, contentSHA256: String?, status: FileStatus, processingStartTime: String?, processingEndTime: String?, errorMessage: String?, errorType: String?, retryCount: Int, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64, batchID: String?, runID: String?, changeDetected: String?, createdAt: String, updatedAt: String, archivedPath: String? = nil) {
        self.tableName = tableName
        self.filePath = filePath
        self.fileSize = fileSize
        self.fileModifiedTime = fileModifiedTime
        self.contentSHA256 = contentSHA256
        self.status = status
        self.processingStartTime = processingStartTime
        self.processingEndTime = processingEndTime
        self.errorMessage = errorMessage
        self.errorType = errorType
        self.retryCount = retryCount
        self.recordsRead = recordsRead
        self.rowsLoaded = rowsLoaded
        self.rowsQuarantined = rowsQuarantined
        self.batchID = batchID
        self.runID = runID
        self.changeDetected = changeDetected
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.archivedPath = archivedPath
    }
}

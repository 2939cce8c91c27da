import LadingSupport
import LadingConfiguration

/// One row of `runs`: what a run did, for `status`, `history` and `monitor`.
public struct RunRecord: Sendable, Equatable, Codable {
    /// `running` while the run holds the lock; then `success`, `partial` or `failed`.
    public var runID: String
    public var startedAt: String
    public var finishedAt: String?
    public var status: String
    public var pid: Int32
    public var hostname: String
    public var filesDiscovered: Int
    public var filesLoaded: Int
    public var filesFailed: Int
    public var rowsLoaded: Int64
    public var rowsQuarantined: Int64
    public var errorMessage: String?

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case status, pid, hostname
        case filesDiscovered = "files_discovered"
        case filesLoaded = "files_loaded"
        case filesFailed = "files_failed"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case errorMessage = "error_message"
    }

    public init(runID: String, startedAt: String, finishedAt: String?, status: String, pid: Int32, hostname: String, filesDiscovered: Int, filesLoaded: Int, filesFailed: Int, rowsLoaded: Int64, rowsQuarantined: Int64, errorMessage: String?) {
        self.runID = runID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.pid = pid
        self.hostname = hostname
        self.filesDiscovered = filesDiscovered
        self.filesLoaded = filesLoaded
        self.filesFailed = filesFailed
        self.rowsLoaded = rowsLoaded
        self.rowsQuarantined = rowsQuarantined
        self.errorMessage = errorMessage
    }
}

import LadingSupport
import LadingConfiguration
import LadingReaders

/// One file a run touched, as `history --json` shows it (SPEC §8).
public struct RunFile: Sendable, Codable, Equatable {
    public var table: String
    public var file: String
    public var status: String
    public var recordsRead: Int64
    public var rowsLoaded: Int64
    public var rowsQuarantined: Int64
    public var errorType: String?
    public var errorMessage: String?
    /// SCD2 files: keys new, changed, unchanged and closed.
    public var scd2: SCD2Counts?

    public init(table: String, file: String, status: String, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64,
                errorType: String?, errorMessage: String?, scd2: SCD2Counts?) {
        self.table = table
        self.file = file
        self.status = status
        self.recordsRead = recordsRead
        self.rowsLoaded = rowsLoaded
        self.rowsQuarantined = rowsQuarantined
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.scd2 = scd2
    }

    enum CodingKeys: String, CodingKey {
        case table, file, status, scd2
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case errorType = "error_type"
        case errorMessage = "error_message"
    }
}

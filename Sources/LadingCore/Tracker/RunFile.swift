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

    enum CodingKeys: String, CodingKey {
        case table, file, status, scd2
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case errorType = "error_type"
        case errorMessage = "error_message"
    }
}

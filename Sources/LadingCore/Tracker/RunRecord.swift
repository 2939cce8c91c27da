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
}

extension RunRecord {
    /// A row of `runs` (tracker) or `_lading_runs` (warehouse), columns in `runColumns` order.
    init(row: [SQLValue]) {
        self.init(runID: row[0].textValue ?? "", startedAt: row[1].textValue ?? "", finishedAt: row[2].textValue,
                  status: row[3].textValue ?? "", pid: Int32(row[4].integerValue ?? 0), hostname: row[5].textValue ?? "",
                  filesDiscovered: Int(row[6].integerValue ?? 0), filesLoaded: Int(row[7].integerValue ?? 0),
                  filesFailed: Int(row[8].integerValue ?? 0), rowsLoaded: row[9].integerValue ?? 0,
                  rowsQuarantined: row[10].integerValue ?? 0, errorMessage: row[11].textValue)
    }
}

import LadingStore

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

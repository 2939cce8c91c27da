/// The warehouse as the pipeline's bookkeeping sees it: the load ledger, the
/// quarantine, target tables as whole objects, and transactions.
///
/// Reconciling, tracker rebuilds and resets work through this protocol only, so a
/// second implementation (PostgreSQL) serves them unchanged. The strategies' bulk
/// paths (staging copies, the set-based SCD2 statements) still run on
/// `SQLiteWarehouse`; they move behind methods here when that implementation comes.
public protocol Warehouse: AnyObject {
    var path: String { get }

    func ledgerRows(table: String?) throws -> [LedgerRow]
    func ledgerRow(table: String, file: String) throws -> LedgerRow?
    /// Turns a ledger row into the reload marker (`partial`, checkpoint 0, no staging),
    /// dropping its staging table; its quarantine rows go when the reload commits.
    func markForReload(table: String, file: String) throws
    func deleteLedger(table: String, file: String) throws

    func tableExists(_ table: String) throws -> Bool
    func dropTable(_ name: String) throws
    /// Staging tables no partial ledger row refers to.
    func orphanStagingTables() throws -> [String]
    /// Deletes the rows one file loaded into a table (all rows when `file` is nil); returns how many.
    func deleteRows(in table: String, file: String?) throws -> Int

    func deleteQuarantine(table: String, file: String) throws
    /// Rows one file contributed to a table.
    func rowCount(in table: String, file: String) throws -> Int64
    /// A reload marker for a file with rows in the table but no ledger row, so the
    /// next load of the file replaces those rows in its own commit.
    func writeReloadMarker(table: String, file: String) throws

    /// A copy of each finished run, so history survives a rebuilt tracker (SPEC §4).
    func recordRun(_ run: RunRecord) throws
    func runRecords() throws -> [RunRecord]

    func transaction<T>(_ body: () throws -> T) throws -> T
    /// `nil` when the database passes its integrity check, else the problems found.
    /// `quick` trades the index-versus-table cross-check for speed (every run does it).
    func integrityProblems(quick: Bool) throws -> [String]?
}

extension Warehouse {
    public func ledgerRows() throws -> [LedgerRow] { try ledgerRows(table: nil) }
}

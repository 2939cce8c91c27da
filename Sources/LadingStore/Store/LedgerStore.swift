import LadingSupport
import LadingConfiguration
import LadingReaders

/// The warehouse's bookkeeping: the load ledger, rows per file, tables as whole
/// objects, runs and transactions. Reconciling, resets and tracker rebuilds need no
/// more than this, so they are tested against a small in-memory double too.
public protocol LedgerStore: AnyObject {
    /// Where the warehouse is, for messages: a path, or a database with its host (never
    /// a password).
    var location: String { get }

    func ledgerRows(table: String?) throws -> [LedgerRow]
    /// Per table, the files with a `complete` row: keys only, so a run's reconcile over
    /// thousands of loaded files costs a scan of one index, not a record per file. Paths
    /// as stored: two that differ only in Unicode normalisation are two files (compare
    /// their UTF-8, not as Swift strings, which would take them for one).
    func completeFiles() throws -> [String: [String]]
    func ledgerRow(table: String, file: String) throws -> LedgerRow?
    func writeLedger(_ row: LedgerRow) throws
    /// Turns a ledger row into the reload marker (`partial`, checkpoint 0, no staging),
    /// dropping its staging table; its quarantine rows go when the reload commits.
    func markForReload(table: String, file: String) throws
    func deleteLedger(table: String, file: String) throws
    /// A reload marker for a file with rows in the table but no ledger row, so the
    /// next load of the file replaces those rows in its own commit.
    func writeReloadMarker(table: String, file: String) throws

    func tableExists(_ table: String) throws -> Bool
    func dropTable(_ name: String) throws
    /// Staging tables no partial ledger row refers to.
    func orphanStagingTables() throws -> [String]
    /// Deletes the rows one file loaded into a table (all rows when `file` is nil); returns how many.
    func deleteRows(in table: String, file: String?) throws -> Int
    /// Rows one file contributed to a table.
    func rowCount(in table: String, file: String) throws -> Int64
    /// Every quarantine row of a file (a load keeps one set per file).
    func deleteQuarantine(table: String, file: String) throws

    /// A copy of each finished run, so history survives a rebuilt tracker (SPEC §4).
    func recordRun(_ run: RunRecord) throws
    func runRecords() throws -> [RunRecord]

    func transaction<T>(_ body: () throws -> T) throws -> T
    /// Ends the connection now rather than when the last reference goes: a run closes
    /// its stores before it releases the lock (SQLite then leaves the integrity stamp of
    /// files no other process can be writing). Nothing may use the store after it.
    func close()
    /// `nil` when the database passes its integrity check, else the problems found.
    /// `quick` trades thoroughness for speed (every run does it): SQLite's
    /// `quick_check`, skipped when the file is exactly as lading's last clean close left
    /// it (no write since, by anything: SQLite's `IntegrityTrust`).
    func integrityProblems(quick: Bool) throws -> [String]?
}

extension LedgerStore {
    public func close() {}

    public func ledgerRows() throws -> [LedgerRow] { try ledgerRows(table: nil) }

    public func completeFiles() throws -> [String: [String]] {
        var files: [String: [String]] = [:]
        for row in try ledgerRows() where row.status == .complete { files[row.tableName, default: []].append(row.sourceFile) }
        return files
    }
}

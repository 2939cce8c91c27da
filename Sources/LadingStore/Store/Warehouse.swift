import LadingSupport
import LadingConfiguration
import LadingReaders

/// The warehouse as lading's pipeline, strategies and recovery commands see it: the
/// bookkeeping of `LedgerStore`, the column catalog, and the bulk and set-based
/// operations a strategy needs, each named for what it means rather than written as SQL.
///
/// Everything above the backends speaks only this protocol, so SQLite and PostgreSQL
/// implement the same guarantees behind one seam, and each backend owns all of its SQL
/// (its connection is private to it). Methods run inside the caller's `transaction`
/// when there is one; each one alone is atomic.
public protocol Warehouse: LedgerStore {
    /// `quarantine reprocess` loaded `count` once-bad records: they move from
    /// quarantined to loaded in the file's ledger row.
    func moveQuarantinedToLoaded(table: String, file: String, count: Int) throws

    // MARK: Tables and the column catalog

    /// Column names the database keeps for itself (PostgreSQL's `xmin`, `ctid`, ...): a
    /// file column of that name is renamed like one named after an audit column.
    var reservedColumnNames: [String] { get }

    /// Column names and lading types of a target table, in order (empty when unknown).
    func columns(of table: String) throws -> [TableConfig.Column]
    /// Creates the target table, or adds the given new columns to it (NULL in earlier
    /// rows). With `scd2`, the validity columns and the unique index on the keys of
    /// current versions exist afterwards (I4 held by the database itself).
    func ensureTable(_ table: String, columns: [TableConfig.Column], scd2: SCD2Layout?) throws
    /// Widens columns (SPEC §3), every value rendered in its new type; returns the
    /// catalog's types before the change (lower-cased names).
    @discardableResult
    func widen(_ table: String, to wider: [TableConfig.Column]) throws -> [String: ColumnType]

    // MARK: Rows

    /// Every row of a table.
    func rowCount(of table: String) throws -> Int
    /// Rows per `_source_file` (I1 against the ledger).
    func rowCountsBySourceFile(in table: String) throws -> [String: Int64]
    /// One file's rows: how many, from how many load batches, and the first batch id.
    func batchSummary(in table: String, file: String) throws -> (rows: Int64, batches: Int, firstBatch: String?)

    // MARK: Loading (append)

    /// An empty table with the target's columns (not its audit values), for checkpoints.
    /// It survives a restart of the database: checkpoints point at it.
    func createStaging(_ name: String, like table: String) throws
    /// Adds columns to a staging table (the catalog describes target tables only).
    func addColumns(_ columns: [TableConfig.Column], to staging: String) throws
    /// Writes a batch's rows; `audit` appends the audit columns' values to every row.
    func insert(_ batch: RecordBatch, into table: String, columns: [String], audit: AuditValues?) throws
    /// Moves every staged row into the target with the audit values; returns how many.
    func moveStaged(_ staging: String, into table: String, audit: AuditValues) throws -> Int

    // MARK: Merge

    /// A stage for one merge file, inside the caller's transaction: a temporary table,
    /// or with `persistentName` a table that survives the transaction (a large file's
    /// checkpoints; opened again, as it is, to resume).
    func makeMergeStage(for table: String, keys: [String], columns: [TableConfig.Column], persistentName: String?) throws -> any MergeStage
    /// A merge table's unique index on its keys (`_lading_keys_<table>`): it keeps keys
    /// unique in the database and makes the apply's lookups indexed.
    func ensureKeyIndex(on table: String, keys: [String]) throws
    /// Keys held by more than one row (a merge table's keys are unique): up to `limit`
    /// examples with their row counts, and the total.
    func duplicateKeys(in table: String, keys: [String], limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int)

    // MARK: SCD2

    /// A stage for one SCD2 file, inside the caller's transaction.
    func makeSCD2Stage(for table: String, layout: SCD2Layout, columns: [TableConfig.Column]) throws -> any SCD2Stage
    /// Keys with more than one current version: up to `limit` examples, and the total.
    func keysWithSeveralCurrentVersions(in table: String, layout: SCD2Layout, limit: Int) throws -> (examples: [(key: [String?], versions: Int)], total: Int)
    /// Keys whose versions overlap (sorted by start, one ends after the next starts):
    /// the first overlap of up to `limit` keys, and the total.
    func keysWithOverlappingVersions(in table: String, layout: SCD2Layout, limit: Int) throws -> (examples: [(key: [String?], start: String?, nextStart: String?)], total: Int)

    // MARK: Replays (a table rebuilt aside, then swapped in)

    /// Drops a table and every ledger, quarantine and catalog row under its name.
    func forgetTable(_ name: String) throws
    /// Copies a table's column catalog to another name, with some types replaced.
    func copyColumnCatalog(from table: String, to other: String, overriding: [TableConfig.Column]) throws
    /// The shadow becomes the table: the old table and its bookkeeping rows go, the
    /// shadow's take its name.
    /// `keys`: a merge table's unique key index, made again under the table's name.
    func swapIn(_ shadow: String, as table: String, scd2: SCD2Layout?, keys: [String]?) throws

    // MARK: Quarantine

    func quarantine(_ bad: BadRecord, table: String, file: String, batchID: String, at stamp: String) throws
    /// Rows matching optional filters, oldest first; reprocessed ones unless `pendingOnly`.
    func quarantinedRecords(table: String?, file: String?, pendingOnly: Bool) throws -> [QuarantinedRecord]
    func updateQuarantined(id: Int64, errorType: String, message: String) throws
    func markReprocessed(id: Int64, at stamp: String) throws
}

/// A warehouse opened inside one transaction that is never committed (`plan`).
public protocol ScratchWarehouse: Warehouse {
    /// Rolls back everything done through this warehouse and closes it.
    func discard()
}

extension Warehouse {
    public func makeMergeStage(for table: String, keys: [String], columns: [TableConfig.Column]) throws -> any MergeStage {
        try makeMergeStage(for: table, keys: keys, columns: columns, persistentName: nil)
    }
}

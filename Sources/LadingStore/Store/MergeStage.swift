import LadingSupport
import LadingConfiguration
import LadingReaders

/// One merge file on its way into a table (SPEC §5, merge): its rows staged with their
/// line numbers, checked, then applied set-based inside the caller's transaction.
///
/// The strategy decides (the delete guard, which keys count as present); the stage owns
/// the statements, so each backend writes them in its own dialect.
public protocol MergeStage: AnyObject {
    /// Columns a later record of the file introduced.
    func addColumns(_ columns: [TableConfig.Column]) throws
    /// Stages a batch's rows with their physical line numbers. `presentOnly`: rows that
    /// only say their key is in the snapshot (a quarantined record whose key columns
    /// could be read), never written to the table.
    func insert(_ batch: RecordBatch, width: Int, presentOnly: Bool) throws
    /// Called once every row is staged, before the checks.
    func finishStaging() throws
    /// Two applying rows with the same key, if any: the key and both lines.
    func firstDuplicateKey() throws -> (key: [String?], firstLine: Int, secondLine: Int)?
    /// Deletes the table's rows whose key the file lacks; returns how many it deleted and
    /// how many keys the table had before.
    func deleteMissingKeys() throws -> (deleted: Int, keysBefore: Int)
    /// Updates, in place, rows whose key is staged and whose `columns` differ (NULL-safe),
    /// with the audit values of this file; returns how many.
    func updateChanged(columns: [String], audit: AuditValues) throws -> Int
    /// Inserts the staged rows whose key the table lacks; returns how many.
    func insertNew(columns: [String], audit: AuditValues) throws -> Int
    func drop() throws
}

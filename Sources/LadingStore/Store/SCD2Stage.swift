import LadingSupport
import LadingConfiguration
import LadingReaders

/// One SCD2 file on its way into a table (SPEC §5, I4): its rows staged with their
/// line numbers, checked, then applied set-based, all inside the caller's transaction.
///
/// The strategy decides (which columns are tracked, what is late, the delete guard);
/// the stage owns the statements, so each backend writes them in its own dialect.
public protocol SCD2Stage: AnyObject {
    /// Columns a later record of the file introduced.
    func addColumns(_ columns: [TableConfig.Column]) throws
    /// Stages a batch's rows with their physical line numbers.
    func insert(_ batch: RecordBatch, width: Int) throws
    /// Called once every row is staged, before the checks.
    func finishStaging() throws
    /// Two rows with the same key, if any: the key and both lines.
    func firstDuplicateKey() throws -> (key: [String?], firstLine: Int, secondLine: Int)?
    /// Lines whose `column` (the scd2_effective_from column) is NULL.
    func linesWithoutStart(column: String) throws -> [Int]
    /// Lines that would start a version no later than their key's current version
    /// while changing a tracked column, with both starts as text.
    func lateLines(column: String, tracking: [String]) throws -> [(line: Int, start: String?, currentStart: String?)]
    /// Leaves rows out of the apply (late rows), while their keys still count as present.
    func skip(lines: [Int]) throws
    /// The latest start among rows that apply, as text.
    func latestStart(column: String) throws -> String?
    /// Closes current versions whose key the file lacks at `boundary`; returns how
    /// many it closed and how many current versions there were before.
    func closeMissingKeys(at boundary: String) throws -> (closed: Int, currentBefore: Int)
    /// Closes current versions whose tracked columns changed (NULL-safe), at the new
    /// version's start: `startColumn`'s value, or `boundary` when nil. Returns how many.
    func closeChangedVersions(tracking: [String], startColumn: String?, boundary: String) throws -> Int
    /// Inserts a current version for every applying key without one, in file order;
    /// returns how many.
    func insertNewVersions(columns: [String], audit: AuditValues, startColumn: String?, boundary: String) throws -> Int
    func drop() throws
}

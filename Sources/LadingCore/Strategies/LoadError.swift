#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Why a file's load failed, beyond reader and SQLite errors.
public enum LoadError: LadingError {
    /// `wholeFile`: false when reading stopped early (a ratio of 0 allows no bad record).
    case tooManyBadRecords(file: String, bad: Int, read: Int, allowed: Double, examples: [String], wholeFile: Bool)
    /// `changes`: "new column b", "a widened to real".
    case schemaChanged(file: String, table: String, changes: [String])
    /// `kind`: "an SCD2" or "a merge", for the message.
    case duplicateKey(file: String, key: String, firstLine: Int, secondLine: Int, kind: String = "an SCD2")
    case missingKeyColumn(file: String, column: String)
    case tooManyDeletes(file: String, closing: Int, current: Int, allowed: Double)
    /// merge with `merge_deletes: delete`: the snapshot would delete too many keys.
    case tooManyMergeDeletes(file: String, deleting: Int, keys: Int, allowed: Double)
    /// overwrite: a file with no records would empty the table.
    case emptyExtract(file: String, table: String)
    case interrupted(signal: Int32)
    /// An ordered table's file that sorts before (or, by its SCD2 boundary, starts
    /// before) the last file already applied, with `late_files: fail`.
    case lateFile(file: String, table: String, lastApplied: String)
    /// An SCD2 file needs wider column types: the table is replayed with them instead of
    /// converted in place (caught by the loader, never shown to a user).
    case widenByReplay(columns: [TableConfig.Column])
    /// A replay with `file` in its place failed while applying another file, `at`.
    case replayFailed(file: String, table: String, at: String, reason: String)
    /// A replay needs every applied file of its table, and some are gone from disk.
    case replayImpossible(file: String, table: String, missing: [String])
    /// Staging held another number of rows than its checkpoints counted: never committed.
    case stagingMismatch(file: String, staged: Int64, expected: Int64)
    /// The file's bytes changed between the checkpoints a load resumed from and its end.
    case changedWhileLoading(file: String)

    public var message: String {
        switch self {
        case .tooManyBadRecords(let file, let bad, let read, let allowed, let examples, let wholeFile):
            let counts = wholeFile ? "\(bad) of its \(read) records are bad, above max_bad_record_ratio \(allowed)"
                : "\(bad) bad record(s) in its first \(read) records, and max_bad_record_ratio \(allowed) allows none (reading stopped there)"
            return "\(file): \(counts); nothing of the file was loaded. First problems: \(examples.joined(separator: "; "))"
        case .schemaChanged(let file, let table, let changes):
            return "\(file) needs schema changes to table '\(table)' (\(changes.joined(separator: ", "))) and schema_evolution is 'fail'; change the table or declare the columns, or set schema_evolution: add_columns"
        case .duplicateKey(let file, let key, let first, let second, let kind):
            return "\(file): the key \(key) appears twice (lines \(first) and \(second)); \(kind) file must have one row per key, nothing of it was applied"
        case .missingKeyColumn(let file, let column):
            return "\(file) has no column '\(column)', which is a primary key or tracking column of its table"
        case .tooManyDeletes(let file, let closing, let current, let allowed):
            return "\(file) would close \(closing) of \(current) current keys as deleted, above max_delete_ratio \(allowed); an empty or truncated snapshot must not wipe a dimension. Nothing was applied; raise max_delete_ratio (1.0 allows it) if this is intended"
        case .tooManyMergeDeletes(let file, let deleting, let keys, let allowed):
            return "\(file) would delete \(deleting) of the table's \(keys) keys (merge_deletes: delete), above max_delete_ratio \(allowed); an empty or truncated snapshot must not wipe a table. Nothing was applied; raise max_delete_ratio (1.0 allows it) if this is intended"
        case .emptyExtract(let file, let table):
            return "\(file) has no records, and applying it would empty table '\(table)' (loading_strategy: overwrite); an empty extract must not wipe a table. Nothing was applied; set max_delete_ratio: 1.0 on the table if an empty extract is intended"
        case .changedWhileLoading(let file):
            return "\(file) changed while it was being loaded (its bytes differ from those its checkpoints were read from); nothing was committed, its staged rows were dropped, and it loads again from its first record"
        case .lateFile(let file, let table, let last):
            return "\(file) is late: it sorts before \(last), which table '\(table)' already applied, and its history only moves forward. Nothing was applied; set late_files: replay on the table to rebuild the history with this file in its place (then 'lading reset-state --failed-only --yes'), or move the file away"
        case .widenByReplay(let columns):
            return "the table is replayed to widen \(columns.map(\.name).joined(separator: ", "))"
        case .replayFailed(let file, let table, let at, let reason):
            return "\(file): table '\(table)' was replayed to apply this file in its place, and the replay failed at \(at), an earlier applied file: \(reason). Nothing was changed; the table is as it was. This file is the cause only by arriving late; move it away, or fix what the message names and 'lading reset-state --failed-only --yes'"
        case .replayImpossible(let file, let table, let missing):
            return "\(file): table '\(table)' must be replayed to apply it (it is late, or the table was dropped), but these applied files are no longer on disk: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : ""). Nothing was changed; put them back, then 'lading reset-state --failed-only --yes'"
        case .stagingMismatch(let file, let staged, let expected):
            return "\(file): staging held \(staged) rows where its checkpoints count \(expected); nothing was committed, the staged rows were dropped and the file loads again from its first record"
        case .interrupted(let signal):
            return "interrupted by signal \(signal); the current batch was rolled back and the file will be resumed or retried by the next run"
        }
    }

    public var exitStatus: ExitStatus {
        if case .interrupted(let signal) = self { return signal == SIGTERM ? .terminated : .interrupted }
        return .completedWithFailures
    }

    public var kind: ErrorKind {
        switch self {
        case .tooManyBadRecords, .duplicateKey, .missingKeyColumn, .tooManyDeletes, .tooManyMergeDeletes, .emptyExtract, .lateFile,
             .replayImpossible, .replayFailed: return .data
        case .schemaChanged: return .configuration
        case .interrupted, .stagingMismatch, .changedWhileLoading: return .transient
        case .widenByReplay: return .unknown
        }
    }
}

extension LoadError {
    /// Errors after which a staged load must start over, not resume.
    var discardsStaging: Bool {
        switch self {
        case .stagingMismatch, .changedWhileLoading: return true
        default: return false
        }
    }
}

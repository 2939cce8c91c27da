import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Why a recovery command refused to act. Each message says what to do instead.
public enum RecoveryError: LadingError {
    /// An SCD2 table is rebuilt by replaying its files; some are gone from disk.
    case cannotReplay(table: String, missing: [String])
    case notTracked(file: String)
    /// A file whose rows would be replaced is gone from its path: its rows stay.
    case fileGone(table: String, file: String)

    public var message: String {
        switch self {
        case .cannotReplay(let table, let missing):
            let shown = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", … (\(missing.count) in all)" : "")
            return "table '\(table)' is rebuilt by replaying all its applied files in order, but these are no longer on disk: \(shown). Nothing was changed; restore the files to their tracked paths first"
        case .fileGone(let table, let file):
            return "'\(file)' of table '\(table)' is no longer at its tracked path, so its rows could not be loaded again: nothing was changed and its rows stay. Put the file back at that path and reset it again"
        case .notTracked(let file):
            return "'\(file)' is not tracked by any selected table (give the path as 'lading status --json' shows it, or relative to the config file)"
        }
    }

    public var exitStatus: ExitStatus { .completedWithFailures }
    public var kind: ErrorKind { .configuration }
}

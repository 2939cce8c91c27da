import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Why `lading init` wrote nothing. Each message names the path, because the person
/// reading it has just typed that path.
public enum InitError: LadingError {
    /// The output file is there already: init never overwrites (a hand-edited config
    /// is worth more than a generated one). Exit 78, a configuration error, as SPEC §2
    /// gives for everything about the config file itself.
    case outputExists(path: String)
    /// A `--source` folder that is missing or not a folder: the command line cannot be acted on (64).
    case sourceUnavailable(path: String, reason: String)
    /// No file under any `--source` has an extension lading reads (64).
    case nothingFound(sources: [String])

    public var message: String {
        switch self {
        case .outputExists(let path):
            return "\(path) already exists; lading init never overwrites a file: move it away or pass --output PATH"
        case .sourceUnavailable(let path, let reason):
            return "--source \(path) \(reason)"
        case .nothingFound(let sources):
            return "found no .csv, .tsv, .tab, .jsonl or .ndjson files (optionally .gz) under \(sources.joined(separator: ", ")); nothing written"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .outputExists: return .configuration
        case .sourceUnavailable, .nothingFound: return .usage
        }
    }

    public var kind: ErrorKind { .configuration }
}

#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Problems reading the landing folders.
public enum DiscoveryError: LadingError {
    case unreadable(path: String, errno: Int32)
    /// A table's landing folder is missing or cannot be listed: that table fails for
    /// the run, the others load (SPEC §4).
    case sourceUnavailable(table: String, path: String, reason: String)

    public var message: String {
        switch self {
        case .unreadable(let path, let code):
            return "cannot read \(path): \(String(cString: strerror(code)))"
        case .sourceUnavailable(let table, let path, let reason):
            return "table '\(table)': its source folder \(path) \(reason); nothing of this table was loaded this run (the other tables were). Fix the folder or source_path; the next run loads it"
        }
    }

    public var exitStatus: ExitStatus {
        if case .sourceUnavailable = self { return .completedWithFailures }
        return .internalError
    }

    public var kind: ErrorKind {
        switch self {
        case .unreadable(_, let code):
            return code == EINTR || code == EAGAIN || code == ENOENT ? .transient : .system
        case .sourceUnavailable:
            return .system
        }
    }
}

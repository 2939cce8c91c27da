#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration

/// A problem that ends the reading of a whole file (unlike a bad record, which is one
/// record's problem and goes to quarantine).
public enum ReaderError: LadingError {
    case cannotOpen(path: String, errno: Int32)
    case readFailed(path: String, errno: Int32)
    case notGzip(path: String, detail: String)
    case truncatedGzip(path: String)
    case corruptGzip(path: String, detail: String)
    case badHeader(path: String, detail: String)
    case unknownFormat(path: String)

    public var message: String {
        switch self {
        case .cannotOpen(let path, let code): return "cannot open \(path): \(String(cString: strerror(code)))"
        case .readFailed(let path, let code): return "cannot read \(path): \(String(cString: strerror(code)))"
        case .notGzip(let path, let detail): return "\(path) ends in .gz but is not gzip data (\(detail)); nothing of it was loaded"
        case .truncatedGzip(let path): return "\(path) is a truncated gzip stream (it ends before the end of the compressed data); nothing of it was loaded: re-deliver the complete file"
        case .corruptGzip(let path, let detail): return "\(path) is corrupt gzip data (\(detail)); nothing of it was loaded: re-deliver the file"
        case .badHeader(let path, let detail): return "\(path): the header line cannot be used (\(detail))"
        case .unknownFormat(let path): return "cannot tell the format of \(path) from its extension (.csv, .tsv, .jsonl, .ndjson, optionally .gz); set 'format' for its table"
        }
    }

    public var exitStatus: ExitStatus { .completedWithFailures }

    public var kind: ErrorKind {
        switch self {
        case .cannotOpen(_, let code), .readFailed(_, let code):
            return code == ENOENT || code == EAGAIN || code == EINTR ? .transient : .system
        case .notGzip, .truncatedGzip, .corruptGzip, .badHeader: return .data
        case .unknownFormat: return .configuration
        }
    }
}

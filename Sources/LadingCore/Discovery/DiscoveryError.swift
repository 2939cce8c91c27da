#if canImport(Glibc)
import Glibc
#endif

/// Problems reading the landing folders.
public enum DiscoveryError: LadingError {
    case unreadable(path: String, errno: Int32)

    public var message: String {
        switch self {
        case .unreadable(let path, let code):
            return "cannot read \(path): \(String(cString: strerror(code)))"
        }
    }

    public var exitStatus: ExitStatus { .internalError }

    public var kind: ErrorKind {
        switch self {
        case .unreadable(_, let code):
            return code == EINTR || code == EAGAIN || code == ENOENT ? .transient : .system
        }
    }
}

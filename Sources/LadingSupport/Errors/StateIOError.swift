/// A file or folder of lading's own state (state folder, report, metrics, warehouse
/// folder) could not be written: disk full, read-only, permission (SPEC §2: exit 74).
public struct StateIOError: LadingError {
    public let path: String
    public let detail: String

    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }

    public var message: String { "cannot write \(path): \(detail); free space or fix the permissions, then run again (nothing was half-written)" }
    public var exitStatus: ExitStatus { .ioError }
    public var kind: ErrorKind { .system }
}

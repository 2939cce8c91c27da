/// A command line that is well-formed for the parser but cannot be acted on
/// (for example `force-unlock` without a terminal and without `--yes`).
public struct UsageError: LadingError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var exitStatus: ExitStatus { .usage }
    public var kind: ErrorKind { .configuration }
}

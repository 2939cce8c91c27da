/// A broken assumption of lading itself (exit 70). Input never causes one of these.
public struct InternalError: LadingError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var exitStatus: ExitStatus { .internalError }
    public var kind: ErrorKind { .unknown }
}

/// A system library lading loads on first use (libcrypto to hash a file) is missing or
/// lacks a function. Nothing a file did: every later file would meet it too, so a run
/// stops (exit 70) and leaves the file as it was, its attempt not counted, to load
/// once the library is installed.
public struct LibraryUnavailableError: LadingError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var exitStatus: ExitStatus { .internalError }
    public var kind: ErrorKind { .system }
    public var stopsTheRun: Bool { true }
}

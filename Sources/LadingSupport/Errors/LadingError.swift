/// Every error lading raises on purpose. The exit code and the words a person reads
/// are decided where the failure happens, so the executable only has to print them.
public protocol LadingError: Error, CustomStringConvertible {
    /// The process exit code this error leads to when it ends a command.
    var exitStatus: ExitStatus { get }
    /// A message a person can act on: what went wrong, where, and what to do.
    var message: String { get }
    /// The class that drives the retry matrix.
    var kind: ErrorKind { get }
    var isCorruption: Bool { get }
    /// True when the storage under a database failed (full disk, read-only, I/O): every
    /// later write would meet it too, so the run stops (exit 74).
    var isIOFailure: Bool { get }
    /// True when the warehouse's server could not be reached at all (a connection
    /// refused or timed out), as opposed to a failure once connected.
    var isUnreachable: Bool { get }
    /// True when no file is to blame and every later one would fail the same way (a
    /// full disk, a damaged database, a missing library): a load that meets it leaves
    /// its file as it was, attempt not counted, and stops the run.
    var stopsTheRun: Bool { get }
}

extension LadingError {
    public var description: String { message }
    /// True when the database file itself is damaged (not a database, malformed): a
    /// tracker is then rebuilt from the ledger instead of failing the command.
    public var isCorruption: Bool { false }
    public var isIOFailure: Bool { false }
    public var isUnreachable: Bool { false }
    public var stopsTheRun: Bool { isIOFailure || isCorruption }
}

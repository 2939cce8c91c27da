/// Every failure of the PostgreSQL connection layer, typed so the caller decides retry
/// and exit status from `kind` and never from the text (SPEC §7, §9).
///
/// No case carries a password: no case holds a DSN, libpq's complaints about one are
/// scrubbed of it, and targets hold host, port, database and user only.
package enum PGError: Error, CustomStringConvertible {
    /// The connection string cannot be used: libpq cannot parse it, or a `${` is
    /// malformed. The DSN itself is left out: masking can only guess where the
    /// password of a malformed one ends.
    case invalidDSN(reason: String)
    /// A `${NAME}` in the DSN names no environment variable.
    case undefinedVariable(name: String)
    /// Connecting failed; `kind` tells a refused password from an unreachable server.
    case connectionFailed(target: PGTarget, kind: PGErrorKind, reason: String)
    /// A statement or COPY failed.
    case statementFailed(PGStatementFailure)
    /// A value PostgreSQL text cannot hold (a NUL character): the data's fault.
    case unsendableValue(reason: String)
    /// The connection was used after `close()`, or while a COPY holds it: our bug.
    case misuse(target: PGTarget, reason: String)

    package var category: PGErrorKind {
        switch self {
        case .invalidDSN, .undefinedVariable: return .configuration
        case .connectionFailed(_, let kind, _): return kind
        case .statementFailed(let failure): return failure.kind
        case .unsendableValue: return .data
        case .misuse: return .unknown
        }
    }

    package var sqlState: String? {
        if case .statementFailed(let failure) = self { return failure.sqlState }
        return nil
    }

    package var description: String {
        switch self {
        case .invalidDSN(let reason):
            return "invalid PostgreSQL connection string: \(reason)"
        case .undefinedVariable(let name):
            return "the PostgreSQL connection string uses ${\(name)}, but the environment variable \(name) is not set"
        case .connectionFailed(let target, _, let reason):
            return "cannot connect to PostgreSQL \(target): \(reason)"
        case .statementFailed(let failure):
            return failure.description
        case .unsendableValue(let reason):
            return reason
        case .misuse(let target, let reason):
            return "PostgreSQL connection to \(target): \(reason)"
        }
    }
}

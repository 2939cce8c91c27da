/// The error classes of SPEC §7 for PostgreSQL failures. Retry decisions read this,
/// never the message text, so the text matching happens once, here.
///
/// `unknown` is SPEC §7's fifth class: a SQLSTATE this table does not name (a syntax
/// error, a missing table) is most likely our own bug, and the retry matrix treats
/// it by its default rather than as the server's fault.
package enum PGErrorKind: String, Sendable, CaseIterable {
    case transient
    case configuration
    case data
    case system
    case unknown

    /// The class of an error the server reported with a SQLSTATE.
    ///
    /// Connection exceptions, shutdowns, serialization failures, deadlocks and lock
    /// timeouts pass with time; privileges, a missing database or schema and refused
    /// authorization need a person; data exceptions and integrity violations are the
    /// file's; resources, the operating system and internal errors are the server's.
    package init(sqlState: String) {
        switch sqlState {
        case "57P01", "57P02", "57P03", "40001", "40P01", "55P03": self = .transient
        case "42501", "3D000", "3F000": self = .configuration
        // 25006: a read-only database or a hot standby; 54000: a row or a statement
        // above the server's limits (a file too wide): the data's fault.
        case "25006": self = .system
        case "54000": self = .data
        default:
            switch sqlState.prefix(2) {
            case "08": self = .transient
            case "28": self = .configuration
            case "22", "23": self = .data
            case "53", "58", "XX": self = .system
            default: self = .unknown
            }
        }
    }

    /// The class of a failure to connect, from libpq's message (connection failures
    /// carry no SQLSTATE through libpq).
    ///
    /// A refused password, a missing role or database, a rejecting `pg_hba.conf`, a
    /// bad option value or an unknown host name need a person (exit 78); anything else
    /// (refused, no socket, timed out, closed, starting up, too many clients) may pass
    /// with time, so it is retried. Server messages are matched in English: the server
    /// reports startup failures in its `lc_messages`, which a C-locale cluster keeps.
    package init(connectFailure message: String) {
        let text = message.lowercased()
        if text.contains("temporary failure in name resolution") {
            self = .transient
            return
        }
        let configurationSigns = [
            "password authentication failed", "no password supplied", "authentication failed",
            "does not exist", "is not permitted to log in", "pg_hba.conf", "permission denied for database",
            "could not translate host name", "invalid connection option", "invalid integer value",
            "invalid port number", " value: \"", "ssl was required", "channel binding", "certificate",
        ]
        self = configurationSigns.contains(where: text.contains) ? .configuration : .transient
    }
}

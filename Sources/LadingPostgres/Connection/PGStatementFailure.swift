/// A statement the server (or libpq on its behalf) rejected, with what a person needs
/// to understand it: the SQLSTATE, the server's primary message, DETAIL and HINT, the
/// SQL (never its parameter values), and where it ran.
package struct PGStatementFailure: Sendable, Equatable {
    package let target: PGTarget
    /// Nil when the failure never reached the server's error reporting (the
    /// connection broke, libpq refused to send).
    package let sqlState: String?
    package let message: String
    package let detail: String?
    package let hint: String?
    package let sql: String?
    /// The connection was found `CONNECTION_BAD` after the failure: the server went
    /// away, whatever it said first, so the statement may succeed on a new connection.
    package let connectionLost: Bool

    package init(target: PGTarget, sqlState: String?, message: String, detail: String? = nil,
                 hint: String? = nil, sql: String? = nil, connectionLost: Bool = false) {
        self.target = target
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.sql = sql
        self.connectionLost = connectionLost
    }

    package var kind: PGErrorKind {
        if connectionLost { return .transient }
        guard let sqlState else { return .unknown }
        return PGErrorKind(sqlState: sqlState)
    }

    package var description: String {
        var text = "PostgreSQL error"
        if let sqlState { text += " \(sqlState)" }
        text += " on \(target): \(message)"
        if let detail { text += " (DETAIL: \(detail))" }
        if let hint { text += " (HINT: \(hint))" }
        if connectionLost { text += " [the connection was lost]" }
        if let sql {
            let short = sql.count > 200 ? String(sql.prefix(200)) + "…" : sql
            text += " [SQL: \(short)]"
        }
        return text
    }
}

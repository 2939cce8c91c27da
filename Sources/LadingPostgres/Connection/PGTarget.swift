import CLibPQ

/// Where a connection points: what every message names so an operator knows which
/// server and database failed. It never holds the password (SPEC §9), so it can go
/// into any log, report or `status` line as it is.
package struct PGTarget: Sendable, Equatable, CustomStringConvertible {
    /// A host name, an address, or a unix socket directory (an absolute path, or
    /// `@name` for Linux's abstract namespace).
    package let host: String
    package let port: String
    package let database: String
    package let user: String

    package init(host: String, port: String, database: String, user: String) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
    }

    /// What libpq resolved for this connection, defaults and `PG*` variables included.
    /// Works on a connection that failed too, which is when it matters most.
    init(connection: OpaquePointer) {
        func text(_ value: UnsafeMutablePointer<CChar>?) -> String {
            value.map { String(cString: $0) } ?? ""
        }
        self.init(host: text(PQhost(connection)), port: text(PQport(connection)),
                  database: text(PQdb(connection)), user: text(PQuser(connection)))
    }

    package var isSocket: Bool { host.hasPrefix("/") || host.hasPrefix("@") }

    /// `database "dw" on host "db1" port 5432 as user "loader"`.
    package var description: String {
        let place = isSocket ? "on socket directory \"\(host)\"" : "on host \"\(host)\""
        return "database \"\(database)\" \(place) port \(port) as user \"\(user)\""
    }
}

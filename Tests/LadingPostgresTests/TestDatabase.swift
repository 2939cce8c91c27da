import LadingTestSupport
@testable import LadingPostgres

/// A fresh database on the process's private server and a connection to it: one per
/// test, so tests running in parallel never see each other's tables.
struct TestDatabase {
    let server: PostgresServer
    let dsn: String
    let connection: PGConnection

    init(prefix: String = "t") throws {
        server = try PostgresServer.shared()
        dsn = try server.makeDatabase(prefix: prefix)
        connection = try PGConnection(conninfo: dsn)
    }

    /// What `psql` prints for a query: a second client's view of the data.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        try server.psql(dsn: dsn, sql: sql)
    }
}

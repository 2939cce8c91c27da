import LadingTestSupport
import Testing
@testable import LadingPostgres

/// SPEC §9: a refused password, a missing database or role, an unparsable DSN are
/// configuration errors (78); an unreachable or restarting server is transient; every
/// message names the target and never holds the password.
@Suite struct PGErrorTests {
    /// The error `body` throws, as a `PGError` (a test failure when it throws nothing).
    func pgError(_ body: () throws -> Void) throws -> PGError {
        do {
            try body()
        } catch let error as PGError {
            return error
        }
        Issue.record("expected a PGError, nothing was thrown")
        throw PostgresServerError("no error")
    }

    @Test func aWrongPasswordIsConfigurationAndNeverShown() throws {
        let server = try PostgresServer.shared()
        let password = "Wr0ng-p@ss 'w:rd'&"
        let error = try pgError { _ = try PGConnection(conninfo: server.tcpDSN(database: "postgres", password: password)) }
        #expect(error.kind == .configuration, "\(error)")
        #expect(error.description.contains("password authentication failed"), "\(error)")
        #expect(error.description.contains(#"database "postgres" on host "127.0.0.1" port \#(server.port) as user "postgres""#), "\(error)")
        #expect(!error.description.contains("Wr0ng") && !error.description.contains("w:rd"), "\(error)")
    }

    @Test func aPortWithNothingListeningIsTransient() throws {
        let port = try PostgresServer.unusedPort()
        let error = try pgError { _ = try PGConnection(conninfo: "host=127.0.0.1 port=\(port) dbname=dw user=loader") }
        #expect(error.kind == .transient, "\(error)")
        #expect(error.description.contains(#"database "dw" on host "127.0.0.1" port \#(port) as user "loader""#), "\(error)")
    }

    @Test func aMissingSocketIsTransient() throws {
        let error = try pgError { _ = try PGConnection(conninfo: "host=/tmp/lading-no-such-socket-dir port=5432 dbname=dw user=loader") }
        #expect(error.kind == .transient, "\(error)")
        #expect(error.description.contains("/tmp/lading-no-such-socket-dir"), "\(error)")
    }

    @Test func aMissingDatabaseOrRoleIsConfiguration() throws {
        let server = try PostgresServer.shared()
        let database = try pgError { _ = try PGConnection(conninfo: server.dsn(database: "lading_no_such_database")) }
        #expect(database.kind == .configuration, "\(database)")
        #expect(database.description.contains("lading_no_such_database"), "\(database)")
        let role = try pgError {
            _ = try PGConnection(conninfo: "host=\(server.socketDirectory) port=\(server.port) dbname=postgres user=lading_no_such_role")
        }
        #expect(role.kind == .configuration, "\(role)")
        #expect(role.description.contains(#"as user "lading_no_such_role""#), "\(role)")
    }

    @Test(arguments: [
        "host=localhost password=se cret",
        "host='unterminated password=secret",
        "postgresql://loader:secret@[::1/dw",
        "postgresql://loader:secret@host/dw?password",
        "postgres://loader:secret@host/dw?sslmode=require&secret",
        "dbname=dw nonsense_option=1 password=secret",
        "just-a-word",
    ])
    func anUnparsableDSNIsConfigurationWithoutThePassword(dsn: String) throws {
        let error = try pgError { _ = try PGConnection(conninfo: dsn) }
        guard case .invalidDSN = error else {
            Issue.record("expected invalidDSN, got \(error)")
            return
        }
        #expect(error.kind == .configuration)
        #expect(!error.description.contains("secret") && !error.description.contains("cret"), "\(error)")
    }

    @Test func aUniqueViolationIsDataWithTheServersDetail() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer PRIMARY KEY)")
        try db.connection.run("INSERT INTO t VALUES ($1)", ["1"])
        let error = try pgError { try db.connection.run("INSERT INTO t VALUES ($1)", ["1"]) }
        #expect(error.kind == .data)
        #expect(error.sqlState == "23505")
        guard case .statementFailed(let failure) = error else {
            Issue.record("expected statementFailed, got \(error)")
            return
        }
        #expect(failure.message.contains("duplicate key value violates unique constraint"))
        #expect(failure.detail == "Key (id)=(1) already exists.")
        #expect(failure.target == db.connection.target)
        #expect(error.description.contains(db.connection.target.description))
        #expect(error.description.contains("[SQL: INSERT INTO t VALUES ($1)]"))
        #expect(try db.connection.rows("SELECT count(*) FROM t") == [["1"]])
    }

    @Test func statementErrorsAreClassedBySQLState() throws {
        let db = try TestDatabase()
        let badCast = try pgError { _ = try db.connection.rows("SELECT 'abc'::integer") }
        #expect(badCast.kind == .data && badCast.sqlState == "22P02", "\(badCast)")
        let syntax = try pgError { try db.connection.execute("SELEKT 1") }
        #expect(syntax.kind == .unknown && syntax.sqlState == "42601", "\(syntax)")
        try db.connection.execute("CREATE TABLE t (x integer); CREATE ROLE \(PostgresServer.uniqueName(prefix: "nobody")) NOLOGIN")
        let role = try #require(try db.connection.rows("SELECT rolname FROM pg_roles WHERE rolname LIKE 'nobody%' ORDER BY oid DESC LIMIT 1").first?.first ?? nil)
        try db.connection.execute("SET ROLE \(role)")
        let denied = try pgError { _ = try db.connection.rows("SELECT * FROM t") }
        #expect(denied.kind == .configuration && denied.sqlState == "42501", "\(denied)")
        guard case .statementFailed(let failure) = denied else { return }
        #expect(failure.message.contains("permission denied"))
    }

    @Test func aTerminatedBackendIsTransient() throws {
        let db = try TestDatabase()
        let victim = try PGConnection(conninfo: db.dsn)
        let pid = try #require(try victim.rows("SELECT pg_backend_pid()").first?.first ?? nil)
        // Inside a transaction (outside one, the next statement reconnects first).
        let error = try pgError {
            try victim.transaction {
                // The timeout makes the call wait until the backend is gone.
                #expect(try db.connection.rows("SELECT pg_terminate_backend($1::integer, 10000)", [pid]) == [["t"]])
                _ = try victim.rows("SELECT 1")
            }
        }
        #expect(error.kind == .transient, "\(error)")
        #expect(error.description.contains(victim.target.description), "\(error)")
        // The other connection, and a new one, carry on.
        #expect(try PGConnection(conninfo: db.dsn).rows("SELECT 1") == [["1"]])
    }

    /// After the server ended a session, the next statement outside a transaction runs
    /// on a new connection with the session set up again; inside a transaction nothing
    /// reconnects, so the rest of a rolled-back transaction fails instead of committing.
    @Test func aLostConnectionReconnectsOnlyOutsideATransaction() throws {
        let db = try TestDatabase()
        let victim = try PGConnection(conninfo: db.dsn)
        var setups = 0
        victim.onReconnect = { connection in
            setups += 1
            try connection.execute("SET TimeZone = 'Asia/Tokyo'")
        }
        try victim.execute("CREATE TABLE t (v integer)")
        func kill() throws {
            let pid = try #require(try victim.rows("SELECT pg_backend_pid()").first?.first ?? nil)
            #expect(try db.connection.rows("SELECT pg_terminate_backend($1::integer, 10000)", [pid]) == [["t"]])
        }
        try kill()
        #expect(try victim.rows("SELECT current_setting('TimeZone')") == [["Asia/Tokyo"]], "an idle session the server ended is found before the next statement")
        #expect(setups == 1)
        let inside = try pgError {
            try victim.transaction {
                try victim.run("INSERT INTO t VALUES (1)")
                try kill()
                _ = try? victim.run("INSERT INTO t VALUES (2)")
                try victim.run("INSERT INTO t VALUES (3)")
            }
        }
        #expect(inside.kind == .transient || inside.kind == .unknown, "\(inside)")
        #expect(setups == 1, "no reconnect inside the transaction")
        #expect(try db.psql("SELECT count(*) FROM t") == "0", "nothing of the transaction committed")
        #expect(try victim.rows("SELECT 1") == [["1"]])
    }

    /// Adversarial finding F3: an unencoded `@` or `/` in a URI's password makes libpq
    /// split the URI in the wrong place, and pieces of the password land in the host,
    /// port or database it reports; none of them may reach a message.
    @Test(arguments: ["ab/cd@efgh", "Pa@ss:w0rd", "Tr0ub4dor&3@x", "s3cret/with@sl"])
    func piecesOfAPasswordNeverReachAConnectionError(password: String) throws {
        let server = try PostgresServer.shared()
        let error = try pgError { _ = try PGConnection(conninfo: "postgresql://loader:\(password)@127.0.0.1:\(server.port)/postgres") }
        let text = error.description
        for piece in password.split(whereSeparator: { "/@:&".contains($0) }) where piece.count >= 3 {
            #expect(!text.contains(piece), "'\(piece)' of the password shows in: \(text)")
        }
        #expect(!text.contains(password))
    }
}

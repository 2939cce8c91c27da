import Testing
@testable import LadingPostgres

/// SPEC §7 and §9: the retry matrix reads the class, so each SQLSTATE and connection
/// failure must land in the right one.
@Suite struct PGErrorKindTests {
    @Test(arguments: [
        ("08006", PGErrorKind.transient), ("08001", .transient), ("08P01", .transient),
        ("57P01", .transient), ("57P02", .transient), ("57P03", .transient),
        ("40001", .transient), ("40P01", .transient), ("55P03", .transient),
        ("42501", .configuration), ("3D000", .configuration), ("3F000", .configuration),
        ("28P01", .configuration), ("28000", .configuration),
        ("22P02", .data), ("22001", .data), ("22021", .data), ("23505", .data), ("23503", .data), ("23502", .data),
        ("53100", .system), ("53200", .system), ("53300", .system), ("58030", .system), ("XX000", .system), ("XX001", .system),
        ("42601", .unknown), ("42P01", .unknown), ("25P02", .unknown), ("57014", .unknown),
    ])
    func sqlStates(sqlState: String, kind: PGErrorKind) {
        #expect(PGErrorKind(sqlState: sqlState) == kind, "\(sqlState)")
    }

    @Test(arguments: [
        (#"connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "loader""#, PGErrorKind.configuration),
        (#"connection to server on socket "/tmp/.s.PGSQL.5432" failed: fe_sendauth: no password supplied"#, .configuration),
        (#"connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  database "dw" does not exist"#, .configuration),
        (#"connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  role "x" does not exist"#, .configuration),
        (#"FATAL:  no pg_hba.conf entry for host "10.0.0.1", user "x", database "dw", no encryption"#, .configuration),
        (#"FATAL:  role "x" is not permitted to log in"#, .configuration),
        (#"invalid integer value "abc" for connection option "port""#, .configuration),
        (#"invalid sslmode value: "sometimes""#, .configuration),
        (#"could not translate host name "nosuchhost" to address: Name or service not known"#, .configuration),
        (#"could not translate host name "db1" to address: Temporary failure in name resolution"#, .transient),
        (#"connection to server at "127.0.0.1", port 1 failed: Connection refused"#, .transient),
        (#"connection to server on socket "/nope/.s.PGSQL.5432" failed: No such file or directory"#, .transient),
        ("timeout expired", .transient),
        ("server closed the connection unexpectedly", .transient),
        (#"connection to server at "db1", port 5432 failed: FATAL:  the database system is starting up"#, .transient),
        (#"FATAL:  sorry, too many clients already"#, .transient),
    ])
    func connectFailures(message: String, kind: PGErrorKind) {
        #expect(PGErrorKind(connectFailure: message) == kind, "\(message)")
    }

    @Test func aLostConnectionIsTransientWhateverTheServerSaid() {
        let target = PGTarget(host: "db1", port: "5432", database: "dw", user: "loader")
        let lost = PGStatementFailure(target: target, sqlState: "42601", message: "x", connectionLost: true)
        #expect(lost.kind == .transient)
        #expect(PGStatementFailure(target: target, sqlState: nil, message: "x").kind == .unknown)
        #expect(PGError.statementFailed(lost).sqlState == "42601")
    }

    @Test func messagesNameTheTargetAndKeepTheServersWords() {
        let target = PGTarget(host: "db1", port: "5432", database: "dw", user: "loader")
        #expect(target.description == #"database "dw" on host "db1" port 5432 as user "loader""#)
        let socket = PGTarget(host: "/var/run/postgresql", port: "5432", database: "dw", user: "loader")
        #expect(socket.description == #"database "dw" on socket directory "/var/run/postgresql" port 5432 as user "loader""#)
        let failure = PGStatementFailure(target: target, sqlState: "23505", message: "duplicate key value violates unique constraint \"t_pkey\"",
                                         detail: "Key (id)=(1) already exists.", hint: "Try again.", sql: "INSERT INTO t VALUES ($1)")
        #expect(PGError.statementFailed(failure).description == """
            PostgreSQL error 23505 on database "dw" on host "db1" port 5432 as user "loader": duplicate key value violates \
            unique constraint "t_pkey" (DETAIL: Key (id)=(1) already exists.) (HINT: Try again.) [SQL: INSERT INTO t VALUES ($1)]
            """)
    }
}

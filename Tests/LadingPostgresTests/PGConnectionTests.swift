import Foundation
import LadingTestSupport
import Testing
@testable import LadingPostgres

/// Statements, parameters and transactions against the private server (DESIGN §7).
@Suite struct PGConnectionTests {
    /// I6: values travel as parameters, byte for byte, whatever they hold.
    static let hostileValues: [String?] = [
        "plain", "", nil, "it's", "''", "\"quoted\"", "back\\slash", "\\\\", "\\N", "\\.", "$1", "'$2'",
        "x'); DROP TABLE t; --", "a\"; DROP TABLE t; --", "tab\there", "line\nbreak", "cr\rlf\r\n",
        "\u{1}\u{2}\u{7}\u{8}\u{B}\u{C}\u{1B}\u{1F}\u{7F}", "é 漢字 🎉 👩‍👩‍👧 \u{FEFF} \u{200B}", " padded ",
        String(repeating: "ab\\'\"\t\n🎉", count: 100_000),
    ]

    @Test func hostileValuesRoundTripAsParameters() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer PRIMARY KEY, v text)")
        for (id, value) in Self.hostileValues.enumerated() {
            #expect(try db.connection.run("INSERT INTO t VALUES ($1, $2)", [String(id), value]) == 1)
        }
        let stored = try db.connection.rows("SELECT v FROM t ORDER BY id").map { $0[0] }
        #expect(stored == Self.hostileValues)
        #expect(try db.connection.rows("SELECT octet_length(v) FROM t WHERE id = $1", [String(Self.hostileValues.count - 1)])
            == [[String((Self.hostileValues.last ?? "")?.utf8.count ?? 0)]])
        for value in Self.hostileValues {
            #expect(try db.connection.rows("SELECT $1::text", [value]) == [[value]])
        }
        #expect(try db.psql("SELECT count(*) FROM t") == String(Self.hostileValues.count))
    }

    @Test func parametersAreNeverSpliced() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (v text)")
        try db.connection.run("INSERT INTO t VALUES ($1)", ["x'); DROP TABLE t; --"])
        try db.connection.run("INSERT INTO t VALUES ($1)", ["$1"])
        #expect(try db.connection.rows("SELECT v FROM t ORDER BY v") == [["$1"], ["x'); DROP TABLE t; --"]])
        #expect(try db.psql("SELECT count(*) FROM pg_tables WHERE tablename = 't'") == "1")
    }

    @Test func nullIsNotTheEmptyString() throws {
        let db = try TestDatabase()
        let row = try db.connection.rows("SELECT $1::text, $2::text, NULL::text, '', 'NULL'", [nil, ""])
        #expect(row == [[nil, "", nil, "", "NULL"]])
        #expect(try db.connection.rows("SELECT 1 WHERE false") == [])
    }

    @Test func runCountsAffectedRowsAndExecuteTakesSeveralStatements() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (x integer); INSERT INTO t VALUES (1), (2), (3); INSERT INTO t VALUES (4)")
        #expect(try db.connection.run("UPDATE t SET x = x + 10 WHERE x > $1", ["1"]) == 3)
        #expect(try db.connection.run("DELETE FROM t WHERE x = $1", ["99"]) == 0)
        #expect(try db.connection.run("CREATE TABLE u (y integer)") == 0)
        #expect(try db.connection.rows("SELECT sum(x) FROM t") == [["40"]])
    }

    @Test func aValueWithNULIsRefusedAsData() throws {
        let db = try TestDatabase()
        #expect {
            try db.connection.run("SELECT $1::text", ["a\u{0}b"])
        } throws: { error in
            guard let error = error as? PGError, case .unsendableValue = error else { return false }
            return error.kind == .data && error.description.contains("parameter $1")
        }
    }

    @Test func transactionsCommitAndRollBackOnThrow() throws {
        let db = try TestDatabase()
        let connection = db.connection
        try connection.execute("CREATE TABLE t (x integer)")
        let answer = try connection.transaction {
            try connection.run("INSERT INTO t VALUES (1)")
            return 42
        }
        #expect(answer == 42)
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(try connection.rows("SELECT x FROM t ORDER BY x") == [["1"]])
        #expect(try db.psql("SELECT count(*) FROM t") == "1")
    }

    @Test func nestedTransactionsAreSavepoints() throws {
        let db = try TestDatabase()
        let connection = db.connection
        try connection.execute("CREATE TABLE t (x integer)")
        struct Boom: Error {}
        try connection.transaction {
            try connection.run("INSERT INTO t VALUES (1)")
            #expect(throws: Boom.self) {
                try connection.transaction {
                    try connection.run("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (3)")
                _ = try? connection.transaction {
                    try connection.run("INSERT INTO t VALUES (4)")
                    try connection.run("INSERT INTO missing_table VALUES (5)")
                }
            }
            // A failed statement inside a savepoint leaves the outer transaction usable.
            try connection.run("INSERT INTO t VALUES (6)")
        }
        #expect(try connection.rows("SELECT string_agg(x::text, ',' ORDER BY x) FROM t") == [["1,3,6"]])
    }

    @Test func aCaughtStatementFailureRollsTheTransactionBack() throws {
        let db = try TestDatabase()
        let connection = db.connection
        try connection.execute("CREATE TABLE t (x integer)")
        #expect {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (1)")
                _ = try? connection.run("SELEKT 1")
            }
        } throws: { error in
            (error as? PGError)?.sqlState == "25P02"
        }
        #expect(try connection.rows("SELECT count(*) FROM t") == [["0"]])
        try connection.transaction { _ = try connection.run("INSERT INTO t VALUES (2)") }
        #expect(try db.psql("SELECT x FROM t") == "2")
    }

    @Test func defaultsToApplicationNameLadingAndUTF8UnlessTheDSNSaysOtherwise() throws {
        let db = try TestDatabase()
        #expect(try db.connection.rows("SELECT current_setting('application_name'), current_setting('client_encoding')")
            == [["lading", "UTF8"]])
        let custom = try PGConnection(conninfo: db.dsn + " application_name='nightly loader'")
        #expect(try custom.rows("SELECT current_setting('application_name')") == [["nightly loader"]])
        #expect {
            try PGConnection(conninfo: db.dsn + " client_encoding=LATIN1")
        } throws: { error in
            guard let error = error as? PGError else { return false }
            return error.kind == .configuration && error.description.contains("LATIN1")
        }
    }

    @Test func theTargetNamesDatabaseHostPortAndUser() throws {
        let db = try TestDatabase()
        let target = db.connection.target
        let name = try #require(db.connection.rows("SELECT current_database()").first?.first ?? nil)
        #expect(target.database == name)
        #expect(target.user == "postgres")
        #expect(target.port == String(db.server.port))
        #expect(target.host == db.server.socketDirectory && target.isSocket)
        #expect(target.description == #"database "\#(name)" on socket directory "\#(db.server.socketDirectory)" port \#(db.server.port) as user "postgres""#)
    }

    /// A password with every character a DSN or URI treats specially still connects
    /// (quoted in the DSN), and neither the target nor the masked DSN shows it.
    @Test func aHostilePasswordConnectsAndStaysHidden() throws {
        let db = try TestDatabase()
        let role = PostgresServer.uniqueName(prefix: "loader")
        let password = "p@ss:w 'rd\\&x=y?\"é"
        try db.psql("CREATE ROLE \(PostgresServer.quoteIdentifier(role)) LOGIN PASSWORD '\(password.replacingOccurrences(of: "'", with: "''"))'")
        let database = try #require(db.connection.rows("SELECT current_database()").first?.first ?? nil)
        let dsn = db.server.tcpDSN(database: database, user: role, password: password)
        let connection = try PGConnection(conninfo: dsn)
        #expect(try connection.rows("SELECT current_user") == [[role]])
        #expect(connection.target.description == #"database "\#(database)" on host "127.0.0.1" port \#(db.server.port) as user "\#(role)""#)
        #expect(PGDSN.masked(dsn) == dsn.replacingOccurrences(of: "password=" + PostgresServer.quoteValue(password), with: "password=***"))
    }

    @Test func invalidUTF8FromTheServerDoesNotTrap() throws {
        let server = try PostgresServer.shared()
        let name = PostgresServer.uniqueName(prefix: "ascii")
        try server.psql(dsn: server.dsn(database: "postgres"),
                        sql: "CREATE DATABASE \(name) ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        let connection = try PGConnection(conninfo: server.dsn(database: name))
        // The server checks what it converts to UTF8, so only a session switched to
        // SQL_ASCII (by any SQL the connection runs) receives raw bytes.
        try connection.execute("SET client_encoding = 'SQL_ASCII'")
        #expect(try connection.rows(#"SELECT E'a\xffb'::text"#) == [["a\u{FFFD}b"]])
    }

    @Test func aClosedConnectionRefusesWork() throws {
        let db = try TestDatabase()
        db.connection.close()
        db.connection.close()
        #expect {
            try db.connection.rows("SELECT 1")
        } throws: { error in
            guard let error = error as? PGError, case .misuse = error else { return false }
            return error.description.contains("closed")
        }
    }
}

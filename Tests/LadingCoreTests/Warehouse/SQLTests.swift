import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct SQLTests {
    @Test func quotingDoublesInnerQuotes() {
        #expect(SQL.quoteIdentifier("plain") == "\"plain\"")
        #expect(SQL.quoteIdentifier("a\"b") == "\"a\"\"b\"")
        #expect(!SQL.isRepresentable("a\u{0}b"))
    }

    @Test func hostileNamesAreInertIdentifiers() throws {
        let folder = try TemporaryFolder()
        let db = try Connection(path: folder.url("w.sqlite"))
        let hostile = "a\"; DROP TABLE t; --"
        try db.execute("CREATE TABLE t (x)")
        try db.execute("CREATE TABLE \(SQL.quoteIdentifier(hostile)) (\(SQL.quoteIdentifier(hostile)) TEXT)")
        try db.run("INSERT INTO \(SQL.quoteIdentifier(hostile)) VALUES (?)", [.text("'); DROP TABLE t; --")])
        #expect(try db.tableExists("t"))
        #expect(try db.columns(of: hostile) == [hostile])
        #expect(try db.scalar("SELECT * FROM \(SQL.quoteIdentifier(hostile))") == .text("'); DROP TABLE t; --"))
    }

    @Test func transactionsRollBackOnThrowAndNestAsSavepoints() throws {
        let folder = try TemporaryFolder()
        let db = try Connection(path: folder.url("w.sqlite"))
        try db.execute("CREATE TABLE t (x INTEGER)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(0))
        try db.transaction {
            try db.run("INSERT INTO t VALUES (1)")
            _ = try? db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT group_concat(x) FROM t") == .text("1"))
        #expect(!db.isInTransaction)
    }

    @Test func errorsCarryCodeMessageAndSQL() throws {
        let folder = try TemporaryFolder()
        let db = try Connection(path: folder.url("w.sqlite"))
        #expect {
            try db.execute("SELEKT 1")
        } throws: { error in
            guard let error = error as? SQLiteError else { return false }
            return error.message.contains("SELEKT") && error.message.contains("syntax error")
        }
    }

    @Test func timestampsRoundTrip() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.25)
        let text = Timestamp.iso8601(date)
        #expect(text == "2026-11-18T11:06:40.250000Z")
        #expect(Timestamp.parse(text) == date)
        #expect(Timestamp.parse("2026-11-18T12:06:40+01:00") == Date(timeIntervalSince1970: 1_795_000_000))
        #expect(Timestamp.parse("garbage") == nil)
    }
}

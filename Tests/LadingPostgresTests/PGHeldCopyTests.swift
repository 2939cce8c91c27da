import LadingTestSupport
import Testing
@testable import LadingPostgres

/// A COPY held open between batches (`PGConnection.hold`): the next statement finishes
/// it, its errors surface there and roll the transaction back, a rollback aborts it, and
/// outside a transaction nothing is held.
@Suite struct PGHeldCopyTests {
    func startCopy(_ db: TestDatabase, _ rows: String) throws -> PGCopyIn {
        let copy = try db.connection.beginCopy("COPY t (id, v) FROM STDIN")
        try Array(rows.utf8).withUnsafeBytes { try copy.send($0) }
        return copy
    }

    @Test func theNextStatementFinishesAHeldCopyAndTheBatchesContinueIt() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer, v text)")
        try db.connection.transaction {
            let copy = try startCopy(db, "1\ta\n")
            try db.connection.hold(copy)
            // The next batch takes it back and continues the same statement.
            let again = try #require(db.connection.takeHeldCopy(copy))
            try Array("2\tb\n".utf8).withUnsafeBytes { try again.send($0) }
            try db.connection.hold(again)
            // Another COPY object is not the held one.
            #expect(db.connection.takeHeldCopy(nil) == nil)
            // Any statement settles it first: its rows are there.
            #expect(try db.connection.rows("SELECT count(*) FROM t") == [["2"]])
        }
        #expect(try db.psql("SELECT string_agg(v, ',' ORDER BY id) FROM t") == "a,b")
    }

    @Test func aBadRowInAHeldCopyFailsTheTransactionAndLeavesNothing() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer, v text)")
        #expect(throws: PGError.self) {
            try db.connection.transaction {
                try db.connection.execute("INSERT INTO t VALUES (0, 'before')")
                try db.connection.hold(try startCopy(db, "1\tok\nnot-a-number\tx\n"))
            }
        }
        #expect(try db.connection.rows("SELECT count(*) FROM t") == [["0"]])
    }

    @Test func aRollbackAbortsAHeldCopy() throws {
        struct Stop: Error {}
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer, v text)")
        #expect(throws: Stop.self) {
            try db.connection.transaction {
                try db.connection.hold(try startCopy(db, "1\ta\n"))
                throw Stop()
            }
        }
        #expect(try db.connection.rows("SELECT count(*) FROM t") == [["0"]])
    }

    @Test func outsideATransactionNothingIsHeld() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer, v text)")
        let copy = try startCopy(db, "1\ta\n")
        try db.connection.hold(copy)
        #expect(db.connection.takeHeldCopy(copy) == nil)
        #expect(try db.psql("SELECT count(*) FROM t") == "1")
    }
}

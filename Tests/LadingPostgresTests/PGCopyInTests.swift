import LadingTestSupport
import Testing
@testable import LadingPostgres

/// `COPY … FROM STDIN` (DESIGN §7's bulk load): what goes in comes back byte for byte,
/// NULL stays NULL, and a failed or abandoned COPY leaves the connection usable.
@Suite struct PGCopyInTests {
    static let trickyValues: [String?] = [
        "plain", "", nil, "tab\there", "line\nbreak", "cr\rhere", "crlf\r\n", "back\\slash", "\\", "\\\\",
        "\\N", "N", "NULL", "\\.", ".", "end\\", "\\t literally", "é 漢字 🎉 👩‍👩‍👧", " padded ", "'quote\"",
        "\u{1}\u{7}\u{B}\u{C}\u{1B}\u{7F}", String(repeating: "x\ty\\z\n", count: 50_000),
    ]

    @Test func trickyValuesRoundTrip() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer, v text, w text)")
        var rows = PGCopyText()
        for (id, value) in Self.trickyValues.enumerated() {
            rows.appendField(String(id))
            if let value { rows.appendField(value) } else { rows.appendNull() }
            rows.appendField("w\(id)")
            rows.endRow()
        }
        let copy = try db.connection.beginCopy("COPY t (id, v, w) FROM STDIN")
        try copy.send(rows)
        #expect(try copy.finish() == Self.trickyValues.count)
        let stored = try db.connection.rows("SELECT v, w FROM t ORDER BY id")
        #expect(stored.map { $0[0] } == Self.trickyValues)
        #expect(stored.map { $0[1] } == Self.trickyValues.indices.map { "w\($0)" })
        // The same values bound as parameters compare equal inside the server too.
        for (id, value) in Self.trickyValues.enumerated() {
            #expect(try db.connection.rows("SELECT v IS NOT DISTINCT FROM $1 FROM t WHERE id = $2", [value, String(id)]) == [["t"]])
        }
    }

    @Test func twoHundredThousandRows() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id bigint, name text, note text, amount double precision)")
        let total = 200_000
        let copy = try db.connection.beginCopy("COPY t (id, name, note, amount) FROM STDIN")
        var rows = PGCopyText()
        for id in 1...total {
            rows.appendField(String(id))
            rows.appendField("name \(id)")
            if id % 10 == 0 { rows.appendNull() } else { rows.appendField("note\t\(id)\n") }
            rows.appendField(String(Double(id) / 4))
            rows.endRow()
            if rows.count >= PGCopyIn.flushThreshold {
                try copy.send(rows)
                rows.removeAll()
            }
        }
        try copy.send(rows)
        #expect(try copy.finish() == total)
        let sum = String(total * (total + 1) / 2)
        #expect(try db.connection.rows("SELECT count(*), sum(id), count(note), (sum(amount) * 4)::bigint FROM t")
            == [[String(total), sum, String(total - total / 10), sum]])
        #expect(try db.connection.rows("SELECT name, note FROM t WHERE id IN (7, 20) ORDER BY id") == [["name 7", "note\t7\n"], ["name 20", nil]])
        #expect(try db.psql("SELECT count(*) FROM t") == String(total))
    }

    @Test func smallSendsAreGatheredAndLoadInOrder() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer)")
        let copy = try db.connection.beginCopy("COPY t FROM STDIN")
        for id in 0..<5_000 {
            // Rows split across sends: the server joins the bytes.
            let text = Array("\(id)\n".utf8)
            try text.prefix(1).withUnsafeBytes { try copy.send($0) }
            try text.dropFirst().withUnsafeBytes { try copy.send($0) }
        }
        #expect(try copy.finish() == 5_000)
        #expect(try db.connection.rows("SELECT count(DISTINCT id), min(id), max(id) FROM t") == [["5000", "0", "4999"]])
    }

    @Test func aBadValueFailsAsDataAndTheConnectionCarriesOn() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer, v text)")
        for bad in ["1\tok\nnot-a-number\tx\n", "1\ta\u{0}b\n", "1\ttoo\tmany\n"] {
            let copy = try db.connection.beginCopy("COPY t FROM STDIN")
            try Array(bad.utf8).withUnsafeBytes { try copy.send($0) }
            #expect {
                _ = try copy.finish()
            } throws: { error in
                guard let error = error as? PGError else { return false }
                return error.kind == .data && error.description.contains("COPY t")
            }
        }
        #expect(try db.connection.rows("SELECT count(*) FROM t") == [["0"]])
    }

    @Test func abortLoadsNothingAndFreesTheConnection() throws {
        let db = try TestDatabase()
        try db.connection.execute("CREATE TABLE t (id integer)")
        let copy = try db.connection.beginCopy("COPY t FROM STDIN")
        try Array("1\n2\n".utf8).withUnsafeBytes { try copy.send($0) }
        #expect {
            try db.connection.run("SELECT 1")
        } throws: { error in
            guard let error = error as? PGError, case .misuse = error else { return false }
            return error.description.contains("COPY is in progress")
        }
        copy.abort("test abort")
        copy.abort("twice is harmless")
        #expect(throws: PGError.self) { _ = try copy.finish() }
        #expect(try db.connection.rows("SELECT count(*) FROM t") == [["0"]])
        do {
            let abandoned = try db.connection.beginCopy("COPY t FROM STDIN")
            try Array("3\n".utf8).withUnsafeBytes { try abandoned.send($0) }
        }
        #expect(try db.connection.rows("SELECT count(*) FROM t") == [["0"]])
        let again = try db.connection.beginCopy("COPY t FROM STDIN")
        try Array("4\n".utf8).withUnsafeBytes { try again.send($0) }
        #expect(try again.finish() == 1)
    }

    @Test func aCopyInsideATransactionRollsBackWithIt() throws {
        let db = try TestDatabase()
        let connection = db.connection
        try connection.execute("CREATE TABLE t (id integer)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction {
                let copy = try connection.beginCopy("COPY t FROM STDIN")
                try Array("1\n2\n".utf8).withUnsafeBytes { try copy.send($0) }
                #expect(try copy.finish() == 2)
                throw Boom()
            }
        }
        #expect(try connection.rows("SELECT count(*) FROM t") == [["0"]])
    }

    @Test func beginCopyRefusesOtherStatements() throws {
        let db = try TestDatabase()
        #expect {
            _ = try db.connection.beginCopy("SELECT 1")
        } throws: { error in
            guard let error = error as? PGError, case .misuse = error else { return false }
            return true
        }
        #expect {
            try db.connection.execute("CREATE TABLE t (id integer); COPY t FROM STDIN")
        } throws: { error in
            guard let error = error as? PGError, case .misuse = error else { return false }
            return true
        }
        #expect(try db.connection.rows("SELECT 1") == [["1"]])
    }
}

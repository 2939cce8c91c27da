import Testing
@testable import LadingPostgres

/// COPY text format (no server needed): what must be escaped is, and nothing else.
@Suite struct PGCopyTextTests {
    func text(_ build: (inout PGCopyText) -> Void, capacity: Int = 64) -> String {
        var rows = PGCopyText(capacity: capacity)
        build(&rows)
        return String(decoding: rows.bytes, as: UTF8.self)
    }

    @Test func escapesBackslashTabNewlineAndCarriageReturn() {
        let line = text { rows in
            rows.appendField("a\tb\\c\nd\re")
            rows.appendNull()
            rows.appendField("")
            rows.appendField("\\N")
            rows.appendField("\\.")
            rows.endRow()
        }
        #expect(line == "a\\tb\\\\c\\nd\\re\t\\N\t\t\\\\N\t\\\\.\n")
    }

    @Test func otherBytesPassThrough() {
        let line = text { rows in
            rows.appendField("é 漢字 🎉 \u{1}\u{7}\u{B}\u{C}\u{1B} ' \" ,;|")
            rows.endRow()
        }
        #expect(line == "é 漢字 🎉 \u{1}\u{7}\u{B}\u{C}\u{1B} ' \" ,;|\n")
    }

    @Test func rowsAndFieldsAreSeparated() {
        var rows = PGCopyText(capacity: 64)
        rows.appendField("1")
        rows.appendNull()
        rows.endRow()
        rows.appendNull()
        rows.appendField("2")
        rows.endRow()
        #expect(String(decoding: rows.bytes, as: UTF8.self) == "1\t\\N\n\\N\t2\n")
        #expect(rows.rowCount == 2)
        #expect(rows.count == rows.bytes.count)
        rows.removeAll()
        #expect(rows.isEmpty && rows.rowCount == 0)
        rows.appendField("3")
        rows.endRow()
        #expect(String(decoding: rows.bytes, as: UTF8.self) == "3\n")
    }

    @Test func growsPastItsCapacity() {
        let big = String(repeating: "ab\\\t\ncd", count: 5_000)
        let escaped = String(repeating: "ab\\\\\\t\\ncd", count: 5_000)
        let line = text { rows in
            rows.appendField("x")
            rows.appendField(big)
            rows.endRow()
        }
        #expect(line == "x\t" + escaped + "\n")
    }

    @Test func rawBytesAreWrittenAsGiven() {
        var rows = PGCopyText(capacity: 64)
        let bytes: [UInt8] = [0x41, 0x09, 0xFF, 0x5C, 0x0D, 0x0A]
        bytes.withUnsafeBytes { rows.appendField($0) }
        rows.endRow()
        #expect(rows.bytes == [0x41, 0x5C, 0x74, 0xFF, 0x5C, 0x5C, 0x5C, 0x72, 0x5C, 0x6E, 0x0A])
    }
}

import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LadingReaders
import LadingStore
import LadingTestSupport
import Testing
@testable import LadingPostgres

/// COPY binary format: every batch cell lading sends in binary must be stored exactly as
/// the text format stores it. The oracle is the server itself: the same random batch goes
/// into two tables of the same types, once per format, and every stored value is compared.
@Suite struct PGCopyBinaryTests {
    static let types: [(PGBinaryType, String)] = [
        (.int8, "bigint"), (.float8, "double precision"), (.bool, "boolean"), (.date, "date"),
        (.timestamptz, "timestamptz"), (.text, "text"), (.text, "text"), (.float8, "double precision"),
    ]

    /// A random value of the kind lading's converter gives a column of this type.
    static func cell(for type: PGBinaryType, column: Int, into batch: inout RecordBatch, random: inout SplitMix64) {
        if Int.random(in: 0..<12, using: &random) == 0 {
            batch.appendNull()
            return
        }
        switch type {
        case .int8:
            let edges: [Int64] = [0, 1, -1, .max, .min, 9_007_199_254_740_993]
            batch.appendInteger(Bool.random(using: &random) ? edges.randomElement(using: &random) ?? 0 : Int64.random(in: -1_000_000...1_000_000, using: &random))
        case .float8:
            let edges: [Double] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1, 1e22, 123456.789]
            switch Int.random(in: 0..<4, using: &random) {
            case 0: batch.appendReal(edges.randomElement(using: &random) ?? 0)
            case 1: batch.appendInteger(Int64.random(in: -(1 << 60)...(1 << 60), using: &random)) // an integer in a real column
            default: batch.appendReal(Double(bitPattern: random.next()).isNaN ? 1.5 : Double(bitPattern: random.next()))
            }
        case .bool:
            batch.appendInteger(Int64.random(in: 0...1, using: &random))
        case .date:
            batch.appendText(Self.dateText(Int.random(in: 1...9999, using: &random), &random))
        case .timestamptz:
            var text = Self.dateText(Int.random(in: 1...9999, using: &random), &random)
            text += String(format: "T%02d:%02d:%02d", Int.random(in: 0...23, using: &random), Int.random(in: 0...59, using: &random),
                           Int.random(in: 0...59, using: &random))
            if Bool.random(using: &random) { text += String(format: ".%06d", Int.random(in: 0...999_999, using: &random)) }
            batch.appendText(text + "Z")
        case .text:
            let pieces = ["plain", "", "tab\there", "line\nbreak", "\\N", "\\.", "back\\slash", "é 漢字 🎉", "'\"", "\u{1}\u{7F}"]
            switch Int.random(in: 0..<4, using: &random) {
            case 0: batch.appendInteger(Int64.random(in: .min ... .max, using: &random)) // a widened integer column
            case 1: batch.appendReal(Double.random(in: -1e300...1e300, using: &random))
            default: batch.appendText((0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }.joined())
            }
        }
    }

    static func dateText(_ year: Int, _ random: inout SplitMix64) -> String {
        let month = Int.random(in: 1...12, using: &random)
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let day = Int.random(in: 1...(month == 2 && leap ? 29 : lengths[month - 1]), using: &random)
        return String(format: "%04d-%02d-%02d", year, month, day)
    }

    @Test func binaryStoresWhatTextStores() throws {
        let seed = TestSeed.value(default: 14)
        var random = SplitMix64(seed: seed)
        var batch = RecordBatch()
        defer { batch.free() }
        let rows = 20_000
        for row in 0..<rows {
            batch.beginRow(line: row + 2)
            // Some rows end early: their missing cells are NULL in both formats.
            let width = row % 17 == 0 ? Int.random(in: 0..<Self.types.count, using: &random) : Self.types.count
            for (column, (type, _)) in Self.types.prefix(width).enumerated() { Self.cell(for: type, column: column, into: &batch, random: &random) }
        }
        let types = Self.types.map(\.0)
        #expect(PGCopyBinary.fits(batch, types: types), "seed \(seed)")

        let db = try TestDatabase()
        let definition = Self.types.enumerated().map { "c\($0.offset) \($0.element.1)" }.joined(separator: ", ")
        let names = Self.types.indices.map { "c\($0)" }.joined(separator: ", ")
        try db.connection.execute("CREATE TABLE by_text (n bigint, \(definition), a text, b timestamptz)")
        try db.connection.execute("CREATE TABLE by_binary (n bigint, \(definition), a text, b timestamptz)")
        let audit = ["/landing/ä\tb.csv", "2026-11-30T22:19:41.231333Z"]

        var text = PGCopyText()
        for row in 0..<rows {
            text.appendInteger(Int64(row))
            text.appendRow(of: batch, row, width: types.count, trailing: audit.map { Array($0.utf8) })
        }
        // The row number goes first in text; in binary it is the batch's own first column.
        let copyText = try db.connection.beginCopy("COPY by_text (n, \(names), a, b) FROM STDIN")
        try copyText.send(text)
        #expect(try copyText.finish() == rows)

        var numbered = RecordBatch()
        defer { numbered.free() }
        for row in 0..<rows {
            numbered.beginRow(line: row)
            numbered.appendInteger(Int64(row))
            for cell in batch.cells(ofRow: row) {
                switch cell.kind {
                case .null: numbered.appendNull()
                case .integer: numbered.appendInteger(cell.payload)
                case .real: numbered.appendReal(Double(bitPattern: UInt64(bitPattern: cell.payload)))
                case .text: numbered.appendText(UnsafeRawBufferPointer(start: batch.arena + Int(cell.payload), count: Int(cell.length)))
                }
            }
        }
        let trailing = try [PGCopyBinary.encode(audit[0], as: .text), PGCopyBinary.encode(audit[1], as: .timestamptz)].map { try #require($0) }
        var binary = PGCopyBinary()
        binary.appendHeader()
        for row in 0..<rows { binary.appendRow(of: numbered, row, types: [.int8] + types, trailing: trailing) }
        let copyBinary = try db.connection.beginCopy("COPY by_binary (n, \(names), a, b) FROM STDIN (FORMAT binary)")
        copyBinary.trailer = PGCopyBinary.trailer
        try binary.withUnsafeBytes { try copyBinary.send($0) }
        #expect(try copyBinary.finish() == rows)

        // Row by row, every column compared inside the server (NaN = NaN and -0 = 0 there,
        // so floats are compared by their text too, which keeps their sign).
        let columns = ["a", "b"] + Self.types.indices.map { "c\($0)" }
        let same = columns.map { "t.\($0) IS NOT DISTINCT FROM b.\($0) AND t.\($0)::text IS NOT DISTINCT FROM b.\($0)::text" }.joined(separator: " AND ")
        let differing = try db.connection.rows("SELECT t.n FROM by_text t JOIN by_binary b USING (n) WHERE NOT (\(same)) ORDER BY t.n LIMIT 5")
        #expect(differing.isEmpty, "seed \(seed): rows stored differently by the two formats: \(differing)")
        #expect(try db.connection.rows("SELECT count(*) FROM by_text t JOIN by_binary b USING (n)") == [[String(rows)]])
    }

    /// A cell whose binary form would not be what text gives makes the batch go as text.
    @Test func cellsWithoutAnExactBinaryFormDoNotFit() {
        func fits(_ type: PGBinaryType, _ build: (inout RecordBatch) -> Void) -> Bool {
            var batch = RecordBatch()
            defer { batch.free() }
            batch.beginRow(line: 2)
            build(&batch)
            return PGCopyBinary.fits(batch, types: [type])
        }
        #expect(fits(.int8) { $0.appendInteger(5) })
        #expect(!fits(.int8) { $0.appendText("5") })
        #expect(!fits(.int8) { $0.appendReal(5) })
        #expect(!fits(.bool) { $0.appendInteger(2) })
        #expect(!fits(.bool) { $0.appendText("t") })
        #expect(fits(.date) { $0.appendText("2024-02-29") })
        #expect(!fits(.date) { $0.appendText("2023-02-29") })
        #expect(!fits(.date) { $0.appendText("2024-2-9") })
        #expect(fits(.timestamptz) { $0.appendText("2024-01-01T00:00:17Z") })
        #expect(fits(.timestamptz) { $0.appendText("2024-01-01T00:00:17.5Z") })
        #expect(!fits(.timestamptz) { $0.appendText("2024-01-01T00:00:17.1234567Z") }) // would round
        #expect(!fits(.timestamptz) { $0.appendText("2024-01-01 00:00:17+01") })
        #expect(!fits(.timestamptz) { $0.appendText("2024-01-01T24:00:00Z") })
        #expect(!fits(.timestamptz) { $0.appendText("2024-01-01T00:00:00.Z") })
        #expect(!fits(.text) { $0.appendNull(); $0.appendNull() }) // more cells than columns
        #expect(PGBinaryType(oid: 23) == nil && PGBinaryType(oid: 1043) == nil && PGBinaryType(oid: 1114) == nil)
    }

    /// The instant arithmetic against the C library's `timegm`, over the whole range.
    @Test func timestampsAndDatesMatchTimegm() {
        let seed = TestSeed.value(default: 1_114)
        var random = SplitMix64(seed: seed)
        for _ in 0..<100_000 {
            let date = Self.dateText(Int.random(in: 1...9999, using: &random), &random)
            let (hour, minute, second) = (Int.random(in: 0...23, using: &random), Int.random(in: 0...59, using: &random), Int.random(in: 0...59, using: &random))
            let micros = Int.random(in: 0...999_999, using: &random)
            let text = date + String(format: "T%02d:%02d:%02d.%06dZ", hour, minute, second, micros)
            let parts = date.split(separator: "-").compactMap { Int($0) }
            var fields = tm()
            fields.tm_year = Int32(parts[0] - 1900)
            fields.tm_mon = Int32(parts[1] - 1)
            fields.tm_mday = Int32(parts[2])
            fields.tm_hour = Int32(hour)
            fields.tm_min = Int32(minute)
            fields.tm_sec = Int32(second)
            let expected = Int64(timegm(&fields)) * 1_000_000 + Int64(micros)
            let got = text.utf8CString.withUnsafeBytes { ValueParser.epochMicroseconds(ofStoredTimestamp: UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
            #expect(got == expected, "seed \(seed): \(text)")
            let days = date.utf8CString.withUnsafeBytes { ValueParser.epochDays(ofDate: UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
            #expect(days.map { Int64($0) * 86_400_000_000 } == expected - Int64((hour * 3600 + minute * 60 + second)) * 1_000_000 - Int64(micros),
                    "seed \(seed): \(date)")
            if got != expected { break }
        }
    }
}

/// Another session retyping a column while a batch is about to go in binary: the batch
/// must be encoded for the type its COPY meets. (Found by an adversarial pass: the
/// catalog was read before the other session's `ALTER … TYPE` committed, the COPY then
/// waited for that commit and stored 8-byte integers as denormal doubles.)
@Suite struct PGBinaryCopyRaceTests {
    final class Outcome: @unchecked Sendable {
        var failure: (any Error)?
    }

    @Test func aRetypeCommittedWhileTheInsertWaitsIsTheTypeItWrites() throws {
        let db = try TestDatabase()
        let other = try PGConnection(conninfo: db.dsn)
        try other.execute("CREATE TABLE public.t (id bigint, n bigint)")
        nonisolated(unsafe) let warehouse = try PostgresWarehouse(connection: try PGConnection(conninfo: db.dsn), schema: "public",
                                                                 readOnly: false, fence: nil)
        nonisolated(unsafe) var batch = RecordBatch()
        defer { batch.free() }
        for id in 1...100 {
            batch.beginRow(line: id + 1)
            batch.appendInteger(Int64(id))
            batch.appendInteger(Int64(id))
        }
        try other.execute("BEGIN")
        try other.execute("ALTER TABLE public.t ALTER COLUMN n TYPE double precision")
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Thread {
            do {
                try warehouse.transaction { try warehouse.insert(batch, into: "t", columns: ["id", "n"], audit: nil) }
            } catch {
                outcome.failure = error
            }
            done.signal()
        }.start()
        // Commit only once the insert waits for the ALTER's lock.
        var waiting = false
        for _ in 0..<200 where !waiting {
            waiting = try db.connection.rows("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") == [["1"]]
            if !waiting { usleep(25_000) }
        }
        #expect(waiting, "the insert never waited for the other session's lock")
        try other.execute("COMMIT")
        done.wait()
        #expect(outcome.failure == nil, "\(String(describing: outcome.failure))")
        #expect(try db.connection.rows("SELECT count(*), sum(n)::bigint, min(n) FROM t") == [["100", "5050", "1"]])
    }
}

import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct CSVReaderTests {
    static let trickyFiles = ["quotes_and_newlines.csv", "bom_lf_no_final_newline.csv", "unicode_headers.csv",
                              "cr_inside.csv", "long_field.csv", "empty_vs_null.csv"]

    /// Python's csv module is the independent oracle: same rows, same fields.
    @Test(arguments: trickyFiles)
    func matchesPythonCSV(file: String) throws {
        let path = FixturePaths.fixture("csv/" + file)
        let script = """
        import csv, json, sys
        with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
            rows = [r for r in csv.reader(f) if r]
        print(json.dumps(rows))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [[String]])
        let outcome = try readAll(path, csv: CSVOptions(nullValues: []))
        #expect(outcome.bad.isEmpty, "\(outcome.bad)")
        let header = CSVReader.uniqueColumnNames(expected[0])
        #expect(outcome.columns == header)
        #expect(outcome.rows.map { $0.map { $0 ?? "<null>" } } == Array(expected.dropFirst()))
    }

    @Test func headerNamesAreKeptAndDisambiguated() throws {
        let outcome = try readAll(FixturePaths.fixture("csv/unicode_headers.csv"))
        #expect(outcome.columns == ["città", "名前", "quoted \"head\"", "column_4", "city"])
        #expect(CSVReader.uniqueColumnNames(["a", "A", "", "a", "a_2"]) == ["a", "A_2", "column_3", "a_3", "a_2_2"])
    }

    @Test func nullValuesMatchUnquotedFieldsOnly() throws {
        let outcome = try readAll(FixturePaths.fixture("csv/empty_vs_null.csv"))
        #expect(outcome.rows == [[nil, "", "x"], ["", nil, "y"]])
        let custom = try readAll(FixturePaths.fixture("csv/empty_vs_null.csv"), csv: CSVOptions(nullValues: ["x", ""]))
        #expect(custom.rows[0] == [nil, "", nil])
    }

    @Test func lineNumbersCountPhysicalLinesIncludingTheHeader() throws {
        let outcome = try readAll(FixturePaths.fixture("csv/quotes_and_newlines.csv"))
        #expect(outcome.lines == [2, 3, 6, 7, 8])
    }

    @Test func headerlessFilesGetNumberedColumns() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("h.tsv", "1\tx\n2\ty\n")
        let outcome = try readAll(path, csv: CSVOptions(header: false))
        #expect(outcome.columns == ["column_1", "column_2"])
        #expect(outcome.rows == [["1", "x"], ["2", "y"]])
    }

    @Test func raggedRowsAreBadRecordsWithTheirLines() throws {
        let outcome = try readAll(FixturePaths.fixture("bad/ragged.csv"))
        #expect(outcome.rows == [["1", "2", "3"], ["10", "11", "12"]])
        #expect(outcome.bad.map(\.lineNumber) == [3, 4])
        #expect(outcome.bad.map(\.recordNumber) == [2, 3])
        #expect(outcome.bad[0].reason.contains("expected 3 fields, found 2"))
        #expect(outcome.bad[0].rawText == "4,5\n")
    }

    @Test func anUnterminatedQuoteIsOneBadRecord() throws {
        let outcome = try readAll(FixturePaths.fixture("bad/unterminated_quote.csv"))
        #expect(outcome.rows == [["1", "2"]])
        #expect(outcome.bad.count == 1)
        #expect(outcome.bad[0].lineNumber == 3)
        #expect(outcome.bad[0].errorType == "unterminated_quote")
    }

    @Test func invalidUTF8AndNULAreBadRecordsNotCrashes() throws {
        let outcome = try readAll(FixturePaths.fixture("bad/invalid_utf8.csv"))
        #expect(outcome.rows == [["1", "ok"], ["5", "fine"]])
        #expect(outcome.bad.map(\.lineNumber) == [3, 4, 5])
        #expect(outcome.bad.allSatisfy { $0.errorType == "invalid_utf8" })
        let nul = try readAll(FixturePaths.fixture("bad/nul_bytes.csv"))
        #expect(nul.rows == [["2", "z"]])
        #expect(nul.bad.map(\.errorType) == ["nul_byte"])
    }

    @Test func binaryJunkEmptyAndHeaderOnlyFilesDoNotTrap() throws {
        // Binary junk has no usable header line: the file fails with a message saying so.
        #expect {
            _ = try readAll(FixturePaths.fixture("bad/binary_junk.csv"))
        } throws: { error in
            guard case .badHeader = error as? ReaderError else { return false }
            return (error as? ReaderError)?.message.contains("line 1") == true
        }
        // Without a header line, the same bytes are bad records, never a trap.
        let headerless = try readAll(FixturePaths.fixture("bad/binary_junk.csv"), csv: CSVOptions(header: false))
        #expect(!headerless.bad.isEmpty)
        let empty = try readAll(FixturePaths.fixture("bad/empty.csv"))
        #expect(empty.rows.isEmpty && empty.bad.isEmpty && empty.columns.isEmpty)
        let headerOnly = try readAll(FixturePaths.fixture("bad/header_only.csv"))
        #expect(headerOnly.columns == ["a", "b", "c"])
        #expect(headerOnly.rows.isEmpty)
    }

    @Test func aHugeSingleLineBecomesOneBadRecordAndReadingGoesOn() throws {
        let folder = try TemporaryFolder()
        var content = "a,b\n1,\"runaway"
        content += String(repeating: "z", count: 300_000)
        content += "\n2,ok\n"
        let path = try folder.write("big.csv", content)
        let outcome = try readAll(path, maxRecordBytes: 100_000)
        #expect(outcome.bad.count == 1)
        #expect(outcome.bad[0].errorType == "record_too_large")
        #expect(outcome.bad[0].lineNumber == 2)
        #expect(outcome.bad[0].raw.count <= BadRecord.rawLimit)
        #expect(outcome.rows == [["2", "ok"]])
    }

    @Test func recordsSpanningChunkBoundariesParseTheSame() throws {
        let folder = try TemporaryFolder()
        var content = "id,text\n"
        for index in 0..<2000 { content += "\(index),\"v\(index) \"\"q\"\",\r\nline\"\n" }
        let path = try folder.write("chunks.csv", content)
        let source = try FileByteSource(path: path)
        let reader = try CSVReader(source: source, path: path, options: .init(chunkSize: 4096))
        var count = 0
        while case .record = try reader.next() {
            let text = reader.field(1).map { String(decoding: $0, as: UTF8.self) }
            #expect(text == "v\(count) \"q\",\r\nline")
            #expect(reader.lineNumber == 2 + count * 2)
            count += 1
        }
        #expect(count == 2000)
    }

    /// Property: random tables written with random quoting and line ends read back identically.
    @Test func randomTablesRoundTrip() throws {
        let seed = TestSeed.value(default: 4_181)
        var random = SplitMix64(seed: seed)
        let alphabet: [String] = ["a", "b", "Z", " ", ",", "\"", "\n", "\r\n", "é", "😀", "1", "x"]
        let folder = try TemporaryFolder()
        for trial in 0..<40 {
            let columns = Int.random(in: 1...6, using: &random)
            let rows = (0..<Int.random(in: 1...30, using: &random)).map { _ in
                (0..<columns).map { _ in (0..<Int.random(in: 1...8, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined() }
            }
            let header = (0..<columns).map { "c\($0)" }
            let lineEnd = Bool.random(using: &random) ? "\n" : "\r\n"
            func quote(_ field: String) -> String {
                let needs = field.contains(",") || field.contains("\"") || field.contains("\n") || field.contains("\r")
                return needs || Bool.random(using: &random) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
            }
            let text = ([header] + rows).map { $0.map(quote).joined(separator: ",") }.joined(separator: lineEnd)
                + (Bool.random(using: &random) ? lineEnd : "")
            let path = try folder.write("r\(trial).csv", text)
            let outcome = try readAll(path, csv: CSVOptions(nullValues: []))
            #expect(outcome.bad.isEmpty, "seed \(seed) trial \(trial)")
            #expect(outcome.rows.map { $0.map { $0 ?? "" } } == rows, "seed \(seed) trial \(trial): \(text.debugDescription)")
        }
    }
}

@Suite struct HugeLineTests {
    /// A 100 MB single line (no line break at all) is one bad record under the default
    /// 64 MiB cap, and the reader neither traps nor keeps more than the cap in memory.
    @Test func aHundredMegabyteLineIsOneBadRecord() throws {
        let folder = try TemporaryFolder()
        let path = folder.url("huge.csv")
        _ = FileManager.default.createFile(atPath: path, contents: Data("a,b\n1,".utf8))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        let chunk = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<100 { handle.write(chunk) }
        try handle.close()
        let outcome = try readAll(path)
        #expect(outcome.rows.isEmpty)
        #expect(outcome.bad.count == 1)
        #expect(outcome.bad.first?.errorType == "record_too_large")
        #expect(outcome.bad.first?.lineNumber == 2)
    }
}

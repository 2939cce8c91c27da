import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

@Suite struct GzipAndJSONLTests {
    @Test func gzipIsReadTransparentlyIncludingConcatenatedMembers() throws {
        let outcome = try readAll(FixturePaths.fixture("landing/transactions/transactions_2026-11-03.csv.gz"))
        #expect(outcome.rows.count == 2)
        let folder = try TemporaryFolder()
        let path = folder.url("multi.csv.gz")
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "printf 'a,b\\n1,2\\n' | gzip > \(path) && printf '3,4\\n' | gzip >> \(path)"]
        try shell.run()
        shell.waitUntilExit()
        #expect(try readAll(path).rows == [["1", "2"], ["3", "4"]])
    }

    @Test func truncatedAndFakeGzipFailTheFile() throws {
        #expect {
            _ = try readAll(FixturePaths.fixture("bad/truncated.csv.gz"))
        } throws: { error in
            guard case .truncatedGzip = error as? ReaderError else { return false }
            return (error as? ReaderError)?.kind == .data
        }
        #expect {
            _ = try readAll(FixturePaths.fixture("bad/not_gzip.csv.gz"))
        } throws: { error in
            guard case .notGzip = error as? ReaderError else { return false }
            return true
        }
    }

    @Test func jsonLinesBecomeColumnsInFirstSeenOrder() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("a.jsonl", """
        {"id": 1, "name": "Zoë \\"z\\"", "tags": ["a", {"b" : 2}], "big": 123456789012345678901234567890}
        {"name": "line\\nbreak", "id": 2, "extra": true, "snow": "\\u2603\\ud83d\\ude00"}

        {"id": 3, "name": null}
        """)
        let outcome = try readAll(path)
        #expect(outcome.columns == ["id", "name", "tags", "big", "extra", "snow"])
        #expect(outcome.rows[0] == ["1", "Zoë \"z\"", "[\"a\",{\"b\":2}]", "123456789012345678901234567890"])
        #expect(outcome.rows[1] == ["2", "line\nbreak", nil, nil, "true", "☃😀"])
        #expect(outcome.rows[2] == ["3", nil, nil, nil, nil, nil])
        #expect(outcome.lines == [1, 2, 4])
    }

    @Test func badJSONLinesAreBadRecords() throws {
        let outcome = try readAll(FixturePaths.fixture("bad/bad_lines.jsonl"))
        #expect(outcome.rows.count == 2)
        #expect(outcome.bad.map(\.lineNumber) == [2, 3, 6])
        #expect(outcome.bad.map(\.recordNumber) == [2, 3, 5])
        #expect(outcome.bad[0].reason.contains("not a JSON object"))
    }

    @Test func formatComesFromTheExtension() throws {
        #expect(try ReaderFactory.format(for: "/x/a.CSV.gz", configured: nil) == .csv)
        #expect(try ReaderFactory.format(for: "/x/a.ndjson", configured: nil) == .jsonl)
        #expect(try ReaderFactory.format(for: "/x/a.tsv", configured: nil) == .tsv)
        #expect(try ReaderFactory.format(for: "/x/a.dat", configured: .csv) == .csv)
        #expect(throws: ReaderError.self) { try ReaderFactory.format(for: "/x/a.dat", configured: nil) }
    }
}

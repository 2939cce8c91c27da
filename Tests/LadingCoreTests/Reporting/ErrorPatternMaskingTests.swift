import Foundation
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// Issue 13: error patterns group failures by masking the values that vary, and only
/// those: a number is masked as a whole token, never the digits inside a word.
@Suite struct ErrorPatternMaskingTests {
    @Test(arguments: [
        ("the key (12) appears twice (lines 2 and 3); an SCD2 file must have one row per key",
         "the key (N) appears twice (lines N and N); an SCD2 file must have one row per key"),
        ("10000 of 52497 records are bad, above max_bad_record_ratio 0.0",
         "N of N records are bad, above max_bad_record_ratio N"),
        ("column col2 of utf8 text in x86_64 build v2: -3.5 is not an integer",
         "column col2 of utf8 text in x86_64 build v2: -N is not an integer"),
        ("line 7: expected 2 fields, found 3", "line N: expected N fields, found N"),
        ("the snapshot of 2026-01-02T05:30:00.123Z sorts before 2026-01-03",
         "the snapshot of <time> sorts before <time>"),
    ])
    func numbersAreMaskedOnlyAsWholeTokens(message: String, pattern: String) {
        #expect(MonitorReport.normalise(message) == pattern)
    }

    @Test func fiftyFilesFailingTheSameWayAreOnePattern() {
        func record(_ path: String, _ message: String) -> FileRecord {
            FileRecord(tableName: "dim", filePath: path, fileSize: 1, fileModifiedTime: "", contentSHA256: nil, status: .failed,
                       processingStartTime: nil, processingEndTime: nil, errorMessage: message, errorType: "data", retryCount: 1,
                       recordsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, batchID: nil, runID: nil, changeDetected: nil,
                       createdAt: "", updatedAt: "")
        }
        let failures = (1...50).map { record("/l/dim/s\($0).csv", "/l/dim/s\($0).csv: the key (\($0)) appears twice (lines 2 and \($0 + 2))") }
        let patterns = MonitorReport.patterns(failures)
        #expect(patterns.count == 1)
        #expect(patterns.first?.pattern == "<file>: the key (N) appears twice (lines N and N)")
        #expect(patterns.first?.count == 50)
    }
}

import Foundation
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
import LadingTestSupport

/// The prefetcher must hand over exactly what reading in the caller's thread would:
/// the same batches in file order, the plan as of each batch, and a reading error in
/// place of the batch it stopped, after every batch before it.
@Suite struct BatchPrefetcherTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    func table(format: String = "csv") throws -> TableConfig {
        try folder.write("lading.yaml", "tables:\n  - table_name: t\n    source_path: ./landing\n    format: \(format)\n")
        return try #require(try ConfigLoader.load(path: folder.url("lading.yaml")).table(named: "t"))
    }

    /// Every batch the prefetcher hands over, as (records, first value of each row), and the error it ended with.
    func drain(_ path: String, table: TableConfig, batchSize: Int, skipThrough: Int64 = 0, partBytes: Int? = nil, inline: Bool = false,
               ends: UnsafeMutablePointer<[Bool]>? = nil, textFrom: Int = .max) throws
        -> (batches: [(records: Int, ids: [Int64], finished: Bool, names: [String], newColumns: [String])], error: (any Error)?) {
        let reader = try ReaderFactory.open(path: path, table: table, maxRecordBytes: 1 << 20)
        let plan = ColumnPlan.make(readerColumns: reader.columnNames, existing: [], declared: [], inferred: { $0 >= textFrom ? .text : .integer }, reserved: [])
        let filler = BatchFiller(table: table, batchSize: batchSize, file: path, skipThrough: skipThrough, reserved: [],
                                 tableExists: false, nonNullColumns: [])
        let prefetcher = BatchPrefetcher(filler: filler, reader: reader, plan: plan, partBytes: partBytes)
        prefetcher.start(inline: inline)
        defer { prefetcher.finish() }
        var batches: [(records: Int, ids: [Int64], finished: Bool, names: [String], newColumns: [String])] = []
        while true {
            let filled: BatchPrefetcher.Filled
            do { filled = try prefetcher.next() } catch { return (batches, error) }
            defer { prefetcher.recycle(filled.batch) }
            let ids = (0..<filled.batch.rowCount).map { filled.batch.cells(ofRow: $0).first?.payload ?? -1 }
            batches.append((filled.batch.records, ids, filled.finished, filled.names, filled.newColumns.map(\.name)))
            ends?.pointee.append(filled.endsBatch)
            if filled.finished { return (batches, nil) }
        }
    }

    @Test func batchesArriveInFileOrderWithTheLastOneFinished() throws {
        let path = try folder.write("a.csv", "id,v\n" + (1...25).map { "\($0),\($0 * 2)\n" }.joined())
        let (batches, error) = try drain(path, table: try table(), batchSize: 10)
        #expect(error == nil, "\(String(describing: error))")
        #expect(batches.map(\.records) == [10, 10, 5])
        #expect(batches.flatMap(\.ids) == (1...25).map(Int64.init))
        #expect(batches.map(\.finished) == [false, false, true])
    }

    /// Issue 18: a batch whose rows pass `partBytes` comes in parts; `endsBatch` still
    /// falls every `batch_size` records (where checkpoints go), and the rows are the same.
    @Test(arguments: [false, true])
    func wideRowsComeInPartsThatEndWhereTheBatchEnds(inline: Bool) throws {
        let wide = String(repeating: "x", count: 3_000)
        let path = try folder.write("w.csv", "id,v\n" + (1...25).map { "\($0),\(wide)\n" }.joined())
        var ends: [Bool] = []
        let (batches, error) = try drain(path, table: try table(), batchSize: 10, partBytes: 10_000, inline: inline, ends: &ends, textFrom: 1)
        #expect(error == nil, "\(String(describing: error))")
        #expect(batches.flatMap(\.ids) == (1...25).map(Int64.init))
        #expect(batches.count > 3, "rows of 3 KB in parts of 10 KB: several parts per batch")
        // Records read up to each part that ends a batch: 10, 20, then the end of the file.
        var total = 0
        var boundaries: [Int] = []
        for (batch, endsBatch) in zip(batches, ends) {
            total += batch.records
            if endsBatch { boundaries.append(total) }
        }
        #expect(boundaries == [10, 20, 25])
        #expect(batches.map(\.finished) == Array(repeating: false, count: batches.count - 1) + [true])
    }

    @Test func inlineReadingGivesTheSameBatches() throws {
        let path = try folder.write("a.csv", "id,v\n" + (1...25).map { "\($0),\($0 * 2)\n" }.joined())
        let (batches, error) = try drain(path, table: try table(), batchSize: 10, inline: true)
        #expect(error == nil)
        #expect(batches.map(\.records) == [10, 10, 5])
        #expect(batches.flatMap(\.ids) == (1...25).map(Int64.init))
    }

    @Test func aResumeSkipsTheCommittedRecords() throws {
        let path = try folder.write("a.csv", "id,v\n" + (1...25).map { "\($0),\($0 * 2)\n" }.joined())
        let (batches, _) = try drain(path, table: try table(), batchSize: 10, skipThrough: 20)
        #expect(batches.flatMap(\.ids) == (21...25).map(Int64.init))
    }

    @Test func aReadingErrorComesAfterEveryBatchBeforeIt() throws {
        // A gzip stream cut short: the batches read before the cut arrive first, then the error.
        let plain = "id,v\n" + (1...300_000).map { "\($0),\($0)\n" }.joined()
        let whole = try folder.write("whole.csv", plain)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", "-f", whole]
        try gzip.run()
        gzip.waitUntilExit()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole + ".gz"))
        let cut = folder.url("cut.csv.gz")
        try bytes.prefix(bytes.count * 3 / 4).write(to: URL(fileURLWithPath: cut))
        let (batches, error) = try drain(cut, table: try table(), batchSize: 1_000)
        #expect(batches.count > 2)
        #expect(batches.allSatisfy { !$0.finished })
        #expect(batches.flatMap(\.ids) == (1...Int64(batches.count * 1_000)).map { $0 })
        guard case .truncatedGzip = error as? ReaderError else {
            Issue.record("expected a truncated gzip error, got \(String(describing: error))")
            return
        }
    }

    @Test func aJSONLinesKeyFirstSeenInALaterBatchIsReportedWithThatBatch() throws {
        let lines = (1...30).map { $0 == 25 ? "{\"id\": \($0), \"late\": \"x\"}" : "{\"id\": \($0)}" }
        let path = try folder.write("a.jsonl", lines.joined(separator: "\n") + "\n")
        let (batches, error) = try drain(path, table: try table(format: "jsonl"), batchSize: 10)
        #expect(error == nil, "\(String(describing: error))")
        // JSON Lines columns all come from records; the end of the file is a batch of its own.
        #expect(batches.map(\.newColumns) == [["id"], [], ["late"], []])
        #expect(batches.map(\.names) == [["id"], ["id"], ["id", "late"], ["id", "late"]])
    }
}

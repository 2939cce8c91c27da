import Foundation
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// Issue 12, defect 14: audit values (`_source_file` is a file's identity) are bound
/// whole, however long; they used to be cut to 16 KiB / 3 = 5,461 bytes each.
@Suite struct BatchInserterTests {
    @Test func longAuditValuesAreNeverTruncated() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (a INTEGER, _source_file TEXT, _load_timestamp TEXT, _batch_id TEXT)")
        let inserter = BatchInserter()
        let path = "/landing/" + String(repeating: "ü", count: 9_000) + ".csv"
        inserter.setTrailing([path, "2026-11-30T00:00:00Z", "batch-" + String(repeating: "b", count: 20_000)], names: WarehouseSchema.auditColumns)
        var batch = RecordBatch()
        defer { batch.free() }
        for value in 1...3 {
            batch.beginRow(line: value + 1)
            batch.appendInteger(Int64(value))
        }
        try inserter.insert(batch, into: "t", columns: ["a"], db: db)
        let rows = try db.rows("SELECT count(*), min(_source_file) = max(_source_file), max(length(_source_file)), max(length(_batch_id)) FROM t")
        #expect(rows.first?.map(\.integerValue) == [3, 1, Int64(path.count), 20_006])
        #expect(try db.rows("SELECT _source_file FROM t LIMIT 1").first?.first?.textValue == path)
    }
}

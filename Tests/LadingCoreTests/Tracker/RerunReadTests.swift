import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingStore
@testable import LadingSQLite

/// The two reads a rerun makes over every tracked file (issue 18), SQLite's byte-level
/// merges, each against the plain implementation every backend has (whole records, key
/// sets), on seeded random trackers and ledgers.
@Suite struct RerunReadTests {
    private static let names = ["a", "b", "é", "e\u{301}", "Z", "_", "0", "9", "part-", "2024-01-0", "😀", "."]

    private struct Night {
        let folder: TemporaryFolder
        let tracker: SQLiteTracker
        let warehouse: SQLiteWarehouse
        var log: [String] = []

        init() throws {
            folder = try TemporaryFolder()
            tracker = try SQLiteTracker(path: folder.url("tracker.sqlite"), clock: ManualClock(Date(timeIntervalSince1970: 1_795_000_000)))
            warehouse = try SQLiteWarehouse(path: folder.url("warehouse.sqlite"))
        }
    }

    private func randomPath(_ random: inout SplitMix64) -> String {
        "/landing/" + (0..<Int.random(in: 1...4, using: &random)).map { _ in Self.names.randomElement(using: &random)! }.joined() + ".csv"
    }

    @Test func registrationMergeAgreesWithWholeRecords() throws {
        let seed = TestSeed.value(default: 1_812)
        var random = SplitMix64(seed: seed)
        for round in 0..<40 {
            var night = try Night()
            var seen: [TrackedFiles.Seen] = []
            for path in Set((0..<Int.random(in: 0...60, using: &random)).map { _ in randomPath(&random) }) {
                let size = Int64.random(in: 0...3, using: &random)
                let time = "2026-11-30T00:00:0\(Int.random(in: 0...2, using: &random))Z"
                if Bool.random(using: &random) {
                    // Tracked: with the same or another size and time, in any status.
                    let status = ["PENDING", "PROCESSING", "COMPLETED", "COMPLETED", "FAILED"].randomElement(using: &random)!
                    let trackedSize = Bool.random(using: &random) ? size : size + 1
                    let trackedTime = Bool.random(using: &random) ? time : time + "x"
                    try night.tracker.register(table: "t", file: path, size: trackedSize, modifiedTime: trackedTime, sha256: nil)
                    try night.tracker.db.run("UPDATE file_processing_tracker SET status = ? WHERE file_path = ?", [.text(status), .text(path)])
                    night.log.append("\(path) \(status) \(trackedSize) \(trackedTime)")
                }
                // The same path tracked under another table never counts.
                if Int.random(in: 0..<8, using: &random) == 0 {
                    try night.tracker.register(table: "u", file: path, size: size, modifiedTime: time, sha256: nil)
                    try night.tracker.db.run("UPDATE file_processing_tracker SET status = 'COMPLETED' WHERE table_name = 'u' AND file_path = ?", [.text(path)])
                }
                seen.append(TrackedFiles.Seen(path: path, size: size, modifiedTime: time))
            }
            // Name order most rounds, any order (order_by: modified_time) the others.
            if round % 3 == 0 { seen.shuffle(using: &random) } else { seen.sort { Paths.precedesByBytes($0.path, $1.path) } }
            let merged = try night.tracker.trackedFiles(table: "t", seen: seen)
            let plain = TrackedFiles(seen, records: try night.tracker.records(table: "t"))
            #expect(merged.completed == plain.completed, "seed \(seed) round \(round): \(night.log)")
            #expect(Set(merged.others.keys) == Set(plain.others.keys), "seed \(seed) round \(round): \(night.log)")
            if merged.completed != plain.completed { return }
        }
    }

    @Test func reconcileMergeAgreesWithKeySets() throws {
        let seed = TestSeed.value(default: 2_018)
        var random = SplitMix64(seed: seed)
        for round in 0..<40 {
            var night = try Night()
            for _ in 0..<Int.random(in: 0...50, using: &random) {
                let table = ["t", "u", "t2"].randomElement(using: &random)!
                let path = randomPath(&random)
                let ledger = Int.random(in: 0..<3, using: &random)   // none, partial, complete
                if ledger > 0 {
                    try night.warehouse.writeLedger(LedgerRow(
                        tableName: table, sourceFile: path, batchID: "b", contentSHA256: nil, status: ledger == 2 ? .complete : .partial,
                        checkpoint: 0, checkpointLine: 0, stagingTable: nil, recordsRead: 0, rowsLoaded: 0, rowsQuarantined: 0,
                        fileSize: nil, fileModifiedTime: nil, boundary: nil, committedAt: "c"))
                }
                let status = ["-", "PENDING", "PROCESSING", "COMPLETED", "FAILED"].randomElement(using: &random)!
                if status != "-" {
                    try night.tracker.register(table: table, file: path, size: 1, modifiedTime: "m", sha256: nil)
                    try night.tracker.db.run("UPDATE file_processing_tracker SET status = ? WHERE table_name = ? AND file_path = ?",
                                             [.text(status), .text(table), .text(path)])
                }
                night.log.append("\(table) \(path) ledger \(ledger) tracker \(status)")
            }
            let merged = try #require(try night.tracker.unsettledCompleteFiles(in: night.warehouse)).map { "\($0.table)|\($0.file)" }
            // The plain comparison, by UTF-8 (the names include é in both normal forms).
            let settled = try night.tracker.settledFiles().mapValues { Set($0.map { Array($0.utf8) }) }
            let plain = try night.warehouse.completeFiles().flatMap { table, files in
                files.filter { !(settled[table]?.contains(Array($0.utf8)) ?? false) }.map { "\(table)|\($0)" }
            }
            let bytes = { (keys: [String]) in keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) } }
            #expect(bytes(merged) == bytes(plain), "seed \(seed) round \(round): \(night.log)")
            if bytes(merged) != bytes(plain) { return }
        }
    }
}

import Foundation
import Logging
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// An in-memory `Warehouse`: recovery must work through the protocol alone.
final class MemoryWarehouse: LedgerStore {
    let location = ":memory:"
    var ledger: [String: LedgerRow] = [:]
    var rows: [String: [String]] = [:]  // table → _source_file of each row
    var quarantined: [String: Int] = [:]
    var transactions = 0
    var runs: [String: RunRecord] = [:]

    func recordRun(_ run: RunRecord) throws { runs[run.runID] = run }
    func runRecords() throws -> [RunRecord] { runs.values.sorted { $0.startedAt < $1.startedAt } }

    func ledgerRows(table: String?) throws -> [LedgerRow] {
        ledger.values.filter { table == nil || $0.tableName == table }.sorted { $0.sourceFile < $1.sourceFile }
    }
    func ledgerRow(table: String, file: String) throws -> LedgerRow? { ledger[table + "|" + file] }
    func markForReload(table: String, file: String) throws {
        ledger[table + "|" + file]?.status = .partial
        ledger[table + "|" + file]?.checkpoint = 0
        ledger[table + "|" + file]?.stagingTable = nil
    }
    func deleteLedger(table: String, file: String) throws { ledger[table + "|" + file] = nil }
    func writeLedger(_ row: LedgerRow) throws { ledger[row.tableName + "|" + row.sourceFile] = row }
    func tableExists(_ table: String) throws -> Bool { rows[table] != nil }
    func dropTable(_ name: String) throws { rows[name] = nil }
    func orphanStagingTables() throws -> [String] { [] }
    func deleteRows(in table: String, file: String?) throws -> Int {
        let before = rows[table]?.count ?? 0
        rows[table] = rows[table]?.filter { file != nil && $0 != file }
        return before - (rows[table]?.count ?? 0)
    }
    func deleteQuarantine(table: String, file: String) throws { quarantined[file] = nil }
    /// All or nothing, like the real one: a throw restores what the body changed.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        transactions += 1
        let saved = (ledger, rows, quarantined)
        do {
            return try body()
        } catch {
            (ledger, rows, quarantined) = saved
            throw error
        }
    }
    func rowCount(in table: String, file: String) throws -> Int64 { Int64(rows[table]?.filter { $0 == file }.count ?? 0) }
    func writeReloadMarker(table: String, file: String) throws {
        ledger[table + "|" + file] = LedgerRow(tableName: table, sourceFile: file, batchID: "reload", contentSHA256: nil, status: .partial,
                                               checkpoint: 0, checkpointLine: 0, stagingTable: nil, recordsRead: 0, rowsLoaded: 0,
                                               rowsQuarantined: 0, fileSize: nil, fileModifiedTime: nil, boundary: nil, committedAt: "")
    }
    func integrityProblems(quick: Bool) throws -> [String]? { nil }

    func complete(_ file: String, table: String = "orders", rows count: Int) {
        ledger[table + "|" + file] = LedgerRow(tableName: table, sourceFile: file, batchID: "b-" + file, contentSHA256: "sha", status: .complete,
                                               checkpoint: Int64(count), checkpointLine: 0, stagingTable: nil, recordsRead: Int64(count),
                                               rowsLoaded: Int64(count), rowsQuarantined: 0, fileSize: 1, fileModifiedTime: "m", boundary: nil,
                                               committedAt: "now")
        rows[table, default: []] += Array(repeating: file, count: count)
    }
}

@Suite struct WarehouseProtocolTests {
    let folder: TemporaryFolder
    let tracker: SQLiteTracker
    let warehouse = MemoryWarehouse()

    init() throws {
        folder = try TemporaryFolder()
        tracker = try SQLiteTracker(path: folder.url("tracker.sqlite"), clock: ManualClock(Date(timeIntervalSince1970: 1_795_000_000)))
    }

    func table() throws -> TableConfig {
        try folder.write("lading.yaml", "tables:\n  - table_name: orders\n    source_path: ./landing\n")
        return try #require(try ConfigLoader.load(path: folder.url("lading.yaml")).table(named: "orders"))
    }

    @Test func reconcileAdoptsCompleteLedgerRowsFromAnyWarehouse() throws {
        warehouse.complete("/l/a.csv", rows: 3)
        try Reconciler(tracker: tracker, warehouse: warehouse, runID: "run-1", logger: Logger(label: "test")).reconcile()
        #expect(try tracker.record(table: "orders", file: "/l/a.csv")?.status == .completed)
        #expect(try tracker.record(table: "orders", file: "/l/a.csv")?.rowsLoaded == 3)
    }

    @Test func aFailedTransactionChangesNothing() throws {
        warehouse.complete("/l/a.csv", rows: 3)
        #expect(throws: RecoveryError.self) {
            try warehouse.transaction {
                _ = try warehouse.deleteRows(in: "orders", file: "/l/a.csv")
                try warehouse.deleteLedger(table: "orders", file: "/l/a.csv")
                throw RecoveryError.notTracked(file: "x")
            }
        }
        #expect(warehouse.rows["orders"]?.count == 3)
        #expect(try warehouse.ledgerRow(table: "orders", file: "/l/a.csv") != nil)
    }

    @Test func resetMarksFilesForReloadAndKeepsRowsUntilTheReload() throws {
        let table = try table()
        let a = try folder.write("landing/a.csv", "x\n1\n"), b = try folder.write("landing/b.csv", "x\n1\n")
        warehouse.complete(a, rows: 2)
        warehouse.complete(b, rows: 5)
        warehouse.complete("/gone/c.csv", rows: 1)
        try Reconciler(tracker: tracker, warehouse: warehouse, runID: "run-1", logger: Logger(label: "test")).reconcile()
        let reset = StateReset(tracker: tracker, warehouse: warehouse)
        let outcome = try reset.reset(table)
        #expect(outcome.filesReset == [a, b].sorted())
        #expect(outcome.keptMissing == ["/gone/c.csv"])
        #expect(try warehouse.ledgerRow(table: "orders", file: a)?.status == .partial)
        #expect(try warehouse.ledgerRow(table: "orders", file: "/gone/c.csv")?.status == .complete)
        #expect(warehouse.rows["orders"]?.count == 8, "rows stay until the reload replaces them")
        #expect(try tracker.record(table: "orders", file: a) == nil)
        let single = try reset.reset(file: b, in: table)
        #expect(single.filesReset == [b])
        #expect(try warehouse.ledgerRow(table: "orders", file: b)?.status == .partial, "a marker: the reload replaces the rows")
        #expect(warehouse.rows["orders"]?.count == 8)
        // A file gone from disk is refused: its rows could not come back.
        #expect(throws: RecoveryError.self) { try reset.reset(file: "/gone/c.csv", in: table) }
        #expect(try warehouse.ledgerRow(table: "orders", file: "/gone/c.csv")?.status == .complete)
        #expect(warehouse.rows["orders"]?.count == 8)
    }
}

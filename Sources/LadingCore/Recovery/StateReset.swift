import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `reset-state` (SPEC §7): makes files loadable again without ever duplicating rows.
///
/// An append table's rows are not deleted up front: each file's ledger row becomes the
/// reload marker and its tracker row is forgotten, so the next run registers the file
/// again and its load replaces the earlier rows in one transaction. A file gone from
/// disk keeps its state (its rows could not come back). SCD2 tables are replayed
/// aside instead (`TableReplay`), since history cannot lose a snapshot from its middle.
///
/// The tracker is changed before the warehouse: a crash in between leaves complete
/// ledger rows without tracker rows, which the next run adopts as COMPLETED, so a
/// half-done reset is a reset not done, never a duplicate.
public struct StateReset {
    public struct Outcome: Codable, Sendable {
        public var table: String
        public var filesReset: [String] = []
        public var keptMissing: [String] = []
        public var replay = false
        public var rowsRemoved = 0
        public var retryCountsReset = 0
        /// `--failed-only`: only retry counts changed.
        public var failedOnly = false
        /// `--dry-run`: what a reset would do; nothing was changed.
        public var dryRun = false

        enum CodingKeys: String, CodingKey {
            case table, failedOnly = "failed_only", dryRun = "dry_run"
            case filesReset = "files_reset"
            case keptMissing = "kept_missing_files"
            case replay
            case rowsRemoved = "rows_removed"
            case retryCountsReset = "retry_counts_reset"
        }
    }

    let tracker: any FileTracker
    let warehouse: any LedgerStore
    let fileExists: (String) -> Bool

    public init(tracker: any FileTracker, warehouse: any LedgerStore, fileExists: @escaping (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) {
        self.tracker = tracker
        self.warehouse = warehouse
        self.fileExists = fileExists
    }

    /// On disk where it was found, or archived after load (SPEC §4: a reset reads it there).
    func available(_ file: String, in table: TableConfig) throws -> Bool {
        if fileExists(file) { return true }
        return AfterLoad.location(of: file, record: try tracker.record(table: table.name, file: file)) != nil
    }

    /// An archived file goes back to where it was found before the tracker forgets it
    /// (the forgotten row is the only record of where it went); the run that loads it
    /// again archives it again.
    func restoreArchived(_ file: String, in table: TableConfig) throws {
        guard !fileExists(file), let record = try tracker.record(table: table.name, file: file),
              let archived = record.archivedPath, !archived.isEmpty, FileManager.default.fileExists(atPath: archived) else { return }
        try FileManager.default.createDirectory(atPath: Paths.directory(of: file), withIntermediateDirectories: true)
        try AfterLoad.move(archived, to: file)
    }

    public func resetFailedRetries(_ table: TableConfig) throws -> Outcome {
        var outcome = Outcome(table: table.name)
        outcome.failedOnly = true
        outcome.retryCountsReset = try tracker.resetRetryCounts(table: table.name)
        return outcome
    }

    /// Every file of an append table (tracked or in the ledger). SCD2 tables are
    /// replayed instead (`TableReplay.reset`).
    public func reset(_ table: TableConfig) throws -> Outcome {
        let files = try knownFiles(of: table)
        var outcome = Outcome(table: table.name)
        for file in files {
            if try available(file, in: table) { outcome.filesReset.append(file) } else { outcome.keptMissing.append(file) }
        }
        for file in outcome.filesReset { try restoreArchived(file, in: table) }
        try tracker.transaction {
            for file in outcome.filesReset { try tracker.forget(table: table.name, file: file) }
        }
        try warehouse.transaction {
            for file in outcome.filesReset { try warehouse.markForReload(table: table.name, file: file) }
        }
        return outcome
    }

    /// One file: it loads again on the next run, and that load replaces its rows in
    /// the transaction that writes the new ones (an SCD2 table replays whole, since
    /// history cannot lose one snapshot from its middle). A file gone from disk is
    /// refused: its rows could not come back, so they are never removed.
    public func reset(file: String, in table: TableConfig) throws -> Outcome {
        guard try available(file, in: table) else { throw RecoveryError.fileGone(table: table.name, file: file) }
        var outcome = Outcome(table: table.name)
        try markForReload(file: file, in: table)
        outcome.filesReset = [file]
        return outcome
    }

    /// The reload marker for one append file: the tracker forgets it (the next run
    /// registers it as new) and its ledger row becomes `partial` at checkpoint 0, so the
    /// load that follows deletes the earlier rows in its own commit. Until then the old
    /// rows stay: a reload that fails leaves them in place (SPEC §6).
    func markForReload(file: String, in table: TableConfig) throws {
        try restoreArchived(file, in: table)
        try tracker.forget(table: table.name, file: file)
        try warehouse.transaction {
            if try warehouse.ledgerRow(table: table.name, file: file) != nil {
                try warehouse.markForReload(table: table.name, file: file)
            } else if try warehouse.tableExists(table.name), try warehouse.rowCount(in: table.name, file: file) > 0 {
                // Rows without a ledger row: a marker makes the reload replace them.
                try warehouse.writeReloadMarker(table: table.name, file: file)
            }
        }
    }

    func knownFiles(of table: TableConfig) throws -> [String] {
        let tracked = try tracker.records(table: table.name).map(\.filePath)
        let ledger = try warehouse.ledgerRows(table: table.name).map(\.sourceFile)
        return Array(Set(tracked).union(ledger)).sorted()
    }
}

import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Heals what a crash between the warehouse commit and the tracker update left
/// (DESIGN §3): runs at the start of every run, under the lock, so no live run owns
/// anything it touches.
struct Reconciler {
    let tracker: any FileTracker
    let warehouse: any LedgerStore
    let runID: String
    let logger: Logger

    struct Outcome {
        var adopted: [String] = []
        var released: [String] = []
        var droppedStaging: [String] = []
    }

    /// The ledger's complete files the tracker has neither COMPLETED nor PROCESSING, from
    /// the two key lists (backends that cannot merge the stores' rows), compared as UTF-8:
    /// Swift strings would take two paths that differ only in normalisation for one.
    private func unsettledByKeys() throws -> [(table: String, file: String)] {
        let settled = try tracker.settledFiles().mapValues { Set($0.map { Array($0.utf8) }) }
        return try warehouse.completeFiles().sorted(by: { $0.key < $1.key }).flatMap { table, files in
            files.filter { !(settled[table]?.contains(Array($0.utf8)) ?? false) }
                .sorted(by: Paths.precedesByBytes).map { (table: table, file: $0) }
        }
    }

    @discardableResult
    func reconcile() throws -> Outcome {
        var outcome = Outcome()
        // Only files no live run owns: with several workers, another worker's file under
        // a live lease is its own business (SPEC §9).
        for record in try tracker.orphanedProcessing(except: runID) {
            do {
                if let row = try warehouse.ledgerRow(table: record.tableName, file: record.filePath), row.status == .complete {
                    try tracker.adoptCompleted(from: row)
                    outcome.adopted.append(record.filePath)
                } else {
                    // Nothing committed (or only a checkpoint, which the next load resumes).
                    // The dead run's attempt counts, so a file that kills every run that
                    // reads it ends FAILED after retry_attempts instead of looping forever.
                    try tracker.releaseCrashed(table: record.tableName, file: record.filePath, deadRunID: record.runID)
                    outcome.released.append(record.filePath)
                }
            } catch let error as TrackerError {
                // Its worker came back (a heartbeat renewed the lease) or another worker's
                // reconcile got there first: not ours to release.
                guard case .illegalTransition = error else { throw error }
                logger.info("left a PROCESSING file alone: its owner renewed it, or another worker released it", metadata: ["file": "\(record.filePath)"])
            }
        }
        // Committed files the tracker does not have as COMPLETED (missing, PENDING or
        // FAILED: a tracker rebuilt or restored, a group commit cut off before the tracker
        // heard). Keys only (SQLite merges the two stores' key-ordered scans): a clean
        // night reads no row. A file some live worker holds PROCESSING is its own business.
        for (table, file) in try tracker.unsettledCompleteFiles(in: warehouse) ?? unsettledByKeys() {
            guard let row = try warehouse.ledgerRow(table: table, file: file), row.status == .complete else { continue }
            try tracker.adoptCompleted(from: row)
            outcome.adopted.append(row.sourceFile)
        }
        for staging in try warehouse.orphanStagingTables() {
            try warehouse.dropTable(staging)
            outcome.droppedStaging.append(staging)
        }
        for file in outcome.adopted { logger.info("marked COMPLETED from the warehouse ledger", metadata: ["file": "\(file)"]) }
        for file in outcome.released { logger.warning("orphaned PROCESSING file of a dead run marked FAILED (one attempt counted); retried while retries remain", metadata: ["file": "\(file)"]) }
        for table in outcome.droppedStaging { logger.info("dropped a leftover staging table", metadata: ["staging_table": "\(table)"]) }
        return outcome
    }
}

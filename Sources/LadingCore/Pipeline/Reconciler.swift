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

    @discardableResult
    func reconcile() throws -> Outcome {
        var outcome = Outcome()
        let ledger = Dictionary(try warehouse.ledgerRows().map { ("\($0.tableName)\u{1F}\($0.sourceFile)", $0) }, uniquingKeysWith: { a, _ in a })
        let tracked = Dictionary(try tracker.allRecords().map { ("\($0.tableName)\u{1F}\($0.filePath)", $0) }, uniquingKeysWith: { a, _ in a })
        // Only files no live run owns: with several workers, another worker's file under
        // a live lease is its own business (SPEC §9).
        for record in try tracker.orphanedProcessing(except: runID) {
            let key = "\(record.tableName)\u{1F}\(record.filePath)"
            do {
                if let row = ledger[key], row.status == .complete {
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
        for (key, row) in ledger where row.status == .complete {
            let record = tracked[key]
            if record == nil || record?.status == .pending || record?.status == .failed {
                try tracker.adoptCompleted(from: row)
                outcome.adopted.append(row.sourceFile)
            }
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

import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Opens the tracker for a command that writes, rebuilding it when it is not usable
/// (SPEC §7): the broken one is moved aside, never deleted, and completed files come
/// back from the warehouse ledger, so nothing loads twice.
enum TrackerStore {
    /// `lock`: a rebuild runs alone (with several workers, it needs the others stopped).
    /// `quickCheck`: a run's check (see `FileTracker.integrityProblems(runStart:)`).
    static func open(config: LadingConfig, environment: Environment, warehouse: any LedgerStore, logger: Logger, lock: any RunGuard,
                     quickCheck: Bool = false) throws -> any FileTracker {
        do {
            let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: false)
            if let problems = try tracker.integrityProblems(runStart: quickCheck) {
                throw TrackerError.corrupt(path: tracker.location, detail: problems.joined(separator: "; "))
            }
            return tracker
        } catch let error as TrackerError {
            guard case .corrupt(_, let detail) = error else { throw error }
            return try lock.alone { try rebuildUnlessHealed(config: config, environment: environment, warehouse: warehouse, logger: logger, reason: detail) }
        } catch let error as LadingError where error.isCorruption {
            return try lock.alone { try rebuildUnlessHealed(config: config, environment: environment, warehouse: warehouse, logger: logger, reason: error.message) }
        }
    }

    /// With several workers another one may have rebuilt the tracker while this one
    /// waited to be alone: then it is used as it is.
    private static func rebuildUnlessHealed(config: LadingConfig, environment: Environment, warehouse: any LedgerStore, logger: Logger,
                                            reason: String) throws -> any FileTracker {
        if let tracker = try? environment.stores.openTracker(config, clock: environment.clock, readOnly: false), isHealthy(tracker) {
            return tracker
        }
        return try rebuild(config: config, environment: environment, warehouse: warehouse, logger: logger, reason: reason)
    }

    /// Passes the full check. (`try?` would flatten "no problems" and "could not check"
    /// into one nil, which is how this test once never saw a healed tracker.)
    private static func isHealthy(_ tracker: any FileTracker) -> Bool {
        do { return try tracker.integrityProblems() == nil } catch { return false }
    }

    static func rebuild(config: LadingConfig, environment: Environment, warehouse: any LedgerStore, logger: Logger, reason: String) throws -> any FileTracker {
        let aside = try environment.stores.setTrackerAside(config, stamp: Timestamp.compact(environment.clock.now()))
        logger.error("the tracker was not usable; moved it aside and rebuilt it from the warehouse ledger",
                     metadata: ["reason": "\(reason)", "moved_to": "\(aside)"])
        let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: false)
        for row in try warehouse.ledgerRows() where row.status == .complete {
            FaultPoint.duringTrackerRebuild.hit()
            try tracker.adoptCompleted(from: row)
        }
        // Run history comes back from the warehouse's copy (SPEC §4), so monitor does
        // not report "no successful run" right after a repair.
        try tracker.restoreRuns(warehouse.runRecords())
        return tracker
    }
}

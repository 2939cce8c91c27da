import Foundation
import Logging

/// Opens the tracker for a run, rebuilding it when it is not a usable database
/// (SPEC §7): the broken file is moved aside, never deleted, and completed files come
/// back from the warehouse ledger, so nothing loads twice.
enum TrackerStore {
    /// True when the tracker file holds at least one byte. A zero-byte SQLite file
    /// (created, never written: a crash right after open) is an empty database, which
    /// read-only readers take as "nothing tracked yet", like a missing one.
    static func exists(at path: String) -> Bool {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber else { return false }
        return size.int64Value > 0
    }

    static func open(config: LadingConfig, environment: Environment, warehouse: any Warehouse, logger: Logger) throws -> Tracker {
        do {
            let tracker = try Tracker(path: config.trackerPath, clock: environment.clock)
            if let problems = try tracker.db.integrityProblems(limit: 5) {
                throw TrackerError.corrupt(path: config.trackerPath, detail: problems.joined(separator: "; "))
            }
            return tracker
        } catch let error as TrackerError {
            guard case .corrupt(_, let detail) = error else { throw error }
            return try rebuild(config: config, environment: environment, warehouse: warehouse, logger: logger, reason: detail)
        } catch let error as SQLiteError where error.isCorruption {
            return try rebuild(config: config, environment: environment, warehouse: warehouse, logger: logger, reason: error.detail)
        }
    }

    static func rebuild(config: LadingConfig, environment: Environment, warehouse: any Warehouse, logger: Logger, reason: String) throws -> Tracker {
        // Never overwrite an earlier damaged copy (two rebuilds within one second).
        let stamp = config.trackerPath + ".corrupt-" + Timestamp.compact(environment.clock.now())
        var aside = stamp
        var suffix = 2
        while FileManager.default.fileExists(atPath: aside) {
            aside = stamp + "_\(suffix)"
            suffix += 1
        }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: config.trackerPath + suffix) {
            try FileManager.default.moveItem(atPath: config.trackerPath + suffix, toPath: aside + suffix)
        }
        logger.error("the tracker was not a usable SQLite database; moved it aside and rebuilt it from the warehouse ledger",
                     metadata: ["reason": "\(reason)", "moved_to": "\(aside)"])
        let tracker = try Tracker(path: config.trackerPath, clock: environment.clock)
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

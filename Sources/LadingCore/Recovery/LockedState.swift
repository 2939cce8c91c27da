import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// What every command that writes state works on (`run` and the operator commands):
/// the run lock (exit 75 beside a live run), a warehouse that passed its integrity
/// check, and a tracker rebuilt from the ledger if it was damaged. One sequence, so
/// every writer meets the same guards in the same order.
struct LockedState {
    let lock: any RunGuard
    let warehouse: any Warehouse
    let tracker: any FileTracker

    /// `quickCheck`: every run uses SQLite's `quick_check` (it still reads every page);
    /// the rarer recovery commands run the full `integrity_check`.
    /// `readOnlyIntent`: a dry run holds the lock to read a quiet state, and leaves the
    /// bookkeeping (interrupted runs) to the next command that writes.
    /// `purpose`: `.run` may share the lock with other runs (PostgreSQL workers); every
    /// other writer takes it alone.
    static func open(config: LadingConfig, environment: Environment, logger: Logger, runID: String, quickCheck: Bool = false,
                     readOnlyIntent: Bool = false, purpose: LockPurpose = .exclusive) throws -> LockedState {
        let lock = try environment.stores.acquireRunLock(config, runID: runID, purpose: purpose, environment: environment, logger: logger)
        if purpose == .exclusive, let pause = environment.variables["LADING_TEST_HOLD_EXCLUSIVE_LOCK_SECONDS"].flatMap(Double.init), pause > 0 {
            // Test hook: a recovery command keeps the lock long enough for a run to meet it.
            Thread.sleep(forTimeInterval: pause)
        }
        do {
            do {
                try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
            } catch {
                throw StateIOError(path: config.stateDirectory, detail: error.localizedDescription)
            }
            let warehouse = try environment.stores.openWarehouse(config, readOnly: false)
            if let pages = environment.variables["LADING_TEST_WAREHOUSE_MAX_PAGES"].flatMap(Int.init) {
                // Test hook: a warehouse that fills up (as a full disk does).
                try environment.stores.limitWarehouseSize(warehouse, pages: pages)
            }
            if let problems = try warehouse.integrityProblems(quick: quickCheck) {
                throw WarehouseError.integrityCheckFailed(path: warehouse.location, problems: problems)
            }
            let tracker = try TrackerStore.open(config: config, environment: environment, warehouse: warehouse, logger: logger, lock: lock, quickCheck: quickCheck)
            // Whoever holds the lock next finds the runs a kill left `running` (SPEC §8).
            for run in readOnlyIntent ? [] : try tracker.markInterruptedRuns(except: runID) {
                logger.warning("an earlier run was interrupted (killed before it finished)", metadata: ["interrupted_run_id": "\(run.runID)", "started_at": "\(run.startedAt)"])
                try? warehouse.recordRun(run)
            }
            return LockedState(lock: lock, warehouse: warehouse, tracker: tracker)
        } catch {
            lock.release()
            throw error
        }
    }
}

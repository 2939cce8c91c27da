import Foundation
import Logging

/// What an operator command that writes state works on: the run lock (exit 75 beside
/// a live run), a warehouse that passed its integrity check, and a tracker rebuilt
/// from the ledger if it was damaged. The same order as a run, so every writer meets
/// the same guards.
struct LockedState {
    let lock: RunLock
    let warehouse: SQLiteWarehouse
    let tracker: Tracker

    static func open(config: LadingConfig, environment: Environment, logger: Logger, purpose: String) throws -> LockedState {
        let lock = try RunLock.acquire(path: config.lockPath, runID: environment.makeID(prefix: purpose + "-"), timeoutMinutes: config.timeoutMinutes,
                                       environment: environment, logger: logger)
        do {
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
            let warehouse = try SQLiteWarehouse(path: config.warehouse.path, busyTimeoutSeconds: config.warehouse.busyTimeoutSeconds)
            if let problems = try warehouse.integrityProblems(quick: false) {
                throw WarehouseError.integrityCheckFailed(path: config.warehouse.path, problems: problems)
            }
            let tracker = try TrackerStore.open(config: config, environment: environment, warehouse: warehouse, logger: logger)
            return LockedState(lock: lock, warehouse: warehouse, tracker: tracker)
        } catch {
            lock.release()
            throw error
        }
    }
}

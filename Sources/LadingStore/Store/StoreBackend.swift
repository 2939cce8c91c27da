import LadingSupport
import LadingConfiguration
import LadingReaders

import Logging

/// Opens the warehouse and tracker a config names (`warehouse.driver`). The executable
/// passes the real one in through `Environment`; nothing above the backends knows which
/// database it talks to.
public protocol StoreBackend: Sendable {
    /// Where the warehouse is, for messages (never a password).
    func warehouseLocation(_ config: LadingConfig) -> String
    /// Where the tracker is, for messages.
    func trackerLocation(_ config: LadingConfig) -> String
    /// False before the first run created anything (read-only commands then report an
    /// empty state instead of creating one).
    func warehouseExists(_ config: LadingConfig) throws -> Bool
    func trackerExists(_ config: LadingConfig) throws -> Bool
    /// `readOnly`: for commands that only look (they never create or migrate anything).
    func openWarehouse(_ config: LadingConfig, readOnly: Bool) throws -> any Warehouse
    /// `plan` (SPEC §10): a warehouse whose every change is rolled back by `discard()`,
    /// so the loaders themselves can run against the table as it is and leave nothing:
    /// no row, no table, no temporary table. A warehouse that does not exist yet is an
    /// empty one (nothing is created).
    func openScratchWarehouse(_ config: LadingConfig) throws -> any ScratchWarehouse
    /// A read-only open of a tracker that does not exist yet gives an empty one.
    /// Throws `TrackerError.corrupt` when the tracker is not usable.
    func openTracker(_ config: LadingConfig, clock: any WallClock, readOnly: Bool) throws -> any FileTracker
    /// Moves a damaged tracker aside (never deletes it) so a new one can be built from
    /// the ledger; returns where it went.
    func setTrackerAside(_ config: LadingConfig, stamp: String) throws -> String
    /// Test hook: a warehouse that refuses to grow past `pages` (a full disk).
    func limitWarehouseSize(_ warehouse: any Warehouse, pages: Int) throws

    // MARK: The run lock (I5)

    /// Where the run lock is, for messages (a file, or a lock in a database).
    func lockLocation(_ config: LadingConfig) -> String
    /// Takes the lock or throws `LockError.heldByLiveRun` at once (never waits).
    func acquireRunLock(_ config: LadingConfig, runID: String, purpose: LockPurpose, environment: Environment, logger: Logger) throws -> any RunGuard
    /// What the lock says right now, without taking it.
    func inspectRunLock(_ config: LadingConfig, environment: Environment) throws -> LockState
    /// Runs holding the lock now, with their file leases (`worker-status`, SPEC §9).
    func workers(_ config: LadingConfig, environment: Environment) throws -> [WorkerInfo]
    /// Under the exclusive lock: forgets workers that are not live and releases the
    /// leases of files no live worker owns (`validate-consistency --fix`); how many workers.
    func releaseDeadWorkers(_ config: LadingConfig) throws -> Int
    /// `force-unlock`: removes the lock; false when there was none. With several workers
    /// it refuses (`LockError.heldByLiveRun`) while one of them is live.
    @discardableResult
    func removeRunLock(_ config: LadingConfig) throws -> Bool
}

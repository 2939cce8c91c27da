import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The embedded default (SPEC §5): the warehouse in one SQLite file, the tracker in
/// another beside the state, both paths from the config.
public struct SQLiteBackend: StoreBackend {
    public init() {}

    public func warehouseLocation(_ config: LadingConfig) -> String { config.warehouse.path }
    public func trackerLocation(_ config: LadingConfig) -> String { config.trackerPath }

    public func warehouseExists(_ config: LadingConfig) -> Bool { FileManager.default.fileExists(atPath: config.warehouse.path) }

    /// True when the tracker file holds at least one byte. A zero-byte SQLite file
    /// (created, never written: a crash right after open) is an empty database, which
    /// read-only readers take as "nothing tracked yet", like a missing one.
    public func trackerExists(_ config: LadingConfig) -> Bool {
        (DatabaseStamp.File.of(config.trackerPath, in: AT_FDCWD)?.size ?? 0) > 0
    }

    public func openWarehouse(_ config: LadingConfig, readOnly: Bool) throws -> any Warehouse {
        try SQLiteWarehouse(path: config.warehouse.path, readOnly: readOnly, busyTimeoutSeconds: config.warehouse.busyTimeoutSeconds,
                            integrityStamp: readOnly ? nil : Self.integrityStamp(config, of: "warehouse"))
    }

    /// The stamps that let a run skip the check of a database only lading wrote to since
    /// its last check (`IntegrityTrust`), kept in the state folder.
    static func integrityStamp(_ config: LadingConfig, of database: String) -> String {
        config.stateDirectory + "/\(database).checked"
    }

    public func openScratchWarehouse(_ config: LadingConfig) throws -> any ScratchWarehouse {
        try SQLiteWarehouse(scratchOf: config.warehouse.path, busyTimeoutSeconds: config.warehouse.busyTimeoutSeconds)
    }

    public func openTracker(_ config: LadingConfig, clock: any WallClock, readOnly: Bool) throws -> any FileTracker {
        if readOnly && !trackerExists(config) { return try SQLiteTracker(path: ":memory:", clock: clock) }
        return try SQLiteTracker(path: config.trackerPath, clock: clock, readOnly: readOnly,
                                 integrityStamp: readOnly ? nil : Self.integrityStamp(config, of: "tracker"))
    }

    public func setTrackerAside(_ config: LadingConfig, stamp: String) throws -> String {
        // Never overwrite an earlier damaged copy (two rebuilds within one second).
        let base = config.trackerPath + ".corrupt-" + stamp
        var aside = base
        var suffix = 2
        while FileManager.default.fileExists(atPath: aside) {
            aside = base + "_\(suffix)"
            suffix += 1
        }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: config.trackerPath + suffix) {
            try FileManager.default.moveItem(atPath: config.trackerPath + suffix, toPath: aside + suffix)
        }
        return aside
    }

    public func lockLocation(_ config: LadingConfig) -> String { config.lockPath }

    public func acquireRunLock(_ config: LadingConfig, runID: String, purpose: LockPurpose, environment: Environment, logger: Logger) throws -> any RunGuard {
        try RunLock.acquire(path: config.lockPath, runID: runID, timeoutMinutes: config.timeoutMinutes, environment: environment, logger: logger)
    }

    public func inspectRunLock(_ config: LadingConfig, environment: Environment) throws -> LockState {
        RunLock.inspect(path: config.lockPath, now: environment.clock.now(), process: environment.process)
    }

    public func removeRunLock(_ config: LadingConfig) throws -> Bool { try RunLock.remove(path: config.lockPath) }

    /// The lock file has no worker rows or leases: nothing to release.
    public func releaseDeadWorkers(_ config: LadingConfig) throws -> Int { 0 }

    /// One run at a time: the lock file's holder is the only worker (its files carry no lease).
    public func workers(_ config: LadingConfig, environment: Environment) throws -> [WorkerInfo] {
        guard case .held(let info, let staleReason) = try inspectRunLock(config, environment: environment) else { return [] }
        return [WorkerInfo(runID: info.runID, hostname: info.hostname, pid: info.pid, startedAt: info.acquiredAt, heartbeatUntil: nil,
                           alive: staleReason == nil, leases: [])]
    }

    public func limitWarehouseSize(_ warehouse: any Warehouse, pages: Int) throws {
        guard let sqlite = warehouse as? SQLiteWarehouse else { return }
        try sqlite.db.execute("PRAGMA max_page_count = \(pages)")
    }
}

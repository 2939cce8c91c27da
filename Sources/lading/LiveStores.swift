import Logging
import LadingConfiguration
import LadingPostgres
import LadingSQLite
import LadingStore
import LadingSupport

/// The backend each config names (`warehouse.driver`): the one place that knows both.
struct LiveStores: StoreBackend {
    let sqlite = SQLiteBackend()
    let postgres: PostgresBackend

    init(variables: [String: String], sleeper: any Sleeper) {
        postgres = PostgresBackend(variables: variables, sleeper: sleeper)
    }

    private func backend(_ config: LadingConfig) -> any StoreBackend {
        switch config.warehouse.driver {
        case .sqlite: return sqlite
        case .postgres: return postgres
        }
    }

    func warehouseLocation(_ config: LadingConfig) -> String { backend(config).warehouseLocation(config) }
    func trackerLocation(_ config: LadingConfig) -> String { backend(config).trackerLocation(config) }
    func warehouseExists(_ config: LadingConfig) throws -> Bool { try backend(config).warehouseExists(config) }
    func trackerExists(_ config: LadingConfig) throws -> Bool { try backend(config).trackerExists(config) }
    func openWarehouse(_ config: LadingConfig, readOnly: Bool) throws -> any Warehouse { try backend(config).openWarehouse(config, readOnly: readOnly) }
    func openScratchWarehouse(_ config: LadingConfig) throws -> any ScratchWarehouse { try backend(config).openScratchWarehouse(config) }
    func openTracker(_ config: LadingConfig, clock: any WallClock, readOnly: Bool) throws -> any FileTracker {
        try backend(config).openTracker(config, clock: clock, readOnly: readOnly)
    }
    func setTrackerAside(_ config: LadingConfig, stamp: String) throws -> String { try backend(config).setTrackerAside(config, stamp: stamp) }
    func limitWarehouseSize(_ warehouse: any Warehouse, pages: Int) throws {
        try sqlite.limitWarehouseSize(warehouse, pages: pages)
        try postgres.limitWarehouseSize(warehouse, pages: pages)
    }
    func lockLocation(_ config: LadingConfig) -> String { backend(config).lockLocation(config) }
    func acquireRunLock(_ config: LadingConfig, runID: String, purpose: LockPurpose, environment: Environment, logger: Logger) throws -> any RunGuard {
        try backend(config).acquireRunLock(config, runID: runID, purpose: purpose, environment: environment, logger: logger)
    }
    func inspectRunLock(_ config: LadingConfig, environment: Environment) throws -> LockState {
        try backend(config).inspectRunLock(config, environment: environment)
    }
    func removeRunLock(_ config: LadingConfig) throws -> Bool { try backend(config).removeRunLock(config) }
    func releaseDeadWorkers(_ config: LadingConfig) throws -> Int { try backend(config).releaseDeadWorkers(config) }
    func workers(_ config: LadingConfig, environment: Environment) throws -> [WorkerInfo] {
        try backend(config).workers(config, environment: environment)
    }
}

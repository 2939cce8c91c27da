import LadingSupport

/// The whole configuration, validated and with every path made absolute.
public struct LadingConfig: Sendable {
    public struct Warehouse: Sendable {
        public enum Driver: String, Sendable, CaseIterable { case sqlite, postgres }
        public var driver: Driver
        /// SQLite: the warehouse file.
        public var path: String
        /// How long a statement waits for another connection's lock before the file
        /// fails with a transient (retryable) error.
        public var busyTimeoutSeconds: Double = 30
        /// PostgreSQL (SPEC §9): a libpq connection string or URI, `${NAME}` replaced
        /// from the environment when connecting; nil uses libpq's `PG*` variables.
        public var dsn: String?
        /// Target tables, `_lading_loads` and `_lading_quarantine`.
        public var schema = "public"
        /// The tracker's tables.
        public var stateSchema = "lading_state"
        /// A worker's claim on a file, renewed while it works.
        public var leaseSeconds: Double = 300
    }

    public struct Retry: Sendable {
        public var baseSeconds: Double
        public var maxSeconds: Double
        public var attemptsInRun: Int
    }

    public struct Monitor: Sendable {
        public var maxFailureRate: Double
        public var maxQuarantineRate: Double
        public var maxHoursSinceSuccess: Double
        /// The warning tier (SPEC §8), below the critical one; defaults half of it.
        public var warnFailureRate: Double = 0.05
        public var warnQuarantineRate: Double = 0.005
        public var warnHoursSinceSuccess: Double = 13
    }

    /// Absolute path of the file this was read from.
    public var configPath: String
    /// The folder relative paths are resolved against.
    public var baseDirectory: String
    public var stateDirectory: String
    public var trackerPath: String
    public var lockPath: String
    public var warehouse: Warehouse
    public var retryAttempts: Int
    public var timeoutMinutes: Double
    public var batchSize: Int
    public var maxBadRecordRatio: Double
    public var maxRecordBytes: Int
    public var retry: Retry
    public var circuitBreakerThreshold: Int
    public var monitor: Monitor
    public var tables: [TableConfig]

    public func table(named name: String) -> TableConfig? {
        tables.first { $0.name == name }
    }

    /// The tables named on a command line (`--table`), all when none are; an unknown
    /// name is a usage error listing the configured ones.
    public func selectTables(_ names: [String]) throws -> [TableConfig] {
        guard !names.isEmpty else { return tables }
        return try names.map { name in
            guard let table = table(named: name) else {
                throw UsageError("unknown table '\(name)'; configured tables: \(tables.map(\.name).joined(separator: ", "))")
            }
            return table
        }
    }
}

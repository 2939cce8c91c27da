import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The result of one run, for the human summary and `--json`.
public struct RunSummary: Sendable, Codable {
    public struct Table: Sendable, Codable {
        public var table: String
        public var discovered: Int
        public var newlyRegistered: Int
        public var alreadyCompleted: Int
        public var failedFinal: Int
        public var waiting: [String]
        public var changed: [String]
        /// Files this run would load (dry run) or registered for loading, in order.
        public var planned: [String]
        public var files: [FileOutcome] = []
        public var loaded: Int { files.filter { $0.status == "completed" }.count }
        public var failed: Int { files.filter { $0.status == "failed" }.count }
        /// Why files of this table were not attempted (circuit breaker, SCD2 order).
        public var held: String?
        /// Why the table failed for the whole run (its source folder missing or unreadable).
        public var error: String?
        /// Several workers (SPEC §9): another worker was applying this ordered table, so
        /// this one left it alone (not a failure).
        public var otherWorker: String?

        enum CodingKeys: String, CodingKey {
            case table, discovered, waiting, changed, planned, files, held, error
            case otherWorker = "other_worker"
            case newlyRegistered = "newly_registered"
            case alreadyCompleted = "already_completed"
            case failedFinal = "failed_final"
        }
    }

    public var runID: String?
    public var dryRun: Bool
    /// `success`, `partial` or `failed` (SPEC §8); `dry-run` for a dry run.
    public var outcome: String
    public var tables: [Table]
    /// Set when a stale lock was taken over.
    public var replacedLock: LockInfo?
    public var startedAt: String?
    public var finishedAt: String?
    public var durationSeconds: Double?
    public var reportPath: String?

    public var filesLoaded: Int { tables.reduce(0) { $0 + $1.loaded } }
    public var filesFailed: Int { tables.reduce(0) { $0 + $1.failed } }
    /// Tables that failed whole (SPEC §4), and the reasons.
    public var tableErrors: [String] { tables.compactMap(\.error) }
    /// Exit 1 (SPEC §2): a file failed, a table failed, or files wait behind a failed one.
    public var hasFailures: Bool { filesFailed > 0 || !tableErrors.isEmpty || tables.contains { $0.held != nil } }
    public var rowsLoaded: Int64 { tables.reduce(0) { $0 + $1.files.reduce(0) { $0 + $1.rowsLoaded } } }
    public var rowsQuarantined: Int64 { tables.reduce(0) { $0 + $1.files.reduce(0) { $0 + $1.rowsQuarantined } } }

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case dryRun = "dry_run"
        case outcome, tables
        case replacedLock = "replaced_lock"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationSeconds = "duration_seconds"
        case reportPath = "report_path"
    }
}

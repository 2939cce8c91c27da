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

        enum CodingKeys: String, CodingKey {
            case table, discovered, waiting, changed, planned
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

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case dryRun = "dry_run"
        case outcome, tables
        case replacedLock = "replaced_lock"
    }
}

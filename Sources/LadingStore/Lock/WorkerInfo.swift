/// One worker as `worker-status` and `status` show it (SPEC §9): a `lading run` that
/// holds the run lock, with the file leases it holds. Liveness is judged by the
/// database clock (PostgreSQL) or the process table (the lock file).
public struct WorkerInfo: Sendable, Codable, Equatable {
    public struct Lease: Sendable, Codable, Equatable {
        public var table: String
        public var file: String
        public var leaseUntil: String?
        /// False once the lease ran out: another worker or the next run may take the file.
        public var alive: Bool

        enum CodingKeys: String, CodingKey {
            case table, file, alive
            case leaseUntil = "lease_until"
        }

        public init(table: String, file: String, leaseUntil: String?, alive: Bool) {
            self.table = table
            self.file = file
            self.leaseUntil = leaseUntil
            self.alive = alive
        }
    }

    public var runID: String
    public var hostname: String
    public var pid: Int32
    public var startedAt: String
    /// Until when the worker counts as live without another heartbeat.
    public var heartbeatUntil: String?
    public var alive: Bool
    public var leases: [Lease]

    enum CodingKeys: String, CodingKey {
        case hostname, pid, alive, leases
        case runID = "run_id"
        case startedAt = "started_at"
        case heartbeatUntil = "heartbeat_until"
    }

    public init(runID: String, hostname: String, pid: Int32, startedAt: String, heartbeatUntil: String?, alive: Bool, leases: [Lease]) {
        self.runID = runID
        self.hostname = hostname
        self.pid = pid
        self.startedAt = startedAt
        self.heartbeatUntil = heartbeatUntil
        self.alive = alive
        self.leases = leases
    }
}

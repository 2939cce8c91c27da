import LadingSupport
import LadingConfiguration
import LadingStore

/// `lading worker-status` and the workers section of `status` (SPEC §9): every run
/// holding the run lock, live or not, and the file each one holds a lease on.
public struct WorkerStatusReport: Sendable, Codable {
    public var workers: [WorkerInfo]

    /// Reads only: safe beside live workers.
    public static func gather(config: LadingConfig, environment: Environment) throws -> WorkerStatusReport {
        WorkerStatusReport(workers: try environment.stores.workers(config, environment: environment))
    }

    public func text() -> String {
        guard !workers.isEmpty else { return "Workers: none running" }
        let live = workers.filter(\.alive).count
        var lines = ["Workers: \(live) live, \(workers.count - live) not live"]
        for worker in workers {
            var line = "  \(worker.runID): pid \(worker.pid) on \(worker.hostname) since \(worker.startedAt)"
            if let until = worker.heartbeatUntil {
                line += worker.alive ? ", heartbeat until \(until), ALIVE"
                    : ", heartbeat ran out at \(until): EXPIRED (paused, cut off or killed; its files go to the next worker)"
            } else {
                line += worker.alive ? ", ALIVE" : ", STALE"
            }
            lines.append(line)
            for lease in worker.leases {
                lines.append("    \(lease.table): \(lease.file), lease until \(lease.leaseUntil ?? "none")" + (lease.alive ? "" : " (EXPIRED)"))
            }
            if worker.alive && worker.leases.isEmpty && worker.heartbeatUntil != nil { lines.append("    between files") }
        }
        return lines.joined(separator: "\n")
    }
}

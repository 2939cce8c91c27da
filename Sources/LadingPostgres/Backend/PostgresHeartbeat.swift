import Foundation
import Logging
import LadingSupport

/// A worker's heartbeat (SPEC §9): on a connection and a thread of its own, so a long
/// COPY or `INSERT … SELECT` never holds it up, it pushes the worker's `heartbeat_until`
/// and the lease of the file it is loading `lease_seconds` ahead of the database clock,
/// three times per lease. A paused or partitioned process stops beating with it, its
/// lease expires, and another worker may take its file over; the fence then refuses
/// every later commit of the paused one.
final class PostgresHeartbeat: @unchecked Sendable {
    private let connect: () throws -> PGConnection
    private let stateSchema: String
    private let runID: String
    private let leaseSeconds: Double
    private let logger: Logger
    private let condition = NSCondition()
    private var stopping = false
    private var running = false

    init(connect: @escaping () throws -> PGConnection, stateSchema: String, runID: String, leaseSeconds: Double, logger: Logger) {
        self.connect = connect
        self.stateSchema = stateSchema
        self.runID = runID
        self.leaseSeconds = leaseSeconds
        self.logger = logger
    }

    var interval: Double { max(0.5, leaseSeconds / 3) }

    func start() {
        condition.lock()
        running = true
        condition.unlock()
        let thread = Thread { [self] in beat() }
        thread.name = "lading-heartbeat"
        thread.start()
    }

    /// Stops beating and waits until the thread has left the database.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func beat() {
        var db: PGConnection?
        while true {
            condition.lock()
            let deadline = Date().addingTimeInterval(interval)
            while !stopping && Date() < deadline { _ = condition.wait(until: deadline) }
            if stopping {
                running = false
                condition.broadcast()
                condition.unlock()
                db?.close()
                return
            }
            condition.unlock()
            do {
                if db == nil { db = try connect() }
                try db?.run(Self.renewWorker(stateSchema), [String(leaseSeconds), runID])
                try db?.run(Self.renewLeases(stateSchema), [String(leaseSeconds), runID])
            } catch {
                // The next beat tries again (the connection reconnects by itself); if the
                // server stays away for a whole lease, the fence stops this worker.
                logger.warning("heartbeat failed; retrying", metadata: ["error": "\(error)"])
            }
        }
    }

    static func renewWorker(_ stateSchema: String) -> String {
        "UPDATE \(PGName.qualified(stateSchema, "workers")) SET heartbeat_until = clock_timestamp() + make_interval(secs => $1::float8) WHERE run_id = $2"
    }

    static func renewLeases(_ stateSchema: String) -> String {
        """
        UPDATE \(PGName.qualified(stateSchema, "file_processing_tracker")) SET lease_until = clock_timestamp() + make_interval(secs => $1::float8)
        WHERE run_id = $2 AND status = 'PROCESSING'
        """
    }
}

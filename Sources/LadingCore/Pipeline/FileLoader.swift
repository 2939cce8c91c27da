import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Loads one table's files in order, each through the tracker's named transitions
/// around the warehouse commit (DESIGN §2), and keeps one bad file from stopping the rest.
struct FileLoader {
    let config: LadingConfig
    let table: TableConfig
    let warehouse: any Warehouse
    let tracker: any FileTracker
    let environment: Environment
    let runID: String
    let logger: Logger
    var progress: (@Sendable (String) -> Void)?

    func loadAll(_ files: [DiscoveredFile], into summary: inout RunSummary.Table) throws {
        // A rerun with nothing new: no breaker to read, no group to set up.
        guard !files.isEmpty else { return }
        var context = LoadContext(warehouse: warehouse, table: table, batchSize: config.batchSize,
                                  maxRecordBytes: config.maxRecordBytes, clock: environment.clock, logger: logger)
        context.interruption = { SignalMonitor.pending }
        // Small append files share a warehouse transaction where the backend allows it.
        let group = table.strategy == .append ? (warehouse as? any GroupCommitWarehouse).map(SmallFileGroup.init) : nil
        // The outcomes live in a shared list while loading: a group's commit (also the one
        // a staged file asks for from inside its load) may have to rewrite them.
        let outcomes = OutcomeList(summary.files)
        defer { summary.files = outcomes.files }
        context.beforeOwnCommits = { [self] in if let group { try commit(group, outcomes: outcomes) } }
        do {
            try loadAll(files, into: &summary, outcomes: outcomes, context: context, group: group)
            if let group {
                try commit(group, outcomes: outcomes)
                try record(group)
            }
        } catch {
            if let group { abandon(group, outcomes: outcomes, error: error) }
            throw error
        }
    }

    /// A table's file outcomes, in file order.
    final class OutcomeList {
        var files: [FileOutcome]
        init(_ files: [FileOutcome]) { self.files = files }
    }

    private func loadAll(_ files: [DiscoveredFile], into summary: inout RunSummary.Table, outcomes: OutcomeList, context: LoadContext, group: SmallFileGroup?) throws {
        var consecutiveFailures = 0
        // An open breaker (from an earlier run) half-opens: one file decides.
        var halfOpen = try tracker.openBreakers()[table.name] != nil && !files.isEmpty
        if halfOpen {
            logger.warning("circuit breaker half-open: trying one file before the rest", metadata: ["table": "\(table.name)"])
        }
        for (index, file) in files.enumerated() {
            if let signal = SignalMonitor.pending { throw LoadError.interrupted(signal: signal) }
            var grouped: SmallFileGroup? = nil
            if let group {
                let joins = file.seenRetryCount == 0 && file.size <= SmallFileGroup.maxFileBytes
                if group.isOpen && (!joins || group.isFull) { try commit(group, outcomes: outcomes) }
                try record(group)
                if joins {
                    // A warehouse that cannot start the group now (busy) gets the file
                    // alone, where a busy warehouse is the file's transient failure.
                    if !group.isOpen { try? group.begin() }
                    grouped = group.isOpen ? group : nil
                }
            }
            let taken = try loadOne(file, context: context, group: grouped, summaryIndex: outcomes.files.count)
            // A staged file may have committed the group before its checkpoints.
            if let group { try record(group) }
            guard let outcome = taken else {
                // Several workers (SPEC §9): another worker claimed or finished it first.
                logger.info("file taken by another worker", metadata: ["table": "\(table.name)", "file": "\(file.path)"])
                continue
            }
            outcomes.files.append(outcome)
            if halfOpen {
                halfOpen = false
                if outcome.status == "failed" {
                    let rest = files.count - index - 1
                    try tracker.openBreaker(table: table.name, consecutiveFailures: config.circuitBreakerThreshold, runID: runID)
                    summary.held = "circuit breaker still open: the half-open attempt failed; \(rest) file(s) stay PENDING for the next run"
                    logger.warning("circuit breaker stays open", metadata: ["table": "\(table.name)", "pending": "\(rest)"])
                    break
                }
                try tracker.closeBreaker(table: table.name)
                logger.info("circuit breaker closed", metadata: ["table": "\(table.name)"])
            }
            if let progress {
                let rows = outcomes.files.reduce(Int64(0)) { $0 + $1.rowsLoaded }
                let bytes = outcomes.files.reduce(Int64(0)) { $0 + $1.bytesRead }
                let seconds = outcomes.files.reduce(0.0) { $0 + $1.durationSeconds }
                progress("\(table.name): \(index + 1)/\(files.count) files, \(rows) rows, "
                    + String(format: "%.1f MB/s", seconds > 0 ? Double(bytes) / 1e6 / seconds : 0))
            }
            if outcome.status == "failed" {
                consecutiveFailures += 1
                let rest = files.count - index - 1
                if table.strategy.appliesInOrder && rest > 0 {
                    // An ordered table cannot skip a file: later files wait for this one.
                    summary.held = "\(rest) later file(s) wait: \(Paths.fileName(of: file.path)) failed and \(table.strategy.rawValue) files apply in order"
                    break
                }
                if consecutiveFailures >= config.circuitBreakerThreshold {
                    try tracker.openBreaker(table: table.name, consecutiveFailures: consecutiveFailures, runID: runID)
                    summary.held = "circuit breaker opened after \(consecutiveFailures) consecutive failed files; \(rest) file(s) stay PENDING; the next run tries one file first"
                    logger.warning("circuit breaker opened", metadata: ["table": "\(table.name)", "pending": "\(rest)"])
                    break
                }
            } else {
                consecutiveFailures = 0
            }
        }
    }

    /// Commits the open group of small files in the warehouse. The tracker learns of it
    /// in `record(_:)`, never from inside another file's load (a staged file asks for
    /// this commit before its checkpoints): a tracker that cannot be written then stops
    /// the run instead of failing that file. One `after-final-commit` hit per file.
    private func commit(_ group: SmallFileGroup, outcomes: OutcomeList) throws {
        let members: [SmallFileGroup.Member]
        do {
            members = try withTransientRetries("a database is busy: retrying the commit of a group of small files", log: tableLogger) {
                try group.commit()
            }
        } catch let error as LadingError where error.kind == .transient && !(error is LoadError) {
            // Still busy (a reader holding the database) after the retries: the group's
            // files fail transiently, as one file whose commit stays busy does, and later
            // runs retry them.
            for member in group.rollback() {
                outcomes.files[member.summaryIndex] = try failed(member.file, error: error, kind: .transient, started: member.started, log: member.log)
            }
            return
        }
        for _ in members { FaultPoint.afterFinalCommit.hit() }
    }

    /// Marks the committed group's files COMPLETED in one tracker transaction, then
    /// applies `after_load` to them. One `after-tracker-complete` hit per file.
    private func record(_ group: SmallFileGroup) throws {
        guard !group.unrecorded.isEmpty else { return }
        let members = group.unrecorded
        try withTransientRetries("a database is busy: retrying marking a committed group of small files COMPLETED", log: tableLogger) {
            try tracker.transaction {
                for member in members {
                    try tracker.complete(table: table.name, file: member.file.path, runID: runID, recordsRead: member.result.recordsRead,
                                         rowsLoaded: member.result.rowsLoaded, rowsQuarantined: member.result.rowsQuarantined,
                                         sha256: member.result.contentSHA256 ?? member.sha256, batchID: member.batchID)
                }
            }
        }
        group.recorded()
        for member in members {
            FaultPoint.afterTrackerComplete.hit()
            AfterLoad(table: table, tracker: tracker, logger: member.log).apply(to: member.file.path)
            loaded(member.result, seconds: member.seconds, log: member.log)
        }
    }

    /// The logger with this table named, for what concerns a group of files.
    private var tableLogger: Logger {
        var log = logger
        log[metadataKey: "table"] = "\(table.name)"
        return log
    }

    /// The run stops with a group open: its rows roll back, its files leave the report
    /// and go back to PENDING without an attempt (nothing of theirs went wrong), unless
    /// the lock or lease is lost, when their state is no longer this run's to touch.
    /// Files already committed but not yet marked stay PROCESSING: the next run's
    /// reconcile finds their complete ledger rows and marks them COMPLETED.
    private func abandon(_ group: SmallFileGroup, outcomes: OutcomeList, error: Error) {
        let lost = group.rollback()
        for index in lost.map(\.summaryIndex).sorted(by: >) where index < outcomes.files.count { outcomes.files.remove(at: index) }
        if !group.unrecorded.isEmpty {
            logger.warning("small files committed but not yet marked COMPLETED: the next run marks them from the ledger",
                           metadata: ["table": "\(table.name)", "files": "\(group.unrecorded.count)"])
        }
        if error is LockError { return }
        for member in lost { try? tracker.releaseOrphan(table: table.name, file: member.file.path, deadRunID: runID) }
        if !lost.isEmpty {
            logger.warning("a group of small files was rolled back: they stay PENDING for the next run",
                           metadata: ["table": "\(table.name)", "files": "\(lost.count)"])
        }
    }

    private func loaded(_ result: LoadResult, seconds: Double, log: Logger) {
        log.info("file loaded", metadata: ["records": "\(result.recordsRead)", "rows_loaded": "\(result.rowsLoaded)",
                                           "rows_quarantined": "\(result.rowsQuarantined)", "seconds": "\(String(format: "%.3f", seconds))"])
    }

    /// Nil when another worker claimed or finished the file first. With `group` (open),
    /// the file loads into the group's transaction and is COMPLETED when the group
    /// commits; its outcome is provisional until then.
    private func loadOne(_ file: DiscoveredFile, context: LoadContext, group: SmallFileGroup?, summaryIndex: Int) throws -> FileOutcome? {
        let started = Date()
        let batchID = environment.makeID(prefix: "batch-")
        guard try tracker.claim(table: table.name, file: file.path, runID: runID, batchID: batchID, seenRetryCount: file.seenRetryCount) else { return nil }
        FaultPoint.afterClaim.hit()
        var log = logger
        log[metadataKey: "table"] = "\(table.name)"
        log[metadataKey: "file"] = "\(file.path)"
        // Set once the file's rows are committed: from then on nothing may mark it FAILED.
        var committed = false
        do {
            // Registration hashed the file or took the tracker's hash; hash only if neither could.
            let sha = try file.sha256 ?? FileHasher.sha256(path: file.readPath)
            let (result, usedBatch) = try withTransientRetries(log: log) { () throws -> (LoadResult, String) in
                if let injected = InjectedError.matching(file.path, variables: environment.variables) { throw injected }
                guard table.strategy.appliesInOrder else { return try AppendLoader(context: context).load(file: file, sha256: sha, batchID: batchID) }
                let replay = TableReplay(config: config, table: table, warehouse: warehouse, tracker: tracker,
                                         environment: environment, logger: log)
                if let last = try replay.lateness(of: file) {
                    // SPEC §4: a late file fails, or the table is replayed with it in its place.
                    guard table.lateFiles == .replay else { throw LoadError.lateFile(file: file.path, table: table.name, lastApplied: last) }
                    return try replay.replay(adding: file, sha256: sha, batchID: batchID)
                }
                if table.strategy != .overwrite, try replay.historyLost(before: file) {
                    // The table was dropped by hand: applying this file to an empty table
                    // would start its history (or its merged rows) over. Its files are
                    // replayed first. (An overwrite file replaces the table anyway.)
                    log.warning("the table is missing although files were applied to it: replaying them before this file")
                    return try replay.replay(adding: file, sha256: sha, batchID: batchID)
                }
                do {
                    return try TableReplay.loader(for: table.strategy, context: context).load(file: file, sha256: sha, batchID: batchID)
                } catch LoadError.widenByReplay(let columns) {
                    log.notice("widening columns by replaying the table with the wider types", metadata: [
                        "columns": "\(columns.map { "\($0.name) as \($0.type.rawValue)" }.joined(separator: ", "))"])
                    return try replay.replay(adding: file, sha256: sha, batchID: batchID, widening: columns)
                }
            }
            if let group, group.isOpen {
                // In the group's transaction (its own savepoint released): committed with it.
                // SQLite may have ended that transaction itself after an I/O error: the
                // group's files are then lost, and the run stops.
                guard group.warehouse.groupIsOpen else { throw WarehouseError.groupRolledBack(files: group.members.count + 1) }
                group.add(.init(file: file, result: result, sha256: sha, batchID: usedBatch, started: started,
                                seconds: Date().timeIntervalSince(started), summaryIndex: summaryIndex, log: log))
                FaultPoint.betweenGroupFiles.hit()
            } else {
                committed = true
                FaultPoint.afterFinalCommit.hit()
                try withTransientRetries("a database is busy: retrying marking the file COMPLETED", log: log) {
                    try tracker.complete(table: table.name, file: file.path, runID: runID, recordsRead: result.recordsRead,
                                         rowsLoaded: result.rowsLoaded, rowsQuarantined: result.rowsQuarantined, sha256: result.contentSHA256 ?? sha, batchID: usedBatch)
                }
                FaultPoint.afterTrackerComplete.hit()
                AfterLoad(table: table, tracker: tracker, logger: log).apply(to: file.path)
                loaded(result, seconds: Date().timeIntervalSince(started), log: log)
            }
            let seconds = Date().timeIntervalSince(started)
            return FileOutcome(file: file.path, status: "completed", recordsRead: result.recordsRead, rowsLoaded: result.rowsLoaded,
                               rowsQuarantined: result.rowsQuarantined, bytesRead: result.bytesRead, durationSeconds: seconds,
                               rowsPerSecond: seconds > 0 ? Double(result.rowsLoaded) / seconds : 0, resumed: result.resumed,
                               scd2: result.scd2, merge: result.merge)
        } catch let error as LockError {
            // Fenced (SPEC §9): the lock, or this file's lease, is someone else's now.
            if case .leaseLost = error {
                log.error("lease lost: leaving the file to the worker that holds it now and stopping", metadata: ["error": "\(error.message)"])
            } else {
                log.error("lock lost: stopping without touching the file's state", metadata: ["error": "\(error.message)"])
            }
            throw error
        } catch let error as LoadError {
            if case .interrupted(let signal) = error { throw interrupted(file, signal: signal, after: nil) }
            if let signal = SignalMonitor.pending, !committed { throw interrupted(file, signal: signal, after: error) }
            return try failed(file, error: error, kind: error.kind, started: started, log: log)
        } catch let error as WarehouseError where error.exitStatus == .internalError {
            // A damaged warehouse stops the run; a too-wide file only fails itself.
            throw error
        } catch let error as LadingError where error.stopsTheRun {
            // A full disk, a read-only or a corrupt warehouse, a missing libcrypto, is not
            // this file's fault and every later file would meet it too: stop the run (exit
            // 74 or 70). The file goes back to PENDING without an attempt counted; its
            // transaction rolled back.
            try? tracker.releaseOrphan(table: table.name, file: file.path, deadRunID: runID)
            throw error
        } catch where committed {
            // The rows are in and the ledger says so, but the tracker could not be told
            // (another process kept it locked past the retries): the run stops, the file
            // stays PROCESSING, and the next run's reconcile marks it COMPLETED.
            log.error("file committed but the tracker could not record it: stopping; the next run marks it from the ledger",
                      metadata: ["error": "\((error as? LadingError)?.message ?? "\(error)")"])
            throw error
        } catch {
            // A signal cancels the statement the load was waiting in (PostgreSQL): that
            // failure is the interruption, not the file's fault.
            if let signal = SignalMonitor.pending { throw interrupted(file, signal: signal, after: error) }
            let kind = (error as? LadingError)?.kind ?? .unknown
            return try failed(file, error: error, kind: kind, started: started, log: log)
        }
    }

    /// The file back to PENDING with no attempt counted. `error` is what failed once the
    /// signal had arrived (a statement it cancelled), nil when the load stopped itself.
    private func interrupted(_ file: DiscoveredFile, signal: Int32, after error: (any Error)?) -> LoadError {
        if let error {
            logger.info("a signal stopped the load", metadata: ["file": "\(file.path)", "error": "\((error as? LadingError)?.message ?? "\(error)")"])
        }
        try? tracker.releaseOrphan(table: table.name, file: file.path, deadRunID: runID)
        return LoadError.interrupted(signal: signal)
    }

    /// SPEC §7: a transient error (a busy or locked database) is tried again within the
    /// run, up to `retry.attempts_in_run` attempts, after backoff with full jitter. Each
    /// attempt starts from the committed state (a staged file resumes at its checkpoint;
    /// a group's commit or its tracker update is simply tried again). A signal stops the
    /// retries at once.
    private func withTransientRetries<T>(_ message: String = "transient error, retrying", log: Logger, _ attempt: () throws -> T) throws -> T {
        var failures = 0
        while true {
            do {
                return try attempt()
            } catch let error as LadingError where error.kind == .transient {
                if let load = error as? LoadError, case .interrupted = load { throw error }
                if let signal = SignalMonitor.pending { throw LoadError.interrupted(signal: signal) }
                guard failures + 1 < config.retry.attemptsInRun else { throw error }
                let delay = RetryPolicy.backoff(attempt: failures, base: config.retry.baseSeconds, cap: config.retry.maxSeconds,
                                                random: environment.random)
                failures += 1
                log.warning("\(message)", metadata: ["attempt": "\(failures + 1)", "of": "\(config.retry.attemptsInRun)",
                                                     "delay_seconds": "\(String(format: "%.3f", delay))", "error": "\(error.message)"])
                environment.sleeper.sleep(seconds: delay)
                if let signal = SignalMonitor.pending { throw LoadError.interrupted(signal: signal) }
            }
        }
    }

    private func failed(_ file: DiscoveredFile, error: Error, kind: ErrorKind, started: Date, log: Logger) throws -> FileOutcome {
        let message = (error as? LadingError)?.message ?? "\(error)"
        try tracker.fail(table: table.name, file: file.path, runID: runID, message: message, kind: kind)
        log.error("file failed", metadata: ["error_type": "\(kind.rawValue)", "error": "\(message)"])
        return FileOutcome(file: file.path, status: "failed", recordsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, bytesRead: 0,
                           durationSeconds: Date().timeIntervalSince(started), rowsPerSecond: 0, resumed: false,
                           errorType: kind.rawValue, errorMessage: message)
    }
}

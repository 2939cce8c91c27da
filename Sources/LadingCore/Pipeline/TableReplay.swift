import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Rebuilds a table from its files, in order, aside (SPEC §4 late files, §7): an SCD2
/// table for a reset, a repair or a late file; any table for `reset-state --reinfer`.
///
/// Readers never see the table emptied or half-replayed: the files are applied to a
/// shadow table (`_lading_shadow_<table>`, with its own ledger and quarantine rows),
/// and one transaction swaps it in: the old rows, ledger rows and quarantine rows go,
/// the shadow's take their names. The whole replay is that one transaction, so a crash
/// or a failing file leaves the old table exactly as it was. Each file reuses its
/// recorded boundary, so dates come back identical.
struct TableReplay {
    let config: LadingConfig
    let table: TableConfig
    let warehouse: any Warehouse
    let tracker: any FileTracker
    let environment: Environment
    let logger: Logger

    static let shadowPrefix = "_lading_shadow_"

    /// One file of a replay: its path, and the boundary it was applied with (nil: new).
    struct Step {
        var path: String
        var boundary: String?
    }

    /// What a replay applied, per file.
    struct Outcome {
        var results: [String: (LoadResult, String)] = [:]
        var rowsBefore = 0
    }

    /// One file's load for a strategy (SCD2 files also take a recorded boundary).
    struct Loader {
        let load: (DiscoveredFile, String?, String) throws -> (LoadResult, String)
        func load(file: DiscoveredFile, sha256: String?, batchID: String) throws -> (LoadResult, String) { try load(file, sha256, batchID) }
    }

    static func loader(for strategy: TableConfig.Strategy, context: LoadContext) -> Loader {
        switch strategy {
        case .append, .overwrite: return Loader { try AppendLoader(context: context).load(file: $0, sha256: $1, batchID: $2) }
        case .scd2: return Loader { try SCD2Loader(context: context).load(file: $0, sha256: $1, batchID: $2) }
        case .merge: return Loader { try MergeLoader(context: context).load(file: $0, sha256: $1, batchID: $2) }
        }
    }

    // MARK: - Late files

    /// The files already applied to the table (complete ledger rows, and reload markers
    /// of files applied before a reset), in the table's order, with their boundaries.
    func appliedSteps(excluding excluded: String? = nil) throws -> [Step] {
        let rows = try warehouse.ledgerRows(table: table.name).filter { $0.sourceFile != excluded && ($0.status == .complete || $0.stagingTable == nil) }
        return rows.sorted { precedes($0.sourceFile, $0.fileModifiedTime, $1.sourceFile, $1.fileModifiedTime) }
            .map { Step(path: $0.sourceFile, boundary: $0.boundary) }
    }

    /// The last applied file that `file` sorts before, if any: then `file` is late.
    /// With `scd2_effective_from: file_modified_time` a file whose boundary (its
    /// modified time) is earlier than the last applied boundary is late too.
    func lateness(of file: DiscoveredFile) throws -> String? {
        let applied = try warehouse.ledgerRows(table: table.name).filter { $0.sourceFile != file.path && $0.status == .complete }
        guard !applied.isEmpty else { return nil }
        let last = applied.max { precedes($0.sourceFile, $0.fileModifiedTime, $1.sourceFile, $1.fileModifiedTime) }
        if let last, precedes(file.path, file.modifiedTime, last.sourceFile, last.fileModifiedTime) { return last.sourceFile }
        if case .fileModifiedTime = table.effectiveFrom {
            let stamp = Timestamp.iso8601(Date(timeIntervalSince1970: file.modifiedSeconds))
            if let latest = applied.compactMap(\.boundary).max(), stamp < latest {
                return applied.first { $0.boundary == latest }?.sourceFile
            }
        }
        return nil
    }

    /// True when the table is gone while its ledger says files were applied to it.
    func historyLost(before file: DiscoveredFile) throws -> Bool {
        guard !(try warehouse.tableExists(table.name)) else { return false }
        return try warehouse.ledgerRows(table: table.name).contains { $0.sourceFile != file.path && $0.status == .complete }
    }

    /// The table's file order (SPEC §4): names relative to `source_path`, or modified time.
    func precedes(_ a: String, _ aTime: String?, _ b: String, _ bTime: String?) -> Bool {
        Self.precedes(table, a, aTime, b, bTime)
    }

    static func precedes(_ table: TableConfig, _ a: String, _ aTime: String?, _ b: String, _ bTime: String?) -> Bool {
        let left = relative(a, table), right = relative(b, table)
        if table.orderBy == .modifiedTime, let aTime, let bTime, aTime != bTime { return aTime < bTime }
        return left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    private static func relative(_ path: String, _ table: TableConfig) -> String {
        let base = table.sourcePath.hasSuffix("/") ? table.sourcePath : table.sourcePath + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    // MARK: - Replay

    /// Replays the table with a late file in its place; returns the late file's result.
    /// `widening`: column types the replay uses instead of the table's (SPEC §3).
    func replay(adding late: DiscoveredFile, sha256: String?, batchID: String, widening: [TableConfig.Column] = []) throws -> (LoadResult, String) {
        var steps = try appliedSteps(excluding: late.path)
        let position = steps.firstIndex { precedes(late.path, late.modifiedTime, $0.path, nil) } ?? steps.count
        steps.insert(Step(path: late.path, boundary: lateBoundary(before: position, in: steps)), at: position)
        let outcome = try replay(steps, newFile: (late.path, sha256, batchID), widening: widening)
        guard let result = outcome.results[late.path] else { throw InternalError("the replay did not apply \(late.path)") }
        logger.warning("replayed the table with this file in its place", metadata: [
            "table": "\(table.name)", "file": "\(late.path)", "files_replayed": "\(steps.count)"])
        return result
    }

    /// Replays every applied file of the table (reset-state, a repair); nil when the
    /// table has no applied file.
    @discardableResult
    func replayAll(reinfer: Bool = false, widening: [TableConfig.Column] = []) throws -> Outcome? {
        let steps = try appliedSteps()
        guard !steps.isEmpty else { return nil }
        return try replay(steps, newFile: nil, reinfer: reinfer, widening: widening)
    }

    /// A late file's boundary with `load_time`: the midpoint between the boundaries of
    /// its neighbours, so versions it opens start after the previous file's and end
    /// before the next file's (I4), never "now", which is after every later file.
    private func lateBoundary(before position: Int, in steps: [Step]) -> String? {
        guard case .loadTime = table.effectiveFrom else { return nil }
        let next = position < steps.count ? steps[position].boundary.flatMap(Timestamp.parse) : nil
        let previous = position > 0 ? steps[position - 1].boundary.flatMap(Timestamp.parse) : nil
        switch (previous, next) {
        case let (previous?, next?): return Timestamp.iso8601(Date(timeIntervalSince1970: (previous.timeIntervalSince1970 + next.timeIntervalSince1970) / 2))
        case let (nil, next?): return Timestamp.iso8601(next.addingTimeInterval(-1))
        default: return nil
        }
    }

    /// `reinfer`: the shadow starts without the table's column types, so they are
    /// inferred again from the files (declared ones still apply).
    private func replay(_ steps: [Step], newFile: (path: String, sha256: String?, batchID: String)?, reinfer: Bool = false,
                        widening: [TableConfig.Column] = []) throws -> Outcome {
        // SPEC §4: an archived file is read where it went.
        var locations: [String: String] = [:]
        for step in steps { locations[step.path] = AfterLoad.location(of: step.path, record: try tracker.record(table: table.name, file: step.path)) }
        let missing = steps.map(\.path).filter { locations[$0] == nil && $0 != newFile?.path }
        guard missing.isEmpty else {
            throw LoadError.replayImpossible(file: newFile?.path ?? table.name, table: table.name, missing: missing)
        }
        let shadowName = Self.shadowPrefix + table.name
        var shadow = table
        shadow.name = shadowName
        let context = LoadContext(warehouse: warehouse, table: shadow, batchSize: config.batchSize,
                                  maxRecordBytes: config.maxRecordBytes, clock: environment.clock, logger: logger)
        var outcome = Outcome()
        try warehouse.transaction {
            // A shadow left by an earlier replay that did not commit (there is none after
            // a crash, since the replay is one transaction; this is for safety).
            try warehouse.forgetTable(shadowName)
            // Keep the table's column types (declared, inferred or migrated), unless asked
            // to infer them again.
            if !reinfer {
                try warehouse.copyColumnCatalog(from: table.name, to: shadowName, overriding: widening)
            }
            for step in steps {
                // SIGINT/SIGTERM between files: the whole replay rolls back, the old table stays.
                if let signal = SignalMonitor.pending { throw LoadError.interrupted(signal: signal) }
                let location = locations[step.path].flatMap { $0 == step.path ? nil : $0 }
                guard let file = DiscoveredFile.current(path: step.path, location: location) else {
                    throw LoadError.replayImpossible(file: newFile?.path ?? table.name, table: table.name, missing: [step.path])
                }
                let isNew = step.path == newFile?.path
                let sha = isNew ? newFile?.sha256 : try FileHasher.sha256(path: file.readPath)
                let batchID = isNew ? newFile?.batchID ?? "" : environment.makeID(prefix: "batch-")
                do {
                    if table.strategy == .scd2 {
                        outcome.results[step.path] = try SCD2Loader(context: context).load(file: file, sha256: sha, batchID: batchID, recordedBoundary: step.boundary)
                    } else {
                        outcome.results[step.path] = try Self.loader(for: table.strategy, context: context).load(file: file, sha256: sha, batchID: batchID)
                    }
                } catch let error as LadingError where !isNew && newFile != nil && error.kind != .transient {
                    // Say which file the late file's replay failed on, not as if it were its own.
                    throw LoadError.replayFailed(file: newFile?.path ?? "", table: table.name, at: step.path, reason: error.message)
                }
            }
            outcome.rowsBefore = try warehouse.tableExists(table.name) ? try warehouse.rowCount(of: table.name) : 0
            // The one step readers can see: the shadow becomes the table.
            try warehouse.swapIn(shadowName, as: table.name, scd2: table.scd2LayoutIfAny,
                                 keys: table.strategy == .merge ? table.primaryKeys : nil)
            FaultPoint.beforeFinalCommit.hit()
        }
        // The tracker follows the ledger (a crash before this is healed by reconcile).
        for row in try warehouse.ledgerRows(table: table.name) where row.status == .complete && row.sourceFile != newFile?.path {
            try tracker.adoptCompleted(from: row)
        }
        return outcome
    }

    // MARK: - Recovery

    /// `reset-state` and repairs of an SCD2 table: every applied file replayed aside and
    /// swapped in, under the caller's lock; FAILED and PENDING files are forgotten so
    /// the next run tries them again (a late one then follows `late_files`).
    func reset(reinfer: Bool = false) throws -> StateReset.Outcome {
        var outcome = StateReset.Outcome(table: table.name)
        outcome.replay = true
        do {
            if let replayed = try replayAll(reinfer: reinfer) {
                outcome.filesReset = replayed.results.keys.sorted()
                outcome.rowsRemoved = replayed.rowsBefore
            }
        } catch LoadError.replayImpossible(_, _, let missing) {
            throw RecoveryError.cannotReplay(table: table.name, missing: missing)
        }
        for record in try tracker.records(table: table.name) where record.status == .failed || record.status == .pending {
            try tracker.forget(table: table.name, file: record.filePath)
        }
        return outcome
    }
}

import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `lading history`: past runs, newest first, from the tracker's `runs` table.
public struct RunHistory: Encodable, Sendable {
    public struct Entry: Encodable, Sendable {
        public var run: RunRecord
        public var durationSeconds: Double?
        /// The files the run touched, with their counts (SCD2: per key).
        public var files: [RunFile] = []

        enum CodingKeys: String, CodingKey { case durationSeconds = "duration_seconds", outcome, files }

        public func encode(to encoder: any Encoder) throws {
            try run.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(durationSeconds, forKey: .durationSeconds)
            // SPEC §8 calls it the outcome; `status` (also `running`) stays for the tracker's word.
            try container.encode(run.status, forKey: .outcome)
            try container.encode(files, forKey: .files)
        }
    }

    public var runs: [Entry]

    /// Reads the history without taking the lock; no tracker yet means no runs.
    public static func gather(config: LadingConfig, environment: Environment, limit: Int) throws -> RunHistory {
        guard try environment.stores.trackerExists(config) else { return RunHistory(runs: []) }
        let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
        return RunHistory(runs: try tracker.runs(limit: limit).map {
            Entry(run: $0, durationSeconds: duration(of: $0), files: try tracker.runFiles(runID: $0.runID))
        })
    }

    static func duration(of run: RunRecord) -> Double? {
        guard let start = Timestamp.parse(run.startedAt), let end = run.finishedAt.flatMap(Timestamp.parse) else { return nil }
        return end.timeIntervalSince(start)
    }

    public var text: String {
        guard !runs.isEmpty else { return "No runs recorded yet." }
        func row(_ cells: [String]) -> String {
            let widths = [36, 20, 9, 8, 6, 7, 7, 11, 12]
            return zip(cells, widths).enumerated().map { index, pair in
                let (cell, width) = pair
                let pad = String(repeating: " ", count: max(0, width - cell.count))
                return index < 2 || index == 3 ? cell + pad : pad + cell
            }.joined(separator: " ")
        }
        var lines = [row(["RUN", "STARTED", "DURATION", "OUTCOME", "FOUND", "LOADED", "FAILED", "ROWS", "QUARANTINED"])]
        for entry in runs {
            let run = entry.run
            lines.append(row([run.runID, String(run.startedAt.prefix(19)), entry.durationSeconds.map { String(format: "%.1fs", $0) } ?? "-",
                              run.status, "\(run.filesDiscovered)", "\(run.filesLoaded)", "\(run.filesFailed)", "\(run.rowsLoaded)", "\(run.rowsQuarantined)"]))
            if let error = run.errorMessage { lines.append("    error: \(error)") }
        }
        return lines.joined(separator: "\n")
    }
}

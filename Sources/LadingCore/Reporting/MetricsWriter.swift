import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Writes the metrics file after a run, atomically so the collector never reads half.
public enum MetricsWriter {
    public static func write(summary: RunSummary, config: LadingConfig, environment: Environment, to path: String) throws {
        let tracker = try environment.stores.openTracker(config, clock: environment.clock, readOnly: true)
        let counts = try tracker.statusCounts()
        let lastSuccess = try tracker.runs(limit: 500).first { $0.status == "success" }.flatMap { Timestamp.parse($0.finishedAt ?? "") }
        var text = PrometheusMetrics.render(summary: summary, fileCounts: counts, lastSuccess: lastSuccess,
                                            tables: config.tables.map(\.name), openBreakers: Set(try tracker.openBreakers().keys))
        text += PrometheusMetrics.render(runOutcomes: try tracker.runCountsByStatus())
        text += PrometheusMetrics.render(reachable: true)
        try write(text, to: path)
    }

    /// Writes `text` at `path` atomically, creating its folder.
    public static func write(_ text: String, to path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: Paths.directory(of: path), withIntermediateDirectories: true)
        } catch {
            throw StateIOError(path: Paths.directory(of: path), detail: error.localizedDescription)
        }
        try AtomicFile.write(Data(text.utf8), to: path)
    }
}

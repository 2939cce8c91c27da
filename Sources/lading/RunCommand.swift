import ArgumentParser
import Foundation
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Take the lock, discover new files, load the new and retryable ones, release the lock."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("table"), help: "Only this table (repeatable).")
    var tables: [String] = []

    @Flag(name: .customLong("dry-run"), help: "List what would load, per table and in order; change nothing.")
    var dryRun = false

    @Option(name: .customLong("max-files"), help: "Load at most N files in this run.")
    var maxFiles: Int?

    @Option(name: .customLong("report"), help: "Write the JSON run report here (default: <state_dir>/reports/run_YYYYMMDD_HHMMSS.json).")
    var report: String?

    @Option(name: .customLong("metrics-file"), help: "Write Prometheus metrics here (textfile collector format, written atomically).")
    var metricsFile: String?

    @Flag(name: .customLong("no-progress"), help: "No progress lines, even on a terminal.")
    var noProgress = false

    @Flag(name: .customLong("json"), help: "Print the run summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if let maxFiles, maxFiles < 1 { throw ValidationError("--max-files must be at least 1") }
    }

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let early = EarlyListing.current?.take(configPath: global.configPath(environment: environment))
            let config = try early?.config ?? global.loadConfig(environment: environment)
            SignalMonitor.install()
            let logger = global.makeLogger()
            if let problem = FaultPoint.validate(environment.variables["LADING_FAULT"]) {
                logger.warning("\(problem)")
            }
            var pipeline = RunPipeline(config: config, environment: environment, logger: logger)
            pipeline.listingStarted = early?.listing
            if !noProgress && isatty(STDERR_FILENO) == 1 {
                pipeline.progress = { line in FileHandle.standardError.write(Data(("progress: " + line + "\n").utf8)) }
            }
            let cwd = FileManager.default.currentDirectoryPath
            let summary: RunSummary
            do {
                summary = try pipeline.run(RunOptions(tables: tables, dryRun: dryRun, maxFiles: maxFiles),
                                           reportPath: report.map { Paths.absolute($0, relativeTo: cwd) })
            } catch let error as LadingError where error.isUnreachable && !dryRun {
                // A server that did not answer: the metrics say so rather than keep the
                // previous run's values (best effort; the error is what the run reports).
                if let metricsFile {
                    try? MetricsWriter.write(PrometheusMetrics.render(reachable: false), to: Paths.absolute(metricsFile, relativeTo: cwd))
                }
                throw error
            }
            if let metricsFile, !dryRun {
                try MetricsWriter.write(summary: summary, config: config, environment: environment,
                                        to: Paths.absolute(metricsFile, relativeTo: cwd))
            }
            if json { try Output.json(summary) } else { Output.print(RunSummaryText.render(summary)) }
            return summary.hasFailures ? .completedWithFailures : .success
        }
    }
}

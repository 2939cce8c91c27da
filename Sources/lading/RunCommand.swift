import ArgumentParser
import LadingCore

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

    @Flag(name: .customLong("json"), help: "Print the run summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if let maxFiles, maxFiles < 1 { throw ValidationError("--max-files must be at least 1") }
    }

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let pipeline = RunPipeline(config: config, environment: environment, logger: global.makeLogger())
            let summary = try pipeline.run(RunOptions(tables: tables, dryRun: dryRun, maxFiles: maxFiles))
            if json { try Output.json(summary) } else { Output.print(RunSummaryText.render(summary)) }
            return summary.outcome == "success" || summary.outcome == "dry-run" ? .success : .completedWithFailures
        }
    }
}

import ArgumentParser
import Foundation
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct ResetStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-state",
        abstract: "Make files loadable again (all tables, chosen tables, one file, or only failed files' retry counts).",
        discussion: """
        Loads are idempotent, so a reset never duplicates rows: the next run loads the files
        again and each load replaces that file's earlier rows in the same commit (until then
        the old rows stay). An SCD2 table is replayed from its files in order into a new
        table that replaces it in one transaction, before the command returns. A file no
        longer on disk keeps its rows (--file on it is refused). --dry-run changes nothing.
        Asks for confirmation on a terminal; without a terminal it needs --yes (otherwise exit 64).
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Only this table (repeatable; default: all).")
    var table: [String] = []

    @Option(name: .long, help: "Only this file, as tracked or relative to the config file (repeatable).")
    var file: [String] = []

    @Flag(name: .customLong("failed-only"), help: "Only reset FAILED files' retry counts to 0 (they stay FAILED; the next run retries them).")
    var failedOnly = false

    @Flag(name: .long, help: "Do not ask.")
    var yes = false

    @Flag(name: .long, help: "Rebuild the chosen tables from their files with column types inferred again (declared ones still apply), aside, then swapped in.")
    var reinfer = false

    @Flag(name: .customLong("dry-run"), help: "Print what would be reset; change nothing (no lock, no question).")
    var dryRun = false

    @Option(name: .customLong("metrics-file"), help: "Write lading_repairs_total{kind} in Prometheus text format.")
    var metricsFile: String?

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func validate() throws {
        if reinfer && (failedOnly || !file.isEmpty) { throw ValidationError("--reinfer rebuilds whole tables: give it with --table (or alone), not with --file or --failed-only") }
    }

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            SignalMonitor.install()
            let logger = global.makeLogger()
            let tables = try config.selectTables(table)
            let runner = StateResetRunner(config: config, environment: environment, logger: logger)
            if dryRun {
                let outcomes = try runner.plan(tables: tables, files: file, failedOnly: failedOnly, reinfer: reinfer)
                if json { try Output.json(outcomes) } else { for line in StateReset.Outcome.lines(outcomes) { Output.print(line) } }
                // The real reset would refuse a replay that misses files (exit 1): so does its plan.
                return outcomes.contains { $0.replay && !$0.keptMissing.isEmpty } ? .completedWithFailures : .success
            }
            let scope = failedOnly ? "reset the retry counts of FAILED files in" : file.isEmpty ? "reset all files of" : "reset \(file.joined(separator: ", ")) in"
            let question = "This will \(scope) table(s) \(tables.map(\.name).joined(separator: ", "))."
            if !yes { Output.print(question) }
            guard try Output.confirm("Continue?", yes: yes, refusal: "refusing to reset state without confirmation") else {
                Output.print("Nothing changed.")
                return .success
            }
            let outcomes = try runner.reset(tables: tables, files: file, failedOnly: failedOnly, reinfer: reinfer)
            if let metricsFile {
                var repairs: [String: Int] = [:]
                for outcome in outcomes {
                    let kind = outcome.failedOnly ? "retry_count_reset" : outcome.replay ? "table_replayed" : "file_reset"
                    repairs[kind, default: 0] += outcome.failedOnly ? outcome.retryCountsReset : outcome.replay ? 1 : outcome.filesReset.count
                }
                try MetricsWriter.write(PrometheusMetrics.render(repairs: repairs), to: metricsFile)
            }
            if json {
                try Output.json(outcomes)
            } else {
                for line in StateReset.Outcome.lines(outcomes) { Output.print(line) }
            }
            return .success
        }
    }
}

import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Show bad records, or load them again after the config or schema was fixed.",
        subcommands: [List.self, Reprocess.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show quarantined records with file, line, reason and raw text.")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Only this table.")
        var table: String?

        @Option(name: .long, help: "Only this file (as tracked, or relative to the config file).")
        var file: String?

        @Flag(name: .customLong("json"), help: "Machine-readable output on stdout (raw records in full).")
        var json = false

        func run() throws {
            try ExitMapping.run {
                let environment = Environment.live
                let config = try global.loadConfig(environment: environment)
                if let table { _ = try config.selectTables([table]) }
                let listing = try QuarantineListing.gather(config: config, environment: environment, table: table, file: file)
                if json { try Output.json(listing) } else { Output.print(listing.text) }
                return .success
            }
        }
    }

    struct Reprocess: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reprocess",
            abstract: "Read quarantined records again through the current config and schema; load those that pass, once.",
            discussion: "Takes the lock (exit 75 beside a live run). Records that still fail stay quarantined with the current reason."
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Only this table (repeatable; default: all).")
        var table: [String] = []

        @Flag(name: .customLong("dry-run"), help: "Print what would load and what stays bad; change nothing.")
        var dryRun = false

        @Option(name: .customLong("metrics-file"), help: "Write lading_repairs_total{kind=\"quarantine_reprocessed\"} in Prometheus text format.")
        var metricsFile: String?

        @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
        var json = false

        func run() throws {
            try ExitMapping.run {
                let environment = Environment.live
                let config = try global.loadConfig(environment: environment)
                let logger = global.makeLogger()
                let tables = try config.selectTables(table)
                SignalMonitor.install()
                let outcomes = try QuarantineReprocessor(config: config, environment: environment, logger: logger).reprocess(tables: tables, dryRun: dryRun)
                if let metricsFile, !dryRun {
                    let loaded = outcomes.reduce(0) { $0 + $1.reprocessed }
                    try MetricsWriter.write(PrometheusMetrics.render(repairs: ["quarantine_reprocessed": loaded]), to: metricsFile)
                }
                if json {
                    try Output.json(outcomes)
                } else {
                    Output.print(outcomes.isEmpty ? "Nothing to reprocess." : outcomes.map(\.text).joined(separator: "\n"))
                }
                return .success
            }
        }
    }
}

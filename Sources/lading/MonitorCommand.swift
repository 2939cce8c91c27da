import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Health over a window: success and failure rates, quarantine rate, error patterns, alerts.",
        discussion: """
        Exits 1 when an alert is critical, whatever the output format: a threshold under
        monitor: in the config crossed, or an SCD2 table held back behind a FAILED file that
        no run will retry (held_files). Warnings exit 0: a run much longer than usual,
        interrupted runs, FAILED files that will not be retried (failed_not_retried), files
        held behind a FAILED file the next run retries. Held and FAILED files are counted
        from the tracker as it is now, whatever the window; each such alert names the table
        and the command that helps.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "The window, in hours back from now.")
    var hours: Double = 24

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func validate() throws {
        guard hours > 0, hours.isFinite else { throw ValidationError("--hours must be a positive number") }
    }

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let report = try MonitorReport.gather(config: config, environment: environment, hours: hours)
            if json { try Output.json(report) } else { Output.print(report.text) }
            return report.critical ? .completedWithFailures : .success
        }
    }
}

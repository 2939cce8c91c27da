import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "One file's whole story: tracker row and attempts, ledger row and checkpoint, quarantine, runs, rows now, and the next action.",
        discussion: """
        FILE as tracked, or relative to the config file. A file no run has seen is explained as \
        'lading plan' would. Reads only. Exit 1 when validate-consistency would report an error for this file.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The file, as tracked or relative to the config file.")
    var file: String

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let report = try ExplainReport.gather(config: config, environment: environment, argument: file, logger: global.makeLogger())
            if json { try Output.json(report) } else { Output.print(report.text()) }
            return report.inconsistent || report.plan?.outcome == "fail" ? .completedWithFailures : .success
        }
    }
}

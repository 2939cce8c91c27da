import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Past runs, newest first: start, duration, outcome, files and rows, errors."
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "How many runs to show.")
    var limit = 20

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let history = try RunHistory.gather(config: config, environment: environment, limit: limit)
            if json { try Output.json(history) } else { Output.print(history.text) }
            return .success
        }
    }
}

import ArgumentParser
import Foundation
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

    @Option(name: .customLong("html"), help: ArgumentHelp(
        "Write the runs as one self-contained HTML page (chart, runs, failed files, files per table) to this path.",
        valueName: "path"))
    var html: String?

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
        guard !(json && html != nil) else { throw ValidationError("--json and --html go separately: the page has the same data") }
    }

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let history = try RunHistory.gather(config: config, environment: environment, limit: limit)
            if let html {
                let path = Paths.absolute(html, relativeTo: FileManager.default.currentDirectoryPath)
                try HistoryPage(history: history).write(to: path)
                let failed = history.runs.reduce(0) { $0 + $1.files.filter { $0.status == "failed" }.count }
                Output.print("wrote \(path): \(history.runs.count) run(s), \(failed) failed file(s)")
            } else if json {
                try Output.json(history)
            } else {
                Output.print(history.text)
            }
            return .success
        }
    }
}

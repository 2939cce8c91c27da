import ArgumentParser
import Foundation
import LadingCore

struct ResetStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-state",
        abstract: "Make files loadable again (all tables, chosen tables, one file, or only failed files' retry counts).",
        discussion: """
        Loads are idempotent, so a reset never duplicates rows: the next run loads the files
        again and each load replaces that file's earlier rows. An SCD2 table is emptied and
        replayed from its files in order. --file removes that file's rows at once.
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

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let logger = global.makeLogger()
            let tables = try config.selectTables(table)
            let scope = failedOnly ? "reset the retry counts of FAILED files in" : file.isEmpty ? "reset all files of" : "reset \(file.joined(separator: ", ")) in"
            let question = "This will \(scope) table(s) \(tables.map(\.name).joined(separator: ", "))."
            if !yes { Output.print(question) }
            guard try Output.confirm("Continue?", yes: yes, refusal: "refusing to reset state without confirmation") else {
                Output.print("Nothing changed.")
                return .success
            }
            let outcomes = try StateResetRunner(config: config, environment: environment, logger: logger)
                .reset(tables: tables, files: file, failedOnly: failedOnly)
            if json {
                try Output.json(outcomes)
            } else {
                for outcome in outcomes { Output.print(outcome.text) }
            }
            return .success
        }
    }
}

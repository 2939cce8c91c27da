import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "What the next run would do, file by file: records, inserts, updates, closes, deletes, quarantines, schema changes, failures.",
        discussion: """
        Reads every file a run would load and applies it with the loaders' own logic inside a \
        transaction that is rolled back, so the counts are the run's and nothing is written: \
        no lock, no tracker row, no table. Later files of an ordered table (scd2, merge, \
        overwrite) are planned as if the earlier ones had been applied. Exit 1 when some file would fail.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("table"), help: "Only this table (repeatable).")
    var tables: [String] = []

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let report = try Planner(config: config, environment: environment, logger: global.makeLogger()).plan(tables: tables)
            if json { try Output.json(report) } else { Output.print(report.text()) }
            return report.wouldFail ? .completedWithFailures : .success
        }
    }
}

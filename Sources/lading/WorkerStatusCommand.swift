import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct WorkerStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker-status",
        abstract: "List the runs working now (with PostgreSQL: every worker, its file and lease expiry, alive or expired).",
        discussion: "Reads only; safe beside running workers. With SQLite the lock file's holder is the only worker."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let report = try WorkerStatusReport.gather(config: config, environment: environment)
            if json { try Output.json(report) } else { Output.print(report.text()) }
            return .success
        }
    }
}

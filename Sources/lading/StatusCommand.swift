import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the lock holder, file counts per table and status, the last run and failed files."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let report: StatusReport
            do {
                report = try StatusReport.gather(config: config, environment: environment)
            } catch let error as LadingError where error.isUnreachable {
                // SPEC §9: an unreachable server is said plainly, with what is known; exit 1.
                report = StatusReport.unreachable(config: config, environment: environment, reason: error.message)
            }
            if json { try Output.json(report) } else { Output.print(report.text()) }
            return report.unreachable == nil ? .success : .completedWithFailures
        }
    }
}

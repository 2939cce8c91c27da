import ArgumentParser
import Foundation
import LadingConfiguration

@main
struct Lading: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lading",
        abstract: "Load landing files into warehouse tables exactly once.",
        discussion: """
        Exit codes: 0 success; 1 some files failed, inconsistencies found (after --fix: some left), \
        a reset refused, or a critical monitor alert; 64 bad command line; 70 internal error; 74 I/O error on the state folder or the warehouse (disk full, read-only); \
        75 lock held by another live run; 78 configuration error; 130/143 stopped by SIGINT/SIGTERM.
        """,
        subcommands: [RunCommand.self, StatusCommand.self, ValidateConsistencyCommand.self, FixInconsistenciesCommand.self,
                      ForceUnlockCommand.self, ResetStateCommand.self, QuarantineCommand.self, HistoryCommand.self, MonitorCommand.self,
                      InitCommand.self, WorkerStatusCommand.self, PlanCommand.self, ExplainCommand.self]
    )

    /// swift-argument-parser's `main()`, after starting a run's config and first
    /// listing beside the parser (`EarlyListing`).
    static func main() {
        EarlyListing.current = EarlyListing.start(arguments: Array(CommandLine.arguments.dropFirst()),
                                                  environment: ProcessInfo.processInfo.environment,
                                                  currentDirectory: FileManager.default.currentDirectoryPath)
        do {
            var command = try parseAsRoot(nil)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

import ArgumentParser
import Foundation
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct ForceUnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "force-unlock",
        abstract: "Show the lock holder and remove the lock file.",
        discussion: "Asks for confirmation on a terminal; without a terminal it needs --yes (otherwise exit 64, nothing changed)."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Do not ask; remove the lock.")
    var yes = false

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let lockPath = environment.stores.lockLocation(config)
            let state = try environment.stores.inspectRunLock(config, environment: environment)
            let description: String
            switch state {
            case .absent:
                Output.print("No lock held at \(lockPath); nothing to do.")
                return .success
            case .held(let info, let staleReason):
                description = "Lock \(lockPath) held by \(info.holderDescription): " + (staleReason.map { "stale (\($0))" } ?? "ALIVE — removing it lets a second run start beside it")
            case .unreadable(let detail, _):
                description = "Lock \(lockPath) is unreadable (\(detail))"
            }
            Output.print(description)
            guard try Output.confirm("Remove it?", yes: yes, refusal: "refusing to remove the lock without confirmation") else {
                Output.print("Left the lock in place.")
                return .success
            }
            try environment.stores.removeRunLock(config)
            Output.print("Lock removed.")
            return .success
        }
    }
}

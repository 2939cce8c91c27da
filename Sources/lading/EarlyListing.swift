import Foundation
import LadingCore
import LadingSupport
import LadingConfiguration

/// `lading run` loads its config and starts listing its first table's landing folder
/// while swift-argument-parser is still reading the command line: parsing takes about
/// 1.5 ms (reflection over every command's options), which on a rerun with nothing new
/// is most of what the listing could overlap, and the second core is idle meanwhile.
///
/// It is a guess from a scan of the raw arguments for `run`, `--config` and `--table`,
/// and a wrong guess costs only the work: `RunCommand` takes the config only when its
/// parsed options locate the same file (`take(configPath:)`), and the pipeline takes
/// the listing only when it is of the first table the run loads. Loading a config and
/// listing a folder write nothing, so a guess that loses changes nothing either. No
/// guess when the arguments ask for help, a dry run, or repeat `--config`.
final class EarlyListing {
    /// The guess started for this process, if any; read once by `RunCommand`.
    nonisolated(unsafe) static var current: EarlyListing?

    private let configPath: String
    private let loaded = Handoff()
    private let help = StatHelp()
    /// The first table's listing, made on the same thread right after the config: a
    /// thread of its own would start on the parser's busy core.
    private let side: SideThread<Result<Discovery.Listing, any Error>?>

    private init(configPath: String, tables: [String]) {
        self.configPath = configPath
        side = SideThread { [loaded, help] in
            // Any error here is the real run's to find and report.
            let config = try? ConfigLoader.load(path: configPath)
            let first = config.flatMap { try? $0.selectTables(tables).first }
            loaded.value = config.map { ($0, first?.name) }
            loaded.ready.signal()
            return first.map { table in
                var discovery = Discovery(table: table, now: SystemClock().now())
                discovery.statHelp = help
                return Result { try discovery.list() }
            }
        }
    }

    /// Starts the guess when `arguments` (without the program name) look like a run.
    static func start(arguments: [String], environment: [String: String], currentDirectory: String) -> EarlyListing? {
        guard let scan = Scan(arguments) else { return nil }
        let path = ConfigLoader.locate(explicit: scan.config, environment: environment, currentDirectory: currentDirectory)
        return EarlyListing(configPath: path, tables: scan.tables)
    }

    /// The config loaded from `configPath` and the listing under way, when the guess
    /// read that file; nil otherwise (the caller loads the config itself).
    func take(configPath: String) -> (config: LadingConfig, listing: ListingPrefetch?)? {
        guard configPath == self.configPath else { return nil }
        loaded.ready.wait()
        loaded.ready.signal()
        guard let (config, first) = loaded.value else { return nil }
        let listing = first.map { table in
            ListingPrefetch(table: table, help: help) { [side] in
                side.wait() ?? .failure(InternalError("the early listing of table '\(table)' returned nothing"))
            }
        }
        return (config, listing)
    }

    /// The config, handed from the guess's thread to the main one before the listing.
    private final class Handoff: @unchecked Sendable {
        let ready = DispatchSemaphore(value: 0)
        /// Set before `ready` is signalled, read after it is waited for.
        var value: (config: LadingConfig, first: String?)?
    }

    /// The options the guess needs, read the way swift-argument-parser reads them
    /// (`--name value` or `--name=value`); nil when the arguments are not a plain run.
    struct Scan: Equatable {
        var config: String?
        var tables: [String] = []

        init?(_ arguments: [String]) {
            guard arguments.first == "run" else { return nil }
            var index = 1
            var configs = 0
            while index < arguments.count {
                let argument = arguments[index]
                index += 1
                if ["--help", "-h", "--dry-run", "--"].contains(argument) || argument.hasPrefix("--generate-completion-script") { return nil }
                for name in ["--config", "--table"] {
                    let value: String?
                    if argument == name {
                        guard index < arguments.count else { return nil }
                        value = arguments[index]
                        index += 1
                    } else if argument.hasPrefix(name + "=") {
                        value = String(argument.dropFirst(name.count + 1))
                    } else {
                        continue
                    }
                    if name == "--config" {
                        config = value
                        configs += 1
                    } else if let value {
                        tables.append(value)
                    }
                }
            }
            guard configs <= 1 else { return nil }
        }
    }
}

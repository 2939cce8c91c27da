import ArgumentParser
import Foundation
import LadingCore
import Logging
import LadingSupport
import LadingConfiguration
import LadingStore

/// Flags every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $LADING_CONFIG, then ./lading.yaml).")
    var config: String?

    @Option(name: .customLong("log-format"), help: "Log lines on stderr: text or json.")
    var logFormat: LogFormatOption = .text

    @Option(name: .customLong("log-level"), help: "Least severe log level shown: trace, debug, info, notice, warning, error, critical.")
    var logLevel: LogLevelOption = .info

    /// The command's logger; also the process-wide default, so libraries that log
    /// on their own (the PostgreSQL backend's connection retries) write the same lines.
    func makeLogger() -> Logger {
        let format = logFormat.format
        let level = logLevel.level
        LoggingBootstrap.once { label in StderrLogHandler(label: label, format: format, level: level) }
        return Logger(label: "lading") { label in StderrLogHandler(label: label, format: format, level: level) }
    }

    func loadConfig(environment: Environment) throws -> LadingConfig {
        try ConfigLoader.load(path: configPath(environment: environment))
    }

    /// The config file these options name (`--config`, else `$LADING_CONFIG`, else ./lading.yaml).
    func configPath(environment: Environment) -> String {
        ConfigLoader.locate(explicit: config, environment: environment.variables, currentDirectory: FileManager.default.currentDirectoryPath)
    }
}

enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
    case text, json
    var format: StderrLogHandler.Format { self == .json ? .json : .text }
}

enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
    var level: Logger.Level { Logger.Level(rawValue: rawValue) ?? .info }
}

/// `LoggingSystem.bootstrap` may run once per process.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    static func once(_ factory: @escaping @Sendable (String) -> any LogHandler) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap(factory)
    }
}

import ArgumentParser
import LadingCore

struct ValidateConsistencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate-consistency",
        abstract: "Check tracker, ledger, tables, files and lock against each other (exit 0 consistent, 1 not).",
        discussion: """
        Takes no lock and writes nothing, so a health check can run beside a live load.
        With --fix it takes the lock (exit 75 if a live run holds it), repairs what is safe,
        checks again and exits 1 only if something could not be fixed.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Repair what can be repaired safely, then check again.")
    var fix = false

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ConsistencyOutput.run(global: global, fix: fix, json: json)
    }
}

struct FixInconsistenciesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix-inconsistencies",
        abstract: "Repair what validate-consistency finds and report each action (same as validate-consistency --fix)."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ConsistencyOutput.run(global: global, fix: true, json: json)
    }
}

enum ConsistencyOutput {
    static func run(global: GlobalOptions, fix: Bool, json: Bool) throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            let report = fix
                ? try ConsistencyRepairer(config: config, environment: environment, logger: global.makeLogger()).repair()
                : try ConsistencyChecker(config: config, environment: environment).check()
            if json { try Output.json(report) } else { Output.print(report.text) }
            return report.consistent ? .success : .completedWithFailures
        }
    }
}

import ArgumentParser
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

struct ValidateConsistencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate-consistency",
        abstract: "Check tracker, ledger, tables, files and lock against each other (exit 0 consistent, 1 not).",
        discussion: """
        Takes no lock and writes nothing, so a health check can run beside a live load.
        With --fix it takes the lock (exit 75 if a live run holds it), repairs what is safe,
        checks again and exits 1 only if something could not be fixed. A repair never
        deletes rows it cannot load again. --fix --dry-run lists what it would do.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Repair what can be repaired safely, then check again.")
    var fix = false

    @Flag(name: .customLong("dry-run"), help: "With --fix: print what would be repaired; change nothing.")
    var dryRun = false

    @Option(name: .customLong("metrics-file"), help: "Write lading_consistency_findings{kind,severity} (and with --fix lading_repairs_total{kind}) in Prometheus text format.")
    var metricsFile: String?

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func validate() throws {
        if dryRun && !fix { throw ValidationError("--dry-run goes with --fix (validate-consistency alone changes nothing)") }
    }

    func run() throws {
        try ConsistencyOutput.run(global: global, fix: fix, dryRun: dryRun, json: json, metricsFile: metricsFile)
    }
}

struct FixInconsistenciesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix-inconsistencies",
        abstract: "Repair what validate-consistency finds and report each action (same as validate-consistency --fix)."
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "Print what would be repaired; change nothing (no lock taken).")
    var dryRun = false

    @Option(name: .customLong("metrics-file"), help: "Write lading_consistency_findings and lading_repairs_total in Prometheus text format.")
    var metricsFile: String?

    @Flag(name: .customLong("json"), help: "Machine-readable output on stdout.")
    var json = false

    func run() throws {
        try ConsistencyOutput.run(global: global, fix: true, dryRun: dryRun, json: json, metricsFile: metricsFile)
    }
}

enum ConsistencyOutput {
    static func run(global: GlobalOptions, fix: Bool, dryRun: Bool, json: Bool, metricsFile: String?) throws {
        try ExitMapping.run {
            let environment = Environment.live
            let config = try global.loadConfig(environment: environment)
            if fix && !dryRun { SignalMonitor.install() }
            let repairer = ConsistencyRepairer(config: config, environment: environment, logger: global.makeLogger())
            let report = !fix ? try ConsistencyChecker(config: config, environment: environment).check()
                : dryRun ? try repairer.plan() : try repairer.repair()
            if let metricsFile {
                var text = PrometheusMetrics.render(findings: report.findings)
                if fix && !dryRun { text += PrometheusMetrics.render(repairs: report.repairs) }
                try MetricsWriter.write(text, to: metricsFile)
            }
            if json { try Output.json(report) } else { Output.print(report.text) }
            return report.consistent ? .success : .completedWithFailures
        }
    }
}

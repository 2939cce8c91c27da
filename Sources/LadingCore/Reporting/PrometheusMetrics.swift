import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The Prometheus text exposition format for node_exporter's textfile collector
/// (SPEC §8). Written by hand: the format is a few lines, and swift-prometheus would
/// bring a registry and a dependency tree for nothing more.
public enum PrometheusMetrics {
    /// `lading_rows_*_total` count the last run's rows (SPEC §8). They are typed as
    /// counters, which reset every run: `promtool check metrics` rejects a `_total` gauge,
    /// and Prometheus treats the drop at each run as a counter reset, so `increase()` works.
    public static func render(summary: RunSummary, fileCounts: [String: [FileStatus: Int]], lastSuccess: Date?,
                              tables: [String], openBreakers: Set<String>) -> String {
        var lines: [String] = []
        func escape(_ label: String) -> String {
            label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        lines.append("# HELP lading_rows_loaded_total Rows loaded by the last run, per table.")
        lines.append("# TYPE lading_rows_loaded_total counter")
        for table in summary.tables {
            lines.append("lading_rows_loaded_total{table=\"\(escape(table.table))\"} \(table.files.reduce(0) { $0 + $1.rowsLoaded })")
        }
        lines.append("# HELP lading_rows_quarantined_total Records quarantined by the last run, per table.")
        lines.append("# TYPE lading_rows_quarantined_total counter")
        for table in summary.tables {
            lines.append("lading_rows_quarantined_total{table=\"\(escape(table.table))\"} \(table.files.reduce(0) { $0 + $1.rowsQuarantined })")
        }
        lines.append("# HELP lading_files Files in the tracker, per table and status.")
        lines.append("# TYPE lading_files gauge")
        for table in fileCounts.keys.sorted() {
            for status in FileStatus.allCases {
                lines.append("lading_files{table=\"\(escape(table))\",status=\"\(status.rawValue)\"} \(fileCounts[table]?[status] ?? 0)")
            }
        }
        lines.append("# HELP lading_run_duration_seconds Duration of the last run.")
        lines.append("# TYPE lading_run_duration_seconds gauge")
        lines.append("lading_run_duration_seconds \(summary.durationSeconds ?? 0)")
        lines.append("# HELP lading_last_success_timestamp_seconds Unix time of the last run that ended in success.")
        lines.append("# TYPE lading_last_success_timestamp_seconds gauge")
        lines.append("lading_last_success_timestamp_seconds \(lastSuccess.map { Int($0.timeIntervalSince1970) } ?? 0)")
        lines.append("# HELP lading_circuit_breaker_open 1 while a table's circuit breaker is open (its next run tries one file first).")
        lines.append("# TYPE lading_circuit_breaker_open gauge")
        for table in tables {
            lines.append("lading_circuit_breaker_open{table=\"\(escape(table))\"} \(openBreakers.contains(table) ? 1 : 0)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// SPEC §4: refused and interrupted runs are counted. Totals over the tracker's
    /// history, so they only grow (true counters; `increase()` gives the recent ones).
    public static func render(runOutcomes: [String: Int]) -> String {
        var lines = ["# HELP lading_runs_total Runs recorded in the tracker, per outcome (refused: turned away by the lock; interrupted: killed).",
                     "# TYPE lading_runs_total counter"]
        for outcome in ["success", "partial", "failed", "interrupted", "refused"] {
            lines.append("lading_runs_total{outcome=\"\(outcome)\"} \(runOutcomes[outcome] ?? 0)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// 1 when the last command reached the warehouse and tracker, 0 when it could not
    /// (a PostgreSQL server that did not answer): the one series written then, so an
    /// alert sees the outage instead of the previous run's values.
    public static func render(reachable: Bool) -> String {
        "# HELP lading_warehouse_reachable Whether the last command could reach the warehouse and tracker.\n"
            + "# TYPE lading_warehouse_reachable gauge\nlading_warehouse_reachable \(reachable ? 1 : 0)\n"
    }

    static func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `validate-consistency --metrics-file` (SPEC §8): findings per kind and severity,
    /// every kind listed (0 when absent) so an alert on `> 0` has a series to read.
    public static func render(findings: [Finding]) -> String {
        var lines = ["# HELP lading_consistency_findings Findings of the last validate-consistency, per kind and severity.",
                     "# TYPE lading_consistency_findings gauge"]
        for kind in Finding.Kind.allCases {
            for severity in [Finding.Severity.error, .warning] {
                let count = findings.filter { $0.kind == kind && $0.severity == severity }.reduce(0) { $0 + $1.count }
                lines.append("lading_consistency_findings{kind=\"\(kind.rawValue)\",severity=\"\(severity.rawValue)\"} \(count)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Recovery commands (SPEC §8): what this invocation repaired, per kind. Typed as a
    /// counter that resets with each command, like the run's row counters.
    public static func render(repairs: [String: Int]) -> String {
        var lines = ["# HELP lading_repairs_total Repairs made by the last recovery command, per kind.",
                     "# TYPE lading_repairs_total counter"]
        for kind in repairs.keys.sorted() {
            lines.append("lading_repairs_total{kind=\"\(escape(kind))\"} \(repairs[kind] ?? 0)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// What `validate-consistency` prints (SPEC §6), and after `--fix` what was repaired.
public struct ConsistencyReport: Encodable, Sendable {
    public struct TableStatus: Encodable, Sendable {
        public var table: String
        public var consistent: Bool
        public var issues: [String]
    }

    public struct RunningRun: Encodable, Sendable {
        public var runID: String
        public var pid: Int32
        public var hostname: String
        public var since: String

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", pid, hostname, since
        }
    }

    public var findings: [Finding] = []
    public var trackerStatus = "consistent"
    public var totalFilesChecked = 0
    public var running: RunningRun?
    public var tables: [TableStatus] = []
    /// Repairs done by `--fix`, one line each.
    public var fixes: [String] = []
    /// What `--fix` tried and had to leave, with the way out.
    public var notFixed: [String] = []
    /// `--dry-run`: `fixes` are what a fix would do; nothing was changed.
    public var dryRun = false
    /// Repairs made, per finding kind (`lading_repairs_total{kind}`).
    public var repairs: [String: Int] = [:]

    public var inconsistencies: [Finding] { findings.filter { $0.severity == .error } }
    public var warnings: [Finding] { findings.filter { $0.severity == .warning } }
    public var consistent: Bool { inconsistencies.isEmpty }
    /// True totals: a finding closing a capped list stands for the findings it did not list.
    public var inconsistencyCount: Int { inconsistencies.reduce(0) { $0 + $1.count } }
    public var warningCount: Int { warnings.reduce(0) { $0 + $1.count } }

    enum CodingKeys: String, CodingKey {
        case status, trackerStatus = "tracker_status", totalFilesChecked = "total_files_checked"
        case inconsistenciesFound = "inconsistencies_found", inconsistencies, warnings, running, tables, fixes, unfixed, notFixed = "not_fixed", dryRun = "dry_run"
    }

    public init() {}

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(consistent ? "consistent" : "inconsistent", forKey: .status)
        try container.encode(trackerStatus, forKey: .trackerStatus)
        try container.encode(totalFilesChecked, forKey: .totalFilesChecked)
        try container.encode(inconsistencyCount, forKey: .inconsistenciesFound)
        try container.encode(inconsistencies, forKey: .inconsistencies)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(running, forKey: .running)
        try container.encode(tables, forKey: .tables)
        try container.encode(fixes, forKey: .fixes)
        try container.encode(inconsistencies.filter { !$0.fixable }, forKey: .unfixed)
        try container.encode(notFixed, forKey: .notFixed)
        try container.encode(dryRun, forKey: .dryRun)
    }

    /// `Row count differs from the ledger: 3`, one entry per kind in the order found.
    static func countsByKind(_ findings: [Finding]) -> [String] {
        var order: [Finding.Kind] = []
        var counts: [Finding.Kind: Int] = [:]
        for finding in findings {
            if counts[finding.kind] == nil { order.append(finding.kind) }
            counts[finding.kind, default: 0] += finding.count
        }
        return order.map { "\($0.label): \(Finding.grouped(counts[$0] ?? 0))" }
    }

    /// The human report in the SPEC's layout.
    public var text: String {
        var lines = ["=== PIPELINE CONSISTENCY VALIDATION ==="]
        lines.append("Overall Status: \(consistent ? "CONSISTENT" : "INCONSISTENT")")
        lines.append("File Tracker Status: \(trackerStatus)")
        lines.append("Total Files Checked: \(totalFilesChecked)")
        if let running {
            lines.append("Run In Progress: \(running.runID) (pid \(running.pid) on \(running.hostname), since \(running.since)); its files are not orphaned")
        }
        // Each finding once, here; the sections below give counts, not the lines again.
        lines.append("Inconsistencies Found: \(Finding.grouped(inconsistencyCount))")
        lines += inconsistencies.map { "  - \($0.line)" }
        if !warnings.isEmpty {
            lines.append("Warnings: \(Finding.grouped(warningCount))")
            lines += warnings.map { "  - \($0.line)" }
        }
        lines.append("Table Consistency:")
        for table in tables {
            lines.append("  \(table.consistent ? "✓" : "✗") \(table.table)")
            lines += table.issues.map { "    - \($0)" }
        }
        if dryRun {
            lines.append("Fixes Planned (dry run, nothing was changed): \(fixes.count)")
            lines += fixes.map { "  - \($0)" }
        } else if !fixes.isEmpty {
            lines.append("Fixes Applied: \(fixes.count)")
            lines += fixes.map { "  - \($0)" }
        }
        if !notFixed.isEmpty {
            lines.append("Could Not Fix: \(notFixed.count)")
            lines += notFixed.map { "  - \($0)" }
        }
        let unfixable = inconsistencies.filter { !$0.fixable }
        if !unfixable.isEmpty {
            let count = unfixable.reduce(0) { $0 + $1.count }
            lines.append("Cannot Fix Automatically: \(Finding.grouped(count)) (\(Self.countsByKind(unfixable).joined(separator: "; "))); each line above says the way out")
        }
        return lines.joined(separator: "\n")
    }
}

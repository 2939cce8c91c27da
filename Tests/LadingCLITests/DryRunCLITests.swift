import Foundation
import LadingTestSupport
import Testing

/// SPEC §6: `--dry-run` on every command that repairs prints what would change and
/// changes nothing; SPEC §8: findings and repairs as metrics.
@Suite struct DryRunCLITests {
    /// The bytes of every state file, to show a dry run changed none of them.
    /// (An empty `-wal` that a read-only open creates holds nothing and is left out.)
    func snapshot(_ workspace: Workspace) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["warehouse.sqlite", "state/tracker.sqlite", "state/tracker.sqlite-wal", "state/lading.lock"] where workspace.exists(name) {
            let data = try Data(contentsOf: URL(fileURLWithPath: workspace.url(name)))
            if !data.isEmpty { files[name] = data }
        }
        return files
    }

    func damaged() throws -> Workspace {
        let workspace = try Workspace()
        try workspace.writeLoadFixture()
        #expect(try workspace.lading("run").status == 0)
        let orders2 = workspace.url("landing/orders/orders_2.csv")
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "INSERT INTO orders SELECT * FROM orders WHERE _source_file = '\(orders2)' LIMIT 3")
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "UPDATE people SET is_current = 1 WHERE id = 3 AND is_current = 0 AND 0")
        return workspace
    }

    @Test(arguments: [["fix-inconsistencies", "--dry-run"], ["validate-consistency", "--fix", "--dry-run"]])
    func aDryRunFixChangesNothing(arguments: [String]) throws {
        let workspace = try damaged()
        let before = try snapshot(workspace)
        let planned = try CLI.run(arguments + ["--config", workspace.url("lading.yaml")], in: workspace.path)
        #expect(planned.status == 1, "still inconsistent: \(planned.stdout)")
        #expect(planned.stdout.contains("Fixes Planned (dry run, nothing was changed): 1") && planned.stdout.contains("would load it again"), "\(planned.stdout)")
        let after = try snapshot(workspace)
        #expect(after == before, "\(after.mapValues(\.count)) vs \(before.mapValues(\.count))")
        #expect(!workspace.exists("state/lading.lock"))
        #expect(try workspace.lading("fix-inconsistencies").status == 0)
        try workspace.expectInvariants()
    }

    @Test func dryRunWithoutFixIsABadCommandLine() throws {
        let workspace = try damaged()
        #expect(try workspace.lading("validate-consistency", "--dry-run").status == 64)
    }

    @Test func aDryRunResetChangesNothingAndNeedsNoConfirmation() throws {
        let workspace = try damaged()
        let before = try snapshot(workspace)
        let planned = try workspace.lading("reset-state", "--dry-run")
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("would: orders: 5 file(s) reset") && planned.stdout.contains("would: people: replay its 3 applied file(s)"), "\(planned.stdout)")
        let one = try workspace.lading("reset-state", "--dry-run", "--file", "landing/orders/orders_1.csv")
        #expect(one.status == 0 && one.stdout.contains("would: orders: 1 file(s) reset"), "\(one.stdout)")
        let after = try snapshot(workspace)
        #expect(after == before, "\(after.mapValues(\.count)) vs \(before.mapValues(\.count))")
    }

    @Test func aDryRunReprocessCountsExactlyAndChangesNothing() throws {
        let workspace = try Workspace()
        try workspace.writeConfig(extra: "max_bad_record_ratio: 0.8\n", tableExtra: "    columns: {id: integer, qty: integer}\n")
        try workspace.write("landing/orders/a.csv", "id,qty\n1,5\n2,NA\n3,x\n")
        #expect(try workspace.lading("run").status == 0)
        let config = workspace.read("lading.yaml") ?? ""
        try workspace.write("lading.yaml", config.replacingOccurrences(of: "    columns:", with: "    csv: {null_values: [\"\", \"NA\"]}\n    columns:"))
        let before = try snapshot(workspace)
        let planned = try workspace.lading("quarantine", "reprocess", "--dry-run")
        #expect(planned.status == 0 && planned.stdout.contains("1 record(s) load, 1 stay bad"), "\(planned.stdout)")
        let after = try snapshot(workspace)
        #expect(after == before, "\(after.mapValues(\.count)) vs \(before.mapValues(\.count))")
        let real = try workspace.lading("quarantine", "reprocess", "--json", "--metrics-file", workspace.url("metrics/repairs.prom"))
        #expect(real.stdout.contains("\"reprocessed\" : 1"), "\(real.stdout)")
        let metrics = workspace.read("metrics/repairs.prom") ?? ""
        #expect(metrics.contains("lading_repairs_total{kind=\"quarantine_reprocessed\"} 1"), "\(metrics)")
        try Promtool.expectValid(metrics)
    }

    @Test func validateAndFixWriteFindingsAndRepairsMetrics() throws {
        let workspace = try damaged()
        let found = try workspace.lading("validate-consistency", "--metrics-file", workspace.url("metrics/consistency.prom"))
        #expect(found.status == 1)
        let findings = workspace.read("metrics/consistency.prom") ?? ""
        #expect(findings.contains("lading_consistency_findings{kind=\"row_count_mismatch\",severity=\"error\"} 1"), "\(findings)")
        #expect(findings.contains("lading_consistency_findings{kind=\"table_missing\",severity=\"error\"} 0"))
        try Promtool.expectValid(findings)
        let fixed = try workspace.lading("fix-inconsistencies", "--metrics-file", workspace.url("metrics/consistency.prom"))
        #expect(fixed.status == 0, "\(fixed.stdout)")
        let repairs = workspace.read("metrics/consistency.prom") ?? ""
        #expect(repairs.contains("lading_repairs_total{kind=\"row_count_mismatch\"} 1") && repairs.contains("severity=\"error\"} 0"), "\(repairs)")
        try Promtool.expectValid(repairs)
    }
}

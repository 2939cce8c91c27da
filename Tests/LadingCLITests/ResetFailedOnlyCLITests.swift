import Foundation
import LadingTestSupport
import Testing

/// Issue 13: `reset-state --failed-only` prints a line only for tables with FAILED files.
@Suite struct ResetFailedOnlyCLITests {
    /// `reset-state --failed-only` names the tables it changed, or says there was nothing.
    @Test func resetFailedOnlyNamesOnlyTablesWithFailedFiles() throws {
        let workspace = try HealthSignalsCLITests().workspace()
        try workspace.write("landing/orders/o1.csv", "id,v\n1,2\n")
        #expect(try workspace.lading("run").status == 0)
        for arguments in [["--yes"], ["--dry-run"]] {
            let none = try CLI.run(["reset-state", "--failed-only", "--config", workspace.url("lading.yaml")] + arguments, in: workspace.path)
            #expect(none.status == 0)
            #expect(none.stdout == "no FAILED files\n", "\(none.stdout)")
        }
        try workspace.write("landing/orders/o2.csv", "id,v\n1,2,3\n")
        #expect(try workspace.lading("run").status == 1)
        let one = try workspace.lading("reset-state", "--failed-only", "--yes")
        #expect(one.stdout == "orders: 1 FAILED file(s) will be retried by the next run\n", "\(one.stdout)")
        let planned = try workspace.lading("reset-state", "--failed-only", "--dry-run")
        #expect(planned.stdout == "would: orders: 1 FAILED file(s) will be retried by the next run\n", "\(planned.stdout)")
    }
}

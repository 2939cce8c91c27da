import Foundation
import LadingTestSupport
import Testing

/// Issue 13: `validate-consistency` reports true counts past its listing cap, prints
/// each finding once, and says "not retried" for an error class that is never retried.
@Suite struct ConsistencyCountsCLITests {
    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// SPEC §6: checks capped at 20 listed report true counts, each finding is printed
    /// once (the path once), and a data error is "not retried", not "retries exhausted".
    @Test func validateConsistencyCountsEverythingAndPrintsEachFindingOnce() throws {
        let workspace = try HealthSignalsCLITests().workspace()
        try workspace.write("landing/dim/s1.csv", "k,a\n" + (1...1_030).map { "\($0),x\n" }.joined())
        try workspace.write("landing/orders/o1.csv", "id,v\n1,2\n")
        let bad = try workspace.write("landing/orders/o2.csv", "id,v\n1,2,3\n")
        #expect(try workspace.lading("run").status == 1)
        // A hand edit that dropped the one-current-version index and copied every row:
        // 1,030 keys with two current versions, and 1,030 with overlapping ones.
        try ConsistencyCLITests.sql(workspace, "warehouse.sqlite", "DROP INDEX \"_lading_current_dim\"; INSERT INTO dim SELECT * FROM dim")
        let result = try workspace.lading("validate-consistency")
        #expect(result.status == 1)
        let out = result.stdout
        #expect(out.contains("Inconsistencies Found: 2,061"), "\(out)")
        let multiple = out.split(separator: "\n").filter { $0.hasPrefix("  - SCD2 key with more than one current version") }
        #expect(multiple.count == 21, "20 keys, then one line for the rest: \(multiple)")
        #expect(multiple.last?.contains("and 1,010 more keys") == true, "\(multiple)")
        let overlapping = out.split(separator: "\n").filter { $0.hasPrefix("  - SCD2 key with overlapping versions") }
        #expect(overlapping.count == 21 && overlapping.last?.contains("and 1,010 more keys") == true, "\(overlapping)")
        #expect(out.components(separatedBy: "key (7)").count == 3, "key 7 once per check: \(out)")
        #expect(out.components(separatedBy: bad).count == 2, "the failed file's path once: \(out)")
        #expect(out.contains("not retried: data errors need a fix"), "\(out)")
        #expect(!out.contains("retries exhausted") && !out.contains("attempt(s)"), "\(out)")
        #expect(out.contains("  ✗ dim") && out.contains("    - SCD2 key with more than one current version: 1,030"), "\(out)")
        let json = json(try workspace.lading("validate-consistency", "--json").stdout)
        #expect(json["inconsistencies_found"] as? Int == 2_061, "\(json)")
        let findings = json["inconsistencies"] as? [[String: Any]] ?? []
        #expect(findings.count == 21 + 21 + 1, "\(findings.count)")
        let rest = findings.filter { ($0["count"] as? Int ?? 1) > 1 }
        #expect(rest.map { $0["count"] as? Int } == [1_010, 1_010], "\(rest)")
    }
}

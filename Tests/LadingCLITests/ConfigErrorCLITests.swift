import Foundation
import LadingTestSupport
import Testing

@Suite struct ConfigErrorCLITests {
    @Test(arguments: [
        ("unknown top-level key", "state_dir: ./state\nbogus: 1\ntables:\n  - table_name: t\n    source_path: ./landing\n", "bogus", 2),
        ("typo inside tables[0]", "tables:\n  - table_name: t\n    source_path: ./landing\n    loading_stratgy: append\n", "tables[0].loading_stratgy", 4),
        ("wrong type", "retry_attempts: many\ntables:\n  - table_name: t\n    source_path: ./landing\n", "retry_attempts", 1),
        ("scd2 without primary_keys", "tables:\n  - table_name: t\n    source_path: ./landing\n    loading_strategy: scd2\n", "tables[0].primary_keys", 4),
    ])
    func configErrorsExit78WithFileKeyAndLine(name: String, yaml: String, key: String, line: Int) throws {
        let workspace = try Workspace()
        try FileManager.default.createDirectory(atPath: workspace.url("landing"), withIntermediateDirectories: true)
        try workspace.write("lading.yaml", yaml)
        let result = try workspace.lading("run")
        #expect(result.status == 78, "\(name): \(result.stderr)")
        #expect(result.stderr.contains(workspace.url("lading.yaml")), "\(name): \(result.stderr)")
        #expect(result.stderr.contains("key \(key)"), "\(name): \(result.stderr)")
        #expect(result.stderr.contains("line \(line)"), "\(name): \(result.stderr)")
        #expect(!workspace.exists("state/tracker.sqlite"))
    }

    @Test func aMissingConfigFileExits78NamingIt() throws {
        let workspace = try Workspace()
        let result = try CLI.run(["status"], in: workspace.path)
        #expect(result.status == 78)
        #expect(result.stderr.contains(workspace.url("lading.yaml")))
    }

    @Test func theConfigComesFromTheEnvironmentWhenNoFlagIsGiven() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        let result = try CLI.run(["status", "--json"], in: "/", environment: ["LADING_CONFIG": workspace.url("lading.yaml")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(workspace.url("state/lading.lock")))
    }

    @Test func badCommandLinesExit64() throws {
        let workspace = try Workspace()
        try workspace.writeConfig()
        #expect(try workspace.lading("run", "--max-files", "0").status == 64)
        #expect(try workspace.lading("run", "--no-such-flag").status == 64)
        #expect(try workspace.lading("run", "--table", "nope").status == 64)
        let help = try CLI.run(["run", "--help"], in: workspace.path)
        #expect(help.status == 0)
        #expect(help.stdout.contains("--dry-run"))
    }
}

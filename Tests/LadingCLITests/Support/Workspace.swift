import Foundation
import LadingTestSupport

/// A temporary project folder (config, landing folders, files) per test: the shared
/// `TemporaryFolder` plus what CLI tests need to drive the binary.
typealias Workspace = TemporaryFolder

extension TemporaryFolder {
    /// A config with one append table per name, each reading `landing/<name>`.
    func writeConfig(tables: [String] = ["orders"], extra: String = "", tableExtra: String = "", warehouseExtra: String = "") throws {
        var yaml = "state_dir: ./state\n" + warehouseSection(warehouseExtra) + extra + "tables:\n"
        for name in tables {
            try FileManager.default.createDirectory(atPath: url("landing/\(name)"), withIntermediateDirectories: true)
            yaml += "  - table_name: \(name)\n    source_path: ./landing/\(name)\n    file_pattern: \"*.csv*\"\n" + tableExtra
        }
        try write("lading.yaml", yaml)
    }

    @discardableResult
    func lading(_ arguments: String..., environment: [String: String] = [:]) throws -> CLIResult {
        try CLI.run(arguments + ["--config", url("lading.yaml")], in: path, environment: environment)
    }

    /// Rows of a query against a SQLite file, through the sqlite3 CLI (an independent reader).
    func sqlite(_ database: String, _ query: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = ["-readonly", "-cmd", ".timeout 5000", url(database), query]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init).filter { !$0.isEmpty }
    }
}

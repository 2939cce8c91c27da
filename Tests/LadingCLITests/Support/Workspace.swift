import Foundation

/// A temporary project folder: a config, landing folders and files, per test.
final class Workspace {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/lading-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    func write(_ relative: String, _ content: String) throws -> String {
        let target = url(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative)) }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: url(relative)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A config with one append table per name, each reading `landing/<name>`.
    func writeConfig(tables: [String] = ["orders"], extra: String = "", tableExtra: String = "") throws {
        var yaml = "state_dir: ./state\nwarehouse:\n  path: ./warehouse.sqlite\n" + extra + "tables:\n"
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
        process.arguments = ["-readonly", url(database), query]
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

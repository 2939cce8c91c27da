import ArgumentParser
import Foundation
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

/// `lading init`: a first config from the files themselves (SPEC §2). The drafting is
/// `StarterConfigGenerator` in LadingCore; this command only resolves paths, writes
/// the file and says what it wrote.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starting config for the files under each --source folder.",
        discussion: """
        One table per folder that holds .csv, .tsv, .jsonl or .ndjson files (each maybe .gz), \
        named after the folder; column types inferred from the first file exactly as a run \
        would and written out as columns:; every other key at its default with a comment. \
        A folder with several formats gets a table for the most common one and the others \
        commented out. Never overwrites a file: an existing output exits 78.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "A folder whose files to describe; repeat for several. Sub-folders become tables of their own.")
    var source: [String] = []

    @Option(name: .long, help: "Where to write the config (default: --config, then $LADING_CONFIG, then ./lading.yaml).")
    var output: String?

    func validate() throws {
        guard !source.isEmpty else { throw ValidationError("give at least one --source DIR: the folder your files land in") }
    }

    func run() throws {
        try ExitMapping.run {
            let environment = Environment.live
            let current = FileManager.default.currentDirectoryPath
            let outputPath = ConfigLoader.locate(explicit: output ?? global.config, environment: environment.variables, currentDirectory: current)
            let sources = source.map { Paths.absolute($0, relativeTo: current) }
            let starter = try StarterConfigGenerator(sources: sources, outputPath: outputPath, now: environment.clock.now()).generate()
            try StarterConfigWriter.write(starter)
            Output.print("wrote \(outputPath): \(starter.tables.filter(\.isActive).count) table(s)")
            for table in starter.tables {
                let columns = table.columns.isEmpty ? "types left to the first run" : "\(table.columns.count) column(s) from \(table.sampledFile ?? "")"
                let state = table.isActive ? "" : " (commented out)"
                Output.print("  \(table.name)\(state): \(table.files.count) \(table.format.rawValue) file(s) matching \(table.filePattern); \(columns)")
                for note in table.notes { Output.print("    note: \(note)") }
            }
            Output.print("next: review it, then lading run --config \(outputPath)")
            return .success
        }
    }
}

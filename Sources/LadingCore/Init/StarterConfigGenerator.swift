import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// `lading init` (SPEC §2): looks at the files under each `--source` folder and
/// drafts a config for them, one table per folder that holds readable files.
///
/// Everything it decides comes from the code a run uses, so the draft loads unchanged:
/// the format from `ReaderFactory.format`, the first file from `Discovery` with the
/// drafted `file_pattern`, the types from `SchemaSampler` (the run's reader, inference
/// and column naming). A folder holding several formats gets a table for the most
/// common one (ties: csv, tsv, jsonl) and the others written commented out, complete,
/// under their own names: different formats in one folder are usually different
/// datasets, and a person should decide before any of them is loaded.
///
/// It returns the text and never writes or prints: `StarterConfigWriter` writes it.
public struct StarterConfigGenerator {
    /// Absolute, normalized folders, in the order given.
    public var sources: [String]
    /// Absolute, normalized path of the config to write.
    public var outputPath: String
    public var now: Date

    public init(sources: [String], outputPath: String, now: Date) {
        self.sources = sources
        self.outputPath = outputPath
        self.now = now
    }

    public func generate() throws -> StarterConfig {
        // Checked first so nobody waits for a scan that cannot be written; the writer
        // checks again, atomically, against a file appearing meanwhile.
        if StarterConfigWriter.exists(outputPath) { throw InitError.outputExists(path: outputPath) }
        var folders: [String] = []
        for source in sources {
            var info = stat()
            guard stat(source, &info) == 0 else {
                throw InitError.sourceUnavailable(path: source, reason: "cannot be reached (\(String(cString: strerror(errno))))")
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw InitError.sourceUnavailable(path: source, reason: "is not a folder") }
            collectFolders(source, into: &folders)
        }
        var naming = TableNaming()
        var tables: [StarterTable] = []
        for folder in folders {
            let byFormat = Dictionary(grouping: dataFiles(in: folder)) { name in
                (try? ReaderFactory.format(for: name, configured: nil)) ?? .csv
            }
            let formats = TableConfig.Format.allCases.filter { byFormat[$0] != nil }
                .enumerated().sorted { (byFormat[$0.element]?.count ?? 0, -$0.offset) > (byFormat[$1.element]?.count ?? 0, -$1.offset) }
                .map(\.element)
            for (position, format) in formats.enumerated() {
                let folderName = Paths.fileName(of: folder)
                let name = naming.name(forFolder: position == 0 ? folderName : folderName + "_" + format.rawValue)
                tables.append(try draftTable(name: name, folder: folder, format: format,
                                             names: byFormat[format] ?? [], isActive: position == 0,
                                             others: formats.filter { $0 != format }))
            }
        }
        guard !tables.isEmpty else { throw InitError.nothingFound(sources: sources) }
        let text = StarterConfigRenderer(outputPath: outputPath).render(tables)
        // The draft must be a config lading accepts; if not, that is our bug, not the user's.
        do {
            _ = try ConfigLoader.parse(yaml: text, path: outputPath)
        } catch let error as LadingError {
            throw InternalError("lading init drafted a config its own loader refuses: \(error.message)")
        }
        return StarterConfig(outputPath: outputPath, tables: tables, text: text)
    }

    /// The table as a run would see it, with defaults for everything init does not decide.
    static func tableConfig(name: String, sourcePath: String, filePattern: String, format: TableConfig.Format) -> TableConfig {
        TableConfig(name: name, sourcePath: sourcePath, sourcePathLocation: ConfigLocation(file: "", keyPath: "source_path", line: nil),
                    columnsLocation: ConfigLocation(file: "", keyPath: "columns", line: nil),
                    filePattern: filePattern, format: format, strategy: .append, csv: CSVOptions(), columns: [],
                    primaryKeys: [], trackingColumns: [], effectiveDateColumn: "effective_date", endDateColumn: "end_date",
                    currentFlagColumn: "is_current", effectiveFrom: .loadTime, deletes: .ignore, maxDeleteRatio: 0.5,
                    lateFiles: .fail, orderBy: .name, minFileAgeSeconds: 0, schemaEvolution: .addColumns, maxBadRecordRatio: 0)
    }

    private func draftTable(name: String, folder: String, format: TableConfig.Format, names: [String],
                            isActive: Bool, others: [TableConfig.Format]) throws -> StarterTable {
        let pattern = FilePatternGuess.pattern(for: names)
        let config = StarterConfigGenerator.tableConfig(name: name, sourcePath: folder, filePattern: pattern, format: format)
        let listing = try Discovery(table: config, now: now).list()
        let found = Set(names)
        let matched = listing.files.map(\.relativePath)
        var notes: [String] = []
        if !isActive {
            notes.append("commented out: this folder holds more \(others.first?.rawValue ?? "other") files; uncomment to load these \(format.rawValue) files as their own table")
        } else if !others.isEmpty {
            notes.append("this folder also holds \(others.map(\.rawValue).joined(separator: ", ")) files: see the commented-out table(s) below")
        }
        let strangers = matched.filter { !found.contains($0) }
        if !strangers.isEmpty {
            notes.append("file_pattern also matches \(list(strangers)), which would fail as \(format.rawValue): narrow the pattern or move them")
        }
        let left = names.filter { !matched.contains($0) }
        if !left.isEmpty { notes.append("file_pattern leaves out \(list(left)): widen it or give them a table of their own") }

        var table = StarterTable(name: name, folderName: Paths.fileName(of: folder), sourcePath: folder, filePattern: pattern,
                                 format: format, files: matched.filter { found.contains($0) }, sampledFile: nil, sampledRecords: 0,
                                 columns: [], isActive: isActive, notes: notes)
        guard let first = listing.files.first(where: { found.contains($0.relativePath) }) else { return table }
        table.sampledFile = first.relativePath
        do {
            let sample = try SchemaSampler(maxRecordBytes: 64 << 20).sample(path: first.path, table: config)
            table.columns = sample.columns
            table.sampledRecords = sample.records
            if sample.columns.isEmpty {
                table.notes.append("no columns found in \(first.relativePath): 'columns' left out, the first run infers them")
            } else if sample.records == 0 {
                table.notes.append("\(first.relativePath) has no records, so every column is text: set the real types before the first run")
            }
        } catch let error as LadingError {
            table.notes.append("\(first.relativePath) could not be read (\(error.message)): 'columns' left out, the first run infers them")
        }
        return table
    }

    private func list(_ names: [String]) -> String {
        names.count <= 3 ? names.joined(separator: ", ") : names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more"
    }

    /// Folders under `root` (itself included) that directly hold a readable file, in
    /// name order. Names starting with `.` are skipped (uploads in progress, as in
    /// `GlobPattern`); links to folders are not followed (no loops), as in `Discovery`.
    private func collectFolders(_ root: String, into folders: inout [String]) {
        if !dataFiles(in: root).isEmpty && !folders.contains(root) { folders.append(root) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !name.hasPrefix(".") {
            var info = stat()
            let path = root == "/" ? "/" + name : root + "/" + name
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            collectFolders(path, into: &folders)
        }
    }

    /// Names of the regular files (or links to them) directly in `folder` whose
    /// extension lading reads, in name order.
    private func dataFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).filter { name in
            guard !name.hasPrefix("."), (try? ReaderFactory.format(for: name, configured: nil)) != nil else { return false }
            var info = stat()
            return stat(folder + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        }
    }
}

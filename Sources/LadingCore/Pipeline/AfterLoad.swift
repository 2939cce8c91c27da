import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// SPEC §4 `after_load`: a COMPLETED file is archived (moved under `archive_path`,
/// keeping its path relative to `source_path`) or deleted, only once the tracker says
/// COMPLETED. The move comes after that commit, so a crash between the two leaves a
/// COMPLETED file still in the landing folder, which the next run archives (`finish`).
/// A file whose move fails stays where it is and COMPLETED (a warning); it never loads
/// again either way.
struct AfterLoad {
    let table: TableConfig
    let tracker: any FileTracker
    let logger: Logger

    /// Archives or deletes one COMPLETED file; nothing with `keep`.
    func apply(to path: String) {
        guard table.afterLoad != .keep else { return }
        FaultPoint.beforeAfterLoad.hit()
        do {
            switch table.afterLoad {
            case .keep:
                return
            case .delete:
                guard unlink(path) == 0 || errno == ENOENT else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                try tracker.noteArchived(table: table.name, file: path, location: "")
                logger.info("deleted a loaded file (after_load: delete)", metadata: ["table": "\(table.name)", "file": "\(path)"])
            case .archive:
                guard let archive = table.archivePath else { return }
                let target = try Self.freeTarget(for: path, table: table, archive: archive)
                try FileManager.default.createDirectory(atPath: Paths.directory(of: target), withIntermediateDirectories: true)
                try Self.move(path, to: target)
                try tracker.noteArchived(table: table.name, file: path, location: target)
                logger.info("archived a loaded file", metadata: ["table": "\(table.name)", "file": "\(path)", "archived_to": "\(target)"])
            }
        } catch {
            logger.warning("could not \(table.afterLoad.rawValue) a loaded file; it stays where it is, COMPLETED, and the next run tries again",
                           metadata: ["table": "\(table.name)", "file": "\(path)", "error": "\(error)"])
        }
    }

    /// Heals a crash between a file's commit and its move: COMPLETED files of the table
    /// still in the landing folder with nothing recorded are archived or deleted now.
    func finish(records: [FileRecord]) {
        guard table.afterLoad != .keep else { return }
        for record in records where record.status == .completed && record.archivedPath == nil
            && FileManager.default.fileExists(atPath: record.filePath) {
            apply(to: record.filePath)
        }
    }

    /// `archive_path` + the path relative to `source_path`; a name already taken there
    /// gets `_2`, `_3`, … before its extension, never overwritten.
    static func freeTarget(for path: String, table: TableConfig, archive: String) throws -> String {
        let base = table.sourcePath.hasSuffix("/") ? table.sourcePath : table.sourcePath + "/"
        let relative = path.hasPrefix(base) ? String(path.dropFirst(base.count)) : Paths.fileName(of: path)
        let root = archive.hasSuffix("/") ? String(archive.dropLast()) : archive
        var target = root + "/" + relative
        var suffix = 2
        while FileManager.default.fileExists(atPath: target) {
            let folder = Paths.directory(of: root + "/" + relative)
            let name = Paths.fileName(of: relative)
            let dot = name.dropFirst().firstIndex(of: ".") ?? name.endIndex
            target = folder + "/" + name[..<dot] + "_\(suffix)" + name[dot...]
            suffix += 1
        }
        return target
    }

    /// `rename`, or across file systems a copy that is synced before the original goes.
    static func move(_ source: String, to target: String) throws {
        if rename(source, target) == 0 { return }
        guard errno == EXDEV else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let partial = target + ".lading-partial"
        try? FileManager.default.removeItem(atPath: partial)
        try FileManager.default.copyItem(atPath: source, toPath: partial)
        let descriptor = open(partial, O_RDONLY)
        if descriptor >= 0 { fsync(descriptor); close(descriptor) }
        guard rename(partial, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard unlink(source) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Where a tracked file's bytes are now: its path, else its archived copy; nil when
    /// it is gone (or was deleted after load).
    static func location(of path: String, record: FileRecord?) -> String? {
        if FileManager.default.fileExists(atPath: path) { return path }
        if let archived = record?.archivedPath, !archived.isEmpty, FileManager.default.fileExists(atPath: archived) { return archived }
        return nil
    }
}

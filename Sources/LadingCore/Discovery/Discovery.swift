import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Lists a table's landing files (SPEC §4): names matching `file_pattern` under
/// `source_path`, in a stable order, with size and modified time.
///
/// Links: a symbolic link to a file is followed only when its target lies inside
/// `source_path`; links to folders are never followed (no loops). Two paths to one file
/// (a symbolic or hard link beside it) list it once: SPEC §4, each file loads once per table.
public struct Discovery {
    public struct Listing: Sendable {
        /// Files old enough to load, in load order.
        public var files: [DiscoveredFile]
        /// Files modified within `min_file_age_seconds`: they wait for the next run.
        public var tooYoung: [DiscoveredFile]
        /// Links and entries skipped, with the reason (for the log).
        public var skipped: [(path: String, reason: String)]
    }

    public let table: TableConfig
    public let now: Date

    public init(table: TableConfig, now: Date) {
        self.table = table
        self.now = now
    }

    public func list() throws -> Listing {
        var info = stat()
        guard stat(table.sourcePath, &info) == 0 else {
            throw DiscoveryError.sourceUnavailable(table: table.name, path: table.sourcePath, reason: "cannot be reached (\(String(cString: strerror(errno))))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DiscoveryError.sourceUnavailable(table: table.name, path: table.sourcePath, reason: "is not a folder")
        }
        guard let handle = opendir(table.sourcePath) else {
            throw DiscoveryError.sourceUnavailable(table: table.name, path: table.sourcePath, reason: "cannot be listed (\(String(cString: strerror(errno))))")
        }
        closedir(handle)
        let root = realPath(table.sourcePath) ?? table.sourcePath
        let pattern = GlobPattern(table.filePattern)
        var candidates: [Candidate] = []
        var skipped: [(String, String)] = []
        walk(directory: table.sourcePath, relative: "", root: root, pattern: pattern, into: &candidates, skipped: &skipped)

        switch table.orderBy {
        case .name:
            candidates.sort { $0.file.relativePath.utf8.lexicographicallyPrecedes($1.file.relativePath.utf8) }
        case .modifiedTime:
            candidates.sort {
                $0.file.modifiedSeconds != $1.file.modifiedSeconds ? $0.file.modifiedSeconds < $1.file.modifiedSeconds
                    : $0.file.relativePath.utf8.lexicographicallyPrecedes($1.file.relativePath.utf8)
            }
        }
        let found = Discovery.onePathPerFile(candidates, skipped: &skipped)
        let cutoff = now.timeIntervalSince1970 - table.minFileAgeSeconds
        let ready = found.filter { table.minFileAgeSeconds <= 0 || $0.modifiedSeconds <= cutoff }
        let young = found.filter { table.minFileAgeSeconds > 0 && $0.modifiedSeconds > cutoff }
        return Listing(files: ready, tooYoung: young, skipped: skipped)
    }

    /// A matching path and the file it reaches.
    private struct Candidate {
        var file: DiscoveredFile
        var identity: FileIdentity
        /// Reached through a symbolic link (its own name is not the file's).
        var isLink: Bool
    }

    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// Keeps one path per real file (device and inode), in the stable order: the file's
    /// own path when the pattern matches it (the first such, for hard links), else the
    /// first link to it. The other paths are reported as skipped, naming the kept one.
    private static func onePathPerFile(_ candidates: [Candidate], skipped: inout [(String, String)]) -> [DiscoveredFile] {
        var chosen: [FileIdentity: Int] = [:]
        for (index, candidate) in candidates.enumerated() {
            if let earlier = chosen[candidate.identity] {
                if candidates[earlier].isLink && !candidate.isLink { chosen[candidate.identity] = index }
            } else {
                chosen[candidate.identity] = index
            }
        }
        guard chosen.count < candidates.count else { return candidates.map(\.file) }
        var files: [DiscoveredFile] = []
        for (index, candidate) in candidates.enumerated() {
            guard let keep = chosen[candidate.identity] else { continue }
            if keep == index {
                files.append(candidate.file)
            } else {
                skipped.append((candidate.file.path, "another path to \(candidates[keep].file.path) (the same file): it loads once, under that path"))
            }
        }
        return files
    }

    private func walk(directory: String, relative: String, root: String, pattern: GlobPattern,
                      into found: inout [Candidate], skipped: inout [(String, String)]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            skipped.append((directory, "folder cannot be read"))
            return
        }
        for name in names {
            let path = directory + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            var link = stat()
            guard lstat(path, &link) == 0 else { continue }
            var info = link
            if (link.st_mode & S_IFMT) == S_IFLNK {
                guard stat(path, &info) == 0 else {
                    if pattern.matches(relativePath) { skipped.append((path, "broken symbolic link")) }
                    continue
                }
                if (info.st_mode & S_IFMT) == S_IFDIR { continue }
                guard let target = realPath(path), Paths.relative(target, to: root) != nil else {
                    if pattern.matches(relativePath) { skipped.append((path, "symbolic link pointing outside source_path")) }
                    continue
                }
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if pattern.isRecursive, pattern.mayDescend(into: relativePath) {
                    walk(directory: path, relative: relativePath, root: root, pattern: pattern, into: &found, skipped: &skipped)
                }
            case S_IFREG:
                guard pattern.matches(relativePath) else { continue }
                found.append(Candidate(file: DiscoveredFile(path: path, relativePath: relativePath, stat: info),
                                       identity: FileIdentity(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino)),
                                       isLink: (link.st_mode & S_IFMT) == S_IFLNK))
            default:
                continue
            }
        }
    }

    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

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
public struct Discovery: Sendable {
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
        var found: [Candidate] = []
        var skipped: [(String, String)] = []
        walk(directory: table.sourcePath, relative: "", root: root, pattern: pattern, into: &found, skipped: &skipped)

        // Indices are sorted, not the candidates: moving a struct of five strings costs
        // ten reference counts, and a rerun sorts thousands of them.
        let candidates = found
        let order: [Int]
        switch table.orderBy {
        case .name:
            order = NameKey.order(candidates.map(\.file.relativePath))
        case .modifiedTime:
            order = candidates.indices.sorted {
                candidates[$0].file.modifiedSeconds != candidates[$1].file.modifiedSeconds
                    ? candidates[$0].file.modifiedSeconds < candidates[$1].file.modifiedSeconds
                    : Paths.precedesByBytes(candidates[$0].file.relativePath, candidates[$1].file.relativePath)
            }
        }
        // Almost always every path is its own file: sorted identities show it without a
        // dictionary of thousands of entries, and the files are copied once.
        let identities = candidates.map(\.identity).sorted { ($0.device, $0.inode) < ($1.device, $1.inode) }
        let files = zip(identities, identities.dropFirst()).contains(where: { $0 == $1 })
            ? Discovery.onePathPerFile(order.map { candidates[$0] }, skipped: &skipped)
            : order.map { candidates[$0].file }
        guard table.minFileAgeSeconds > 0 else { return Listing(files: files, tooYoung: [], skipped: skipped) }
        let cutoff = now.timeIntervalSince1970 - table.minFileAgeSeconds
        return Listing(files: files.filter { $0.modifiedSeconds <= cutoff }, tooYoung: files.filter { $0.modifiedSeconds > cutoff }, skipped: skipped)
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

    /// What one directory entry turned out to be.
    private enum Entry {
        case none
        case file(Candidate)
        case folder(path: String, relativePath: String)
        case skipped(path: String, reason: String)
    }

    /// The entries of one folder, filled by index from up to two threads: each index is
    /// written by one thread only, and read after both finished.
    private final class EntryLookup: @unchecked Sendable {
        let discovery: Discovery
        let names: [(name: String, kind: UInt8)]
        let folder: Int32
        let directory: String, relative: String, root: String
        let pattern: GlobPattern
        private let slots: UnsafeMutableBufferPointer<Entry>

        init(discovery: Discovery, names: [(name: String, kind: UInt8)], folder: Int32, directory: String, relative: String, root: String,
             pattern: GlobPattern) {
            (self.discovery, self.names, self.folder, self.directory, self.relative, self.root, self.pattern)
                = (discovery, names, folder, directory, relative, root, pattern)
            slots = .allocate(capacity: names.count)
            slots.initialize(repeating: .none)
        }

        deinit {
            slots.deinitialize()
            slots.deallocate()
        }

        func look(_ range: Range<Int>) {
            for index in range {
                slots[index] = discovery.entry(names[index].name, kind: names[index].kind, in: folder, directory: directory,
                                               relative: relative, root: root, pattern: pattern)
            }
        }

        var entries: UnsafeMutableBufferPointer<Entry> { slots }
    }

    /// A name's path relative to `source_path`, from its folder's.
    private static func joined(_ relative: String, _ name: String) -> String {
        relative.isEmpty ? name : relative + "/" + name
    }

    /// Below this many names a folder is read on one thread.
    private static let parallelThreshold = 512

    /// `readdir`, then `fstatat` relative to the open folder: a rerun over thousands of
    /// loaded files pays one `stat` per matching name and no path walk per file. A large
    /// folder's names are looked at in two halves, one on each core (a `stat` is a
    /// system call of about a microsecond, and a night can land tens of thousands).
    private func walk(directory: String, relative: String, root: String, pattern: GlobPattern,
                      into found: inout [Candidate], skipped: inout [(String, String)]) {
        guard let handle = opendir(directory) else {
            skipped.append((directory, "folder cannot be read"))
            return
        }
        defer { closedir(handle) }
        let folder = dirfd(handle)
        var names: [(name: String, kind: UInt8)] = []
        while let entry = readdir(handle) {
            let kind = entry.pointee.d_type
            let decoded = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> String? in
                raw.baseAddress.flatMap { String(validatingCString: $0.assumingMemoryBound(to: CChar.self)) }
            }
            guard let name = decoded else {
                // A name that is not UTF-8 cannot be tracked by name; one the pattern would
                // take (read with U+FFFD for the bad bytes) is reported, not passed over in
                // silence.
                let bytes = withUnsafeBytes(of: &entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                let shown = String(decoding: bytes, as: UTF8.self)
                if pattern.matches(Self.joined(relative, shown)) {
                    skipped.append((directory + "/" + shown, "name is not valid UTF-8: rename the file to load it"))
                }
                continue
            }
            if name == "." || name == ".." { continue }
            // A regular file the pattern does not match needs no stat at all.
            if kind == UInt8(DT_REG), !pattern.matches(Self.joined(relative, name)) { continue }
            names.append((name, kind))
        }
        let lookup = EntryLookup(discovery: self, names: names, folder: folder, directory: directory, relative: relative, root: root, pattern: pattern)
        let count = names.count
        if count >= Self.parallelThreshold {
            // The second half on a helper thread.
            let helper = SideThread { lookup.look(count / 2..<count) }
            lookup.look(0..<count / 2)
            helper.wait()
        } else {
            lookup.look(0..<names.count)
        }
        found.reserveCapacity(found.count + count)
        for entry in lookup.entries {
            switch entry {
            case .none: continue
            case .file(let candidate): found.append(candidate)
            case .skipped(let path, let reason): skipped.append((path, reason))
            case .folder(let path, let relativePath):
                walk(directory: path, relative: relativePath, root: root, pattern: pattern, into: &found, skipped: &skipped)
            }
        }
    }

    private func entry(_ name: String, kind: UInt8, in folder: Int32, directory: String, relative: String, root: String,
                       pattern: GlobPattern) -> Entry {
        let relativePath = Self.joined(relative, name)
        let path = directory + "/" + name
        var link = stat()
        guard fstatat(folder, name, &link, AT_SYMLINK_NOFOLLOW) == 0 else { return .none }
        var info = link
        if (link.st_mode & S_IFMT) == S_IFLNK {
            guard fstatat(folder, name, &info, 0) == 0 else {
                return pattern.matches(relativePath) ? .skipped(path: path, reason: "broken symbolic link") : .none
            }
            if (info.st_mode & S_IFMT) == S_IFDIR { return .none }
            guard let target = realPath(path), Paths.relative(target, to: root) != nil else {
                return pattern.matches(relativePath) ? .skipped(path: path, reason: "symbolic link pointing outside source_path") : .none
            }
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            return pattern.isRecursive && pattern.mayDescend(into: relativePath) ? .folder(path: path, relativePath: relativePath) : .none
        case S_IFREG:
            guard kind == UInt8(DT_REG) || pattern.matches(relativePath) else { return .none }
            return .file(Candidate(file: DiscoveredFile(path: path, relativePath: relativePath, stat: info),
                                   identity: FileIdentity(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino)),
                                   isLink: (link.st_mode & S_IFMT) == S_IFLNK))
        default:
            return .none
        }
    }

    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

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

    /// Who may help with a large folder's `stat`s (a listing on a side thread, which
    /// the run will wait for); without, a helper thread starts at once.
    public var statHelp: StatHelp?

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
        var files: [DiscoveredFile] = []
        var links: [Links] = []
        var skipped: [(String, String)] = []
        walk(directory: table.sourcePath, relative: "", root: root, pattern: pattern, into: &files, links: &links, skipped: &skipped)

        // Whether file `i` comes before file `j`. By index, not by value: a closure given
        // two files would copy them, five strings' reference counts each.
        func precedes(_ i: Int, _ j: Int) -> Bool {
            if table.orderBy == .modifiedTime, files[i].modifiedSeconds != files[j].modifiedSeconds {
                return files[i].modifiedSeconds < files[j].modifiedSeconds
            }
            return Paths.precedesByBytes(files[i].relativePath, files[j].relativePath)
        }
        // A folder's names are looked at in name order, so a listing by name of one
        // folder is already in order: checked in one pass, and the files are not copied.
        if files.indices.dropFirst().contains(where: { precedes($0, $0 - 1) }) {
            // Indices are sorted, not the files: moving a struct of five strings costs
            // ten reference counts, and a rerun sorts thousands of them.
            let order = table.orderBy == .name ? NameKey.order(files.map(\.relativePath)) : files.indices.sorted(by: precedes)
            files = order.map { files[$0] }
            links = order.map { links[$0] }
        }
        // Almost always every path is its own file: sorted identities show it without a
        // dictionary of thousands of entries. Every path is compared, not only links: a
        // bind mount shows one file (one name, the same device and inode) at two paths.
        let identities = links.map(\.identity).sorted { ($0.device, $0.inode) < ($1.device, $1.inode) }
        if zip(identities, identities.dropFirst()).contains(where: { $0 == $1 }) {
            files = Discovery.onePathPerFile(zip(files, links).map { Candidate(file: $0, identity: $1.identity, isLink: $1.isSymbolic) }, skipped: &skipped)
        }
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

    /// The file a listed path reaches, and how.
    private struct Links {
        var identity: FileIdentity
        /// Reached through a symbolic link.
        var isSymbolic: Bool
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
        case file(DiscoveredFile, Links)
        case folder(path: String, relativePath: String)
        case skipped(path: String, reason: String)
    }

    /// The entries of one folder, filled by index from the threads that claim its chunks:
    /// each index is written by one thread only, and read after all were looked at.
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

        private let claims = NSLock()
        private var next = 0
        private var finished = 0
        private let allFinished = DispatchSemaphore(value: 0)
        /// Names per claim: about 0.1 ms of `stat`s, so two threads end together.
        private static let chunk = 64

        /// Claims chunks of names and looks at them until none is left; any number of
        /// threads may call it at once.
        func work() {
            while true {
                let range: Range<Int> = claims.withLock {
                    let start = next
                    next = min(start + Self.chunk, names.count)
                    return start..<next
                }
                if range.isEmpty { return }
                look(range)
                let done = claims.withLock {
                    finished += range.count
                    return finished == names.count
                }
                if done { allFinished.signal() }
            }
        }

        /// Returns once every name was looked at (by whichever threads).
        func waitForAll() {
            if !names.isEmpty { allFinished.wait() }
        }

        func look(_ range: Range<Int>) {
            // Locals, not properties, in the loop: a call on a struct read from a class
            // property retains and releases every string and array it holds (a table's
            // whole config), which for thousands of names cost more than their `stat`s.
            let (discovery, names, slots, folder) = (discovery, names, slots, folder)
            let (directory, relative, root, pattern) = (directory, relative, root, pattern)
            for index in range {
                slots[index] = discovery.entry(names[index].name, kind: names[index].kind, in: folder, directory: directory,
                                               relative: relative, root: root, pattern: pattern)
            }
        }

        /// Entry `index`, moved out (its slot left `.none`): no reference counting for the
        /// strings of thousands of files.
        func take(_ index: Int) -> Entry {
            guard let base = slots.baseAddress else { return .none }
            let entry = (base + index).move()
            (base + index).initialize(to: .none)
            return entry
        }
    }

    /// A name's path relative to `source_path`, from its folder's.
    private static func joined(_ relative: String, _ name: String) -> String {
        relative.isEmpty ? name : path(relative, name)
    }

    /// `folder/name` in one allocation (`+` twice makes a string, then grows it).
    private static func path(_ folder: String, _ name: String) -> String {
        var path = ""
        path.reserveCapacity(folder.utf8.count + 1 + name.utf8.count)
        path += folder
        path += "/"
        path += name
        return path
    }

    /// Below this many names a folder is read on one thread.
    private static let parallelThreshold = 512

    /// `readdir`, then `fstatat` relative to the open folder: a rerun over thousands of
    /// loaded files pays one `stat` per matching name and no path walk per file. A large
    /// folder's names are claimed in chunks by two threads (a `stat` is a system call of
    /// about a microsecond, and a night can land tens of thousands).
    private func walk(directory: String, relative: String, root: String, pattern: GlobPattern,
                      into files: inout [DiscoveredFile], links: inout [Links], skipped: inout [(String, String)]) {
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
        // In name order (readdir's is the file system's): a listing by name of a folder
        // without subfolders then comes out sorted.
        names = NameKey.order(names.map(\.name)).map { names[$0] }
        let lookup = EntryLookup(discovery: self, names: names, folder: folder, directory: directory, relative: relative, root: root, pattern: pattern)
        let count = names.count
        if count >= Self.parallelThreshold {
            // Two threads claim chunks of names (`StatHelp`): a helper thread started now,
            // or the thread that needs the listing once it waits for it.
            if let statHelp, !StatHelp.coresToSpare {
                if statHelp.offer(lookup.work) { _ = SideThread { lookup.work() } }
                lookup.work()
                statHelp.withdraw()
            } else {
                _ = SideThread { lookup.work() }
                lookup.work()
            }
            lookup.waitForAll()
        } else {
            lookup.look(0..<names.count)
        }
        files.reserveCapacity(files.count + count)
        links.reserveCapacity(links.count + count)
        for index in 0..<count {
            switch lookup.take(index) {
            case .none: continue
            case .file(let file, let link):
                files.append(file)
                links.append(link)
            case .skipped(let path, let reason): skipped.append((path, reason))
            case .folder(let path, let relativePath):
                walk(directory: path, relative: relativePath, root: root, pattern: pattern, into: &files, links: &links, skipped: &skipped)
            }
        }
    }

    private func entry(_ name: String, kind: UInt8, in folder: Int32, directory: String, relative: String, root: String,
                       pattern: GlobPattern) -> Entry {
        let relativePath = Self.joined(relative, name)
        let path = Self.path(directory, name)
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
            return .file(DiscoveredFile(path: path, relativePath: relativePath, stat: info),
                         Links(identity: FileIdentity(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino)),
                               isSymbolic: (link.st_mode & S_IFMT) == S_IFLNK))
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

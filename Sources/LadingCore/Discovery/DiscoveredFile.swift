/// A landing file as discovery saw it.
public struct DiscoveredFile: Sendable, Equatable {
    /// Absolute path, as tracked (`_source_file`).
    public var path: String
    /// Path relative to the table's `source_path`, the sort key for name order.
    public var relativePath: String
    public var size: Int64
    /// ISO-8601 UTC with nanoseconds, exactly as `stat` gave it.
    public var modifiedTime: String
    public var modifiedSeconds: Double
    /// Filled only when the file had to be hashed.
    public var sha256: String?
    /// Where its bytes are when not at `path` (archived after load, SPEC §4); the file
    /// keeps `path` as its identity (`_source_file`, tracker and ledger rows).
    public var location: String? = nil
    /// The attempts the tracker counted when this run decided to load the file: the
    /// claim takes the file only if no other worker tried it since (SPEC §9).
    public var seenRetryCount = 0

    /// The path to read the file's bytes from.
    public var readPath: String { location ?? path }
}

#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

extension DiscoveredFile {
    init(path: String, relativePath: String, stat info: stat) {
        self.init(path: path, relativePath: relativePath, size: Int64(info.st_size),
                  modifiedTime: Timestamp.iso8601(seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec), fractionDigits: 9),
                  modifiedSeconds: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// The file at `path` as discovery would record it now (its bytes read at
    /// `location` when it was archived), or nil when it is gone.
    public static func current(path: String, location: String? = nil) -> DiscoveredFile? {
        var info = stat()
        guard stat(location ?? path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var file = DiscoveredFile(path: path, relativePath: path, stat: info)
        file.location = location
        return file
    }
}

import LadingSupport
import LadingConfiguration
import LadingReaders

/// A table's tracked files as registration reads them at the start of every run: the
/// COMPLETED ones by size and modified time only, the rest whole. A nightly rerun over
/// thousands of loaded files compares just those two values per file (SPEC §4: same
/// size and time, not hashed again), so it need not build a full record for each.
public struct TrackedFiles: Sendable {
    public struct Stamp: Sendable, Equatable {
        public var size: Int64
        public var modifiedTime: String

        public init(size: Int64, modifiedTime: String) {
            self.size = size
            self.modifiedTime = modifiedTime
        }
    }

    /// COMPLETED files by path.
    public var completed: [String: Stamp]
    /// Every other file (PENDING, PROCESSING, FAILED) by path.
    public var others: [String: FileRecord]

    public init(completed: [String: Stamp] = [:], others: [String: FileRecord] = [:]) {
        self.completed = completed
        self.others = others
    }

    /// From whole records (backends without a narrower read, test doubles).
    public init(_ records: [FileRecord]) {
        self.init()
        for record in records {
            if record.status == .completed {
                if completed[record.filePath] == nil { completed[record.filePath] = Stamp(size: record.fileSize, modifiedTime: record.fileModifiedTime) }
            } else if others[record.filePath] == nil {
                others[record.filePath] = record
            }
        }
    }
}

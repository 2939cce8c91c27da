import LadingSupport
import LadingConfiguration
import LadingReaders

/// A table's landing files as registration sees them in the tracker at the start of
/// every run. SPEC §4: a COMPLETED file with the same size and modified time is not
/// looked at again, so a nightly rerun over thousands of loaded files needs, per file,
/// only whether that holds; the backend answers for the whole list at once (SQLite: a
/// merge of the sorted list with the tracker's rows, comparing bytes, no record or
/// string per file). Every file that is not COMPLETED comes whole, in `others`.
public struct TrackedFiles: Sendable {
    /// A landing file as discovery saw it.
    public struct Seen: Sendable {
        public var path: String
        public var size: Int64
        public var modifiedTime: String

        public init(path: String, size: Int64, modifiedTime: String) {
            self.path = path
            self.size = size
            self.modifiedTime = modifiedTime
        }
    }

    public enum Completed: Sendable, Equatable {
        /// Not COMPLETED (new, PENDING, PROCESSING or FAILED).
        case no
        /// COMPLETED, same size and modified time.
        case unchanged
        /// COMPLETED, but its size or modified time differ (hashed to tell a `touch`
        /// from new content).
        case metadataDiffers
    }

    /// One per file given, in the same order.
    public var completed: [Completed]
    /// The table's files that are not COMPLETED, by their path's UTF-8 (see `other(_:)`).
    public private(set) var others: [[UInt8]: FileRecord]

    public init(completed: [Completed], others: [FileRecord]) {
        self.completed = completed
        self.others = Dictionary(others.map { (Array($0.filePath.utf8), $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The record of a file that is not COMPLETED, by its exact path.
    public func other(_ path: String) -> FileRecord? { others[Array(path.utf8)] }

    /// From whole records (backends without a narrower read, test doubles). Paths are
    /// matched by their UTF-8: two names that differ only in Unicode normalisation are
    /// two files on disk and two tracker rows.
    public init(_ files: [Seen], records: [FileRecord]) {
        var stamps: [[UInt8]: (size: Int64, modifiedTime: [UInt8])] = [:]
        var others: [[UInt8]: FileRecord] = [:]
        for record in records {
            if record.status == .completed {
                stamps[Array(record.filePath.utf8)] = (record.fileSize, Array(record.fileModifiedTime.utf8))
            } else {
                others[Array(record.filePath.utf8)] = record
            }
        }
        completed = files.map { file in
            guard let stamp = stamps[Array(file.path.utf8)] else { return .no }
            return stamp.size == file.size && stamp.modifiedTime == Array(file.modifiedTime.utf8) ? .unchanged : .metadataDiffers
        }
        self.others = others
    }
}

import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// One table of a starter config, as `lading init` found it: what to write for it and
/// the notes a person should read before the first run.
public struct StarterTable: Sendable, Equatable {
    /// A column with the type a run would give it, and what a `null_values` hint would change.
    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: ColumnType
        /// Null-looking words (`NA`, `NULL`, …) seen in this column's sample.
        public var nullWords: [String]
        /// The type the column would get with those words read as NULL, when it differs.
        public var typeWithNullWords: ColumnType?
    }

    public var name: String
    /// The folder's own name, shown when the table name had to differ from it.
    public var folderName: String
    /// Absolute path of the folder.
    public var sourcePath: String
    public var filePattern: String
    public var format: TableConfig.Format
    /// Files of this format in the folder, in load order.
    public var files: [String]
    /// The file the types were inferred from (the first in load order), relative to the folder.
    public var sampledFile: String?
    /// Records read for inference.
    public var sampledRecords: Int
    /// Empty when nothing could be inferred (see `notes`): the run then infers.
    public var columns: [Column]
    /// False for a minority format in a mixed folder: written commented out.
    public var isActive: Bool
    /// Things the reader of the config should know, written as comments.
    public var notes: [String]

    /// Null-looking words seen anywhere in the sample, in a stable order.
    public var nullWords: [String] {
        var seen: [String] = []
        for column in columns { for word in column.nullWords where !seen.contains(word) { seen.append(word) } }
        return seen
    }
}

import LadingSupport

/// One table of the configuration: where its files land and how they load.
public struct TableConfig: Sendable {
    public enum Format: String, Sendable, CaseIterable { case csv, tsv, jsonl }
    public enum Strategy: String, Sendable, CaseIterable {
        case append, scd2, merge, overwrite

        /// A table whose files must apply one at a time and in order (its content depends
        /// on the order): a failed file holds back the later ones, a late file fails or
        /// replays, a reset replays, and with several workers one worker at a time takes
        /// such a table (SPEC §4, §7, §9).
        public var appliesInOrder: Bool { self != .append }
        /// Strategies whose rows are identified by `primary_keys`.
        public var needsKeys: Bool { self == .scd2 || self == .merge }
    }
    public enum OrderBy: String, Sendable, CaseIterable {
        case name
        case modifiedTime = "modified_time"
    }
    public enum SchemaEvolution: String, Sendable, CaseIterable {
        case addColumns = "add_columns"
        case fail
    }
    public enum SCD2Deletes: String, Sendable, CaseIterable { case ignore, close }
    /// SPEC §4: what happens to a file once it is COMPLETED.
    public enum AfterLoad: String, Sendable, CaseIterable { case keep, archive, delete }
    /// merge: `delete` makes each file a full snapshot whose missing keys are deleted.
    public enum MergeDeletes: String, Sendable, CaseIterable { case ignore, delete }
    /// What an ordered table does with a file that sorts before one already applied.
    public enum LateFiles: String, Sendable, CaseIterable { case fail, replay }
    public enum EffectiveFrom: Sendable, Equatable {
        case loadTime
        case fileModifiedTime
        case column(String)
    }

    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: ColumnType
        public init(name: String, type: ColumnType) {
            self.name = name
            self.type = type
        }
    }

    public var name: String
    /// Absolute path of the landing folder.
    public var sourcePath: String
    /// Where `source_path` was written, so a missing folder is reported at its line.
    public var sourcePathLocation: ConfigLocation
    /// Where `columns` was written, so a refused type change is reported at its line.
    public var columnsLocation: ConfigLocation
    public var filePattern: String
    /// nil: chosen from each file's extension.
    public var format: Format?
    public var strategy: Strategy
    public var csv: CSVOptions
    /// Declared columns in order; empty means inferred from the first file.
    public var columns: [Column]
    public var primaryKeys: [String]
    /// Empty means every non-key data column.
    public var trackingColumns: [String]
    public var effectiveDateColumn: String
    public var endDateColumn: String
    public var currentFlagColumn: String
    public var effectiveFrom: EffectiveFrom
    public var deletes: SCD2Deletes
    public var mergeDeletes: MergeDeletes = .ignore
    public var afterLoad: AfterLoad = .keep
    /// Absolute folder archived files move to (their path relative to `source_path` kept).
    public var archivePath: String?
    /// Append and overwrite files at most this many bytes on disk load in one warehouse
    /// transaction straight into the table, without staging or checkpoints (a crash
    /// restarts them); larger files are checkpointed every `batch_size` records. 0: only
    /// files that fit in one batch load straight in.
    public var directLoadMaxBytes: Int64 = 0
    public var maxDeleteRatio: Double
    public var lateFiles: LateFiles
    public var orderBy: OrderBy
    public var minFileAgeSeconds: Double
    public var schemaEvolution: SchemaEvolution
    public var maxBadRecordRatio: Double

    package init(name: String, sourcePath: String, sourcePathLocation: ConfigLocation, columnsLocation: ConfigLocation, filePattern: String, format: Format?, strategy: Strategy, csv: CSVOptions, columns: [Column], primaryKeys: [String], trackingColumns: [String], effectiveDateColumn: String, endDateColumn: String, currentFlagColumn: String, effectiveFrom: EffectiveFrom, deletes: SCD2Deletes, maxDeleteRatio: Double, lateFiles: LateFiles, orderBy: OrderBy, minFileAgeSeconds: Double, schemaEvolution: SchemaEvolution, maxBadRecordRatio: Double) {
        self.name = name
        self.sourcePath = sourcePath
        self.sourcePathLocation = sourcePathLocation
        self.columnsLocation = columnsLocation
        self.filePattern = filePattern
        self.format = format
        self.strategy = strategy
        self.csv = csv
        self.columns = columns
        self.primaryKeys = primaryKeys
        self.trackingColumns = trackingColumns
        self.effectiveDateColumn = effectiveDateColumn
        self.endDateColumn = endDateColumn
        self.currentFlagColumn = currentFlagColumn
        self.effectiveFrom = effectiveFrom
        self.deletes = deletes
        self.maxDeleteRatio = maxDeleteRatio
        self.lateFiles = lateFiles
        self.orderBy = orderBy
        self.minFileAgeSeconds = minFileAgeSeconds
        self.schemaEvolution = schemaEvolution
        self.maxBadRecordRatio = maxBadRecordRatio
    }
}

/// Where a key sits in the configuration file.
public struct ConfigLocation: Sendable, Equatable {
    public var file: String
    public var keyPath: String
    public var line: Int?

    public func error(_ reason: String) -> ConfigError {
        ConfigError(file: file, keyPath: keyPath, line: line, reason: reason)
    }

    package init(file: String, keyPath: String, line: Int?) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
    }
}

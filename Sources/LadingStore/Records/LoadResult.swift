import LadingSupport
import LadingConfiguration
import LadingReaders

/// What loading one file did (SPEC §8 report fields).
public struct LoadResult: Sendable, Codable, Equatable {
    public var recordsRead: Int64 = 0
    public var rowsLoaded: Int64 = 0
    public var rowsQuarantined: Int64 = 0
    public var bytesRead: Int64 = 0
    /// True when the load continued from a checkpoint left by a crashed run.
    public var resumed = false
    /// SHA-256 of the bytes this load read (SPEC §4: recorded as read).
    public var contentSHA256: String?
    /// SCD2: what the file did to the dimension (SPEC §8), beside the records applied.
    public var scd2: SCD2Counts?
    /// merge: what the file did per key (SPEC §8).
    public var merge: MergeCounts?

    enum CodingKeys: String, CodingKey {
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case bytesRead = "bytes_read"
        case resumed, scd2, merge
    }

    public init() {}
}

/// An SCD2 file's effect per key (SPEC §8, the counts `plan` gives): `rows_loaded`
/// counts records applied, so "7430 rows loaded" may be ten real changes.
public struct SCD2Counts: Sendable, Codable, Equatable {
    /// Keys with no current version before: a first version (new or returning keys).
    public var newKeys = 0
    /// Keys whose tracked columns changed: a version closed and one opened.
    public var changedKeys = 0
    /// Keys present and unchanged: nothing written.
    public var unchangedKeys = 0
    /// Current keys missing from the snapshot, closed (`scd2_deletes: close`).
    public var closedKeys = 0

    enum CodingKeys: String, CodingKey {
        case newKeys = "keys_new", changedKeys = "keys_changed", unchangedKeys = "keys_unchanged", closedKeys = "keys_closed"
    }

    public init() {}

    public var text: String { "\(newKeys) new, \(changedKeys) changed, \(unchangedKeys) unchanged, \(closedKeys) closed as deleted" }
}

/// A merge file's effect per key (SPEC §5, §8): `rows_loaded` counts records applied.
public struct MergeCounts: Sendable, Codable, Equatable {
    /// Keys new to the table: a row inserted.
    public var inserted = 0
    /// Keys present whose non-key columns differed: updated in place.
    public var updated = 0
    /// Keys present and equal: nothing written (their audit columns stay).
    public var unchanged = 0
    /// Keys missing from a full snapshot (`merge_deletes: delete`): deleted.
    public var deleted = 0

    public init() {}

    public var text: String { "\(inserted) inserted, \(updated) updated, \(unchanged) unchanged, \(deleted) deleted" }
}

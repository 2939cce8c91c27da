import LadingSupport
import LadingConfiguration

/// Names SPEC §5 gives lading's own objects in every warehouse, whatever the backend.
public enum WarehouseNames {
    public static let ledger = "_lading_loads"
    public static let quarantine = "_lading_quarantine"
    public static let columns = "_lading_columns"
    public static let runs = "_lading_runs"
    /// A file's checkpointed rows wait in `_lading_stage_<hash>` until its final commit.
    public static let stagingPrefix = "_lading_stage_"
    public static let auditColumns = ["_source_file", "_load_timestamp", "_batch_id"]
}

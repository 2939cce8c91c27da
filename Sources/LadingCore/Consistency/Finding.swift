import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// One thing `validate-consistency` found (SPEC §6), naming its table and file.
public struct Finding: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case lockUnreadable = "lock_unreadable"
        case staleLock = "stale_lock"
        case orphanedProcessing = "orphaned_processing"
        case completedWithoutLedger = "completed_without_ledger"
        case ledgerWithoutCompleted = "ledger_without_completed"
        case rowCountMismatch = "row_count_mismatch"
        case failedRetriesExhausted = "failed_retries_exhausted"
        case fileChanged = "file_changed"
        case fileMissing = "file_missing"
        case stagingLeftover = "staging_leftover"
        case scd2MultipleCurrent = "scd2_multiple_current"
        case scd2OverlappingVersions = "scd2_overlapping_versions"
        case trackerIntegrity = "tracker_integrity"
        case warehouseIntegrity = "warehouse_integrity"
        case reloadPending = "reload_pending"
        case tableMissing = "table_missing"
        case ledgerCounts = "ledger_counts"
        case expiredLease = "expired_lease"
        case mergeDuplicateKeys = "merge_duplicate_keys"
        case overwriteStaleRows = "overwrite_stale_rows"

        /// The words before the file in the human report.
        var label: String {
            switch self {
            case .lockUnreadable: return "Unreadable lock file"
            case .staleLock: return "Stale lock"
            case .orphanedProcessing: return "Orphaned processing record"
            case .completedWithoutLedger: return "Tracker COMPLETED without a complete ledger row"
            case .ledgerWithoutCompleted: return "Ledger complete but tracker not COMPLETED"
            case .rowCountMismatch: return "Row count differs from the ledger"
            case .failedRetriesExhausted: return "Failed file that will not be retried"
            case .fileChanged: return "Completed file changed on disk"
            case .fileMissing: return "Tracked file gone from disk"
            case .stagingLeftover: return "Leftover staging table"
            case .scd2MultipleCurrent: return "SCD2 key with more than one current version"
            case .scd2OverlappingVersions: return "SCD2 key with overlapping versions"
            case .trackerIntegrity: return "Tracker database damaged"
            case .warehouseIntegrity: return "Warehouse database damaged"
            case .reloadPending: return "File reset, reloads on the next run"
            case .tableMissing: return "Target table missing"
            case .expiredLease: return "Worker whose lease ran out"
            case .mergeDuplicateKeys: return "Merge key held by more than one row"
            case .overwriteStaleRows: return "Overwrite table with rows not from its latest file"
            case .ledgerCounts: return "Ledger counts disagree with the file"
            }
        }
    }

    public enum Severity: String, Codable, Sendable {
        /// An inconsistency: exit 1.
        case error
        /// Worth knowing, not wrong (a file archived after loading, a pending reload).
        case warning
    }

    public var kind: Kind
    public var severity: Severity
    public var table: String?
    public var file: String?
    public var message: String
    /// Whether `--fix` repairs it.
    public var fixable: Bool
    /// How many problems it stands for: 1, or for the line that closes a check's capped
    /// list ("and 1,010 more keys"), how many it did not list, so totals stay true.
    public var count: Int

    public init(_ kind: Kind, _ severity: Severity = .error, table: String? = nil, file: String? = nil, message: String, fixable: Bool, count: Int = 1) {
        self.kind = kind
        self.severity = severity
        self.table = table
        self.file = file
        self.message = message
        self.fixable = fixable
        self.count = count
    }

    /// At most this many findings of one capped check are listed; one more says how many
    /// more there are.
    public static let listLimit = 20

    /// `1,030`: counts people read, grouped the same whatever the locale.
    public static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (number < 0 ? "-" : "") + result
    }

    /// `Orphaned processing record: landing/t/t_0042.csv`, the SPEC's human form.
    public var line: String {
        "\(kind.label): \(file ?? table ?? "") — \(message)"
    }
}

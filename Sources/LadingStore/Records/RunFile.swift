import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders

/// One file a run touched, as `history --json` shows it (SPEC §8).
public struct RunFile: Sendable, Codable, Equatable {
    public var table: String
    public var file: String
    public var status: String
    public var recordsRead: Int64
    public var rowsLoaded: Int64
    public var rowsQuarantined: Int64
    public var errorType: String?
    public var errorMessage: String?
    /// SCD2 files: keys new, changed, unchanged and closed.
    public var scd2: SCD2Counts?
    /// merge files: keys inserted, updated, unchanged and deleted.
    public var merge: MergeCounts?

    public init(table: String, file: String, status: String, recordsRead: Int64, rowsLoaded: Int64, rowsQuarantined: Int64,
                errorType: String?, errorMessage: String?, scd2: SCD2Counts?, merge: MergeCounts? = nil) {
        self.table = table
        self.file = file
        self.status = status
        self.recordsRead = recordsRead
        self.rowsLoaded = rowsLoaded
        self.rowsQuarantined = rowsQuarantined
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.scd2 = scd2
        self.merge = merge
    }

    /// The per-key counts as stored in the tracker's one column for them (JSON).
    public func countsJSON() throws -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        if let scd2 { return String(decoding: try encoder.encode(scd2), as: UTF8.self) }
        if let merge { return String(decoding: try encoder.encode(merge), as: UTF8.self) }
        return nil
    }

    /// Reads that column back: SCD2 counts, or merge counts.
    public mutating func setCounts(json: String?) {
        guard let data = json.map({ Data($0.utf8) }) else { return }
        let decoder = JSONDecoder()
        scd2 = try? decoder.decode(SCD2Counts.self, from: data)
        if scd2 == nil { merge = try? decoder.decode(MergeCounts.self, from: data) }
    }

    enum CodingKeys: String, CodingKey {
        case table, file, status, scd2, merge
        case recordsRead = "records_read"
        case rowsLoaded = "rows_loaded"
        case rowsQuarantined = "rows_quarantined"
        case errorType = "error_type"
        case errorMessage = "error_message"
    }
}

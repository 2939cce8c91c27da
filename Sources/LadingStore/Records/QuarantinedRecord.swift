import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders

/// One row of `_lading_quarantine`, for `quarantine list` and `reprocess`.
public struct QuarantinedRecord: Codable, Sendable {
    public var id: Int64
    public var table: String
    public var file: String
    public var recordNumber: Int64
    public var lineNumber: Int64
    public var rawRecord: String
    public var errorType: String
    public var errorMessage: String
    public var batchID: String
    public var quarantinedAt: String
    public var reprocessedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, table = "table_name", file = "source_file", recordNumber = "record_number", lineNumber = "line_number"
        case rawRecord = "raw_record", errorType = "error_type", errorMessage = "error_message", batchID = "batch_id"
        case quarantinedAt = "quarantined_at", reprocessedAt = "reprocessed_at"
    }

    public init(id: Int64, table: String, file: String, recordNumber: Int64, lineNumber: Int64, rawRecord: String, errorType: String, errorMessage: String, batchID: String, quarantinedAt: String, reprocessedAt: String?) {
        self.id = id
        self.table = table
        self.file = file
        self.recordNumber = recordNumber
        self.lineNumber = lineNumber
        self.rawRecord = rawRecord
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.batchID = batchID
        self.quarantinedAt = quarantinedAt
        self.reprocessedAt = reprocessedAt
    }
}

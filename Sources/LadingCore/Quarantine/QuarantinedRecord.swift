import Foundation

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
}

/// `quarantine list`: the bad records with where they came from and why.
public struct QuarantineListing: Encodable, Sendable {
    public var records: [QuarantinedRecord]

    public static func gather(config: LadingConfig, environment: Environment, table: String?, file: String?) throws -> QuarantineListing {
        guard try environment.stores.warehouseExists(config) else { return QuarantineListing(records: []) }
        let warehouse = try environment.stores.openWarehouse(config, readOnly: true)
        let resolved = file.map { Paths.absolute($0, relativeTo: Paths.directory(of: config.configPath)) }
        var records = try warehouse.quarantinedRecords(table: table, file: resolved, pendingOnly: false)
        if records.isEmpty, let file, resolved != file {
            records = try warehouse.quarantinedRecords(table: table, file: file, pendingOnly: false)
        }
        return QuarantineListing(records: records)
    }

    public var text: String {
        guard !records.isEmpty else { return "No quarantined records." }
        var lines: [String] = []
        for record in records {
            var raw = record.rawRecord.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\r", with: "")
            if raw.count > 120 { raw = String(raw.prefix(120)) + "…" }
            let state = record.reprocessedAt.map { " (reprocessed \($0))" } ?? ""
            lines.append("\(record.table)  \(record.file):\(record.lineNumber)  record \(record.recordNumber)  [\(record.errorType)] \(record.errorMessage)\(state)")
            lines.append("    \(raw)")
        }
        lines.append("\(records.count) record(s), \(records.filter { $0.reprocessedAt == nil }.count) not reprocessed")
        return lines.joined(separator: "\n")
    }
}

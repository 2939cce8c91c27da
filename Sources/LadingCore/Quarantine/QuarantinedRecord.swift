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

    /// Rows matching optional table and file filters, oldest first; reprocessed ones too
    /// unless `pendingOnly`.
    static func fetch(from warehouse: SQLiteWarehouse, table: String?, file: String?, pendingOnly: Bool) throws -> [QuarantinedRecord] {
        guard try warehouse.db.tableExists(WarehouseSchema.quarantine) else { return [] }
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let table { conditions.append("table_name = ?"); values.append(.text(table)) }
        if let file { conditions.append("source_file = ?"); values.append(.text(file)) }
        if pendingOnly { conditions.append("reprocessed_at IS NULL") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try warehouse.db.rows("""
            SELECT id, table_name, source_file, record_number, line_number, raw_record, error_type, error_message, batch_id, quarantined_at, reprocessed_at
            FROM _lading_quarantine\(filter) ORDER BY table_name, source_file, record_number
            """, values).map { row in
            QuarantinedRecord(id: row[0].integerValue ?? 0, table: row[1].textValue ?? "", file: row[2].textValue ?? "",
                              recordNumber: row[3].integerValue ?? 0, lineNumber: row[4].integerValue ?? 0, rawRecord: row[5].textValue ?? "",
                              errorType: row[6].textValue ?? "", errorMessage: row[7].textValue ?? "", batchID: row[8].textValue ?? "",
                              quarantinedAt: row[9].textValue ?? "", reprocessedAt: row[10].textValue)
        }
    }
}

/// `quarantine list`: the bad records with where they came from and why.
public struct QuarantineListing: Encodable, Sendable {
    public var records: [QuarantinedRecord]

    public static func gather(config: LadingConfig, table: String?, file: String?) throws -> QuarantineListing {
        guard FileManager.default.fileExists(atPath: config.warehouse.path) else { return QuarantineListing(records: []) }
        let warehouse = try SQLiteWarehouse(path: config.warehouse.path, readOnly: true, busyTimeoutSeconds: config.warehouse.busyTimeoutSeconds)
        let resolved = file.map { Paths.absolute($0, relativeTo: Paths.directory(of: config.configPath)) }
        var records = try QuarantinedRecord.fetch(from: warehouse, table: table, file: resolved, pendingOnly: false)
        if records.isEmpty, let file, resolved != file {
            records = try QuarantinedRecord.fetch(from: warehouse, table: table, file: file, pendingOnly: false)
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

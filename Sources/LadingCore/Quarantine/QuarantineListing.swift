import Foundation
import LadingConfiguration
import LadingStore
import LadingSupport
import LadingReaders

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

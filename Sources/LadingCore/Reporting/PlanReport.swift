import LadingSupport
import LadingStore

/// What `lading plan` found (SPEC §10), per table and file.
public struct PlanReport: Sendable, Codable {
    public struct File: Sendable, Codable {
        public var file: String
        /// `load`, `fail` (the run would fail it), `held` (behind a failing file of an
        /// ordered table) or `replay` (the table would be replayed).
        public var outcome: String
        public var reason: String?
        public var records: Int64 = 0
        /// append and overwrite: rows inserted; overwrite: rows of the table it replaces.
        public var inserted: Int64 = 0
        public var deleted: Int64 = 0
        public var quarantined: Int64 = 0
        /// The first quarantined records, `line N: reason`.
        public var firstReasons: [String] = []
        public var schemaChanges: [String] = []
        public var scd2: SCD2Counts?
        public var merge: MergeCounts?

        enum CodingKeys: String, CodingKey {
            case file, outcome, reason, records, inserted, deleted, quarantined, scd2, merge
            case firstReasons = "first_reasons"
            case schemaChanges = "schema_changes"
        }

        init(file: String, outcome: String, reason: String? = nil) {
            self.file = file
            self.outcome = outcome
            self.reason = reason
        }

        var text: String {
            let name = Paths.fileName(of: file)
            switch outcome {
            case "fail": return "\(name): WOULD FAIL: \(reason ?? "")"
            case "held": return "\(name): held: \(reason ?? "")"
            case "replay": return "\(name): \(reason ?? "the table would be replayed")"
            default:
                var effect: String
                if let scd2 { effect = "keys \(scd2.text)" } else if let merge { effect = merge.text } else {
                    effect = "\(inserted) inserted" + (deleted > 0 ? ", replacing \(deleted) rows" : "")
                }
                var line = "\(name): \(records) records: \(effect), \(quarantined) quarantined"
                if !firstReasons.isEmpty { line += " (\(firstReasons.joined(separator: "; ")))" }
                if !schemaChanges.isEmpty { line += "; schema: \(schemaChanges.joined(separator: ", "))" }
                return line
            }
        }
    }

    public struct Table: Sendable, Codable {
        public var table: String
        public var strategy: String
        public var files: [File] = []
        public var note: String?
        /// The table's folder could not be read: the run would fail the table.
        public var failed = false
    }

    public var tables: [Table] = []

    /// SPEC §10: exit 1 when some file (or table) would fail.
    public var wouldFail: Bool { tables.contains { $0.failed || $0.files.contains { $0.outcome == "fail" } } }

    enum CodingKeys: String, CodingKey {
        case tables
        case wouldFail = "would_fail"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tables = try container.decode([Table].self, forKey: .tables)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tables, forKey: .tables)
        try container.encode(wouldFail, forKey: .wouldFail)
    }

    public func text() -> String {
        var lines = ["Plan (read only: nothing was written):"]
        for table in tables {
            lines.append("\(table.table) (\(table.strategy)): \(table.files.isEmpty ? "nothing to load" : "\(table.files.count) file(s)")")
            if let note = table.note { lines.append("  \(note)") }
            for file in table.files { lines.append("  " + file.text) }
        }
        lines.append(wouldFail ? "Some files would fail: a run now would exit 1." : "Every file would load.")
        return lines.joined(separator: "\n")
    }
}

import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The text of a starter config: every key lading reads, at its default, with the
/// comment `config.example.yaml` gives it, so the file doubles as the reference a new
/// user edits. Keys that only matter for another strategy are written commented out;
/// everything active is what `ConfigLoader` would assume anyway, except the table
/// keys init decided (source, pattern, format, columns).
struct StarterConfigRenderer {
    var outputPath: String

    /// Where comments start, as in `config.example.yaml`.
    private static let commentColumn = 36

    func render(_ tables: [StarterTable]) -> String {
        let base = Paths.directory(of: outputPath)
        var lines: [String] = []
        let folders = tables.map { RelativePath.from(base, to: $0.sourcePath) }
        lines.append("# lading configuration drafted by `lading init` from the files in:")
        for folder in Set(folders).sorted() { lines.append("#   \(folder)") }
        lines.append("# Review it (types, file patterns, notes), then: lading run --config \(Paths.fileName(of: outputPath))")
        lines.append("# Every key is shown with its default. Relative paths are relative to this file's folder.")
        lines.append("# Unknown keys are an error (a typo must not disable a setting).")
        lines.append("")
        lines += global()
        lines.append("")
        lines.append("tables:")
        for (index, table) in tables.enumerated() {
            if index > 0 { lines.append("") }
            var block = self.table(table, sourcePath: folders[index])
            if !table.isActive { block = block.map { "# " + $0 } }
            lines += table.notes.map { "  # note: " + $0 }
            lines += block
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func global() -> [String] {
        [
            line("state_dir: ./state", "holds tracker.sqlite, lading.lock and reports/"),
            "# tracker_path: ./state/tracker.sqlite   # default: <state_dir>/tracker.sqlite",
            "# lock_file: ./state/lading.lock         # default: <state_dir>/lading.lock",
            "",
            "warehouse:",
            line("  driver: sqlite", "embedded SQLite; or postgres with dsn, schema, state_schema (README)"),
            line("  path: ./warehouse.sqlite", "default: ./warehouse.sqlite"),
            line("  busy_timeout_seconds: 30", "wait this long for another connection's lock, then the file fails (transient, retried)"),
            "",
            line("retry_attempts: 3", "per file, across runs, for retryable errors (retry while retry_count < this)"),
            line("timeout_minutes: 60", "lock lifetime: a lock older than this is stale and taken over"),
            line("batch_size: 10000", "records per warehouse transaction and checkpoint"),
            line("direct_load_max_mb: 0", "append/overwrite files up to this size load in one transaction, no checkpoints"),
            line("", "(faster, above all on PostgreSQL; a crash restarts them); 0: files within one batch"),
            line("max_bad_record_ratio: 0.0", "per file: above it the file FAILS (data error); a table may override it"),
            line("max_record_bytes: 67108864", "one record (CSV) or line (JSONL) larger than this is a bad record"),
            line("min_file_age_seconds: 0", "files modified more recently wait for the next run; a table may override it"),
            line("schema_evolution: add_columns", "add_columns | fail: what a file with new columns does; a table may override it"),
            "",
            line("retry:", "transient errors (busy/locked database) within a run"),
            line("  base_seconds: 1", "backoff ceiling of the first retry; doubles each retry (full jitter: a random wait below it)"),
            line("  max_seconds: 60", "the ceiling never exceeds this"),
            line("  attempts_in_run: 3", "tries of one file within one run (1 = no in-run retry)"),
            "",
            line("circuit_breaker_threshold: 5", "consecutive failed files that stop a table for this run (the rest stay PENDING);"),
            line("", "the next run tries one file first and goes on only if it loads"),
            "",
            line("monitor:", "thresholds of `lading monitor`; crossing one is critical (exit 1)"),
            line("  max_failure_rate: 0.1", "share of runs in the window that ended partial or failed"),
            line("  max_quarantine_rate: 0.01", "quarantined / (loaded + quarantined) records in the window"),
            line("  max_hours_since_success: 26", "hours since the last run that ended in success"),
        ]
    }

    private func table(_ table: StarterTable, sourcePath: String) -> [String] {
        var lines: [String] = []
        var origin = "\(table.files.count) \(table.format.rawValue) file\(table.files.count == 1 ? "" : "s")"
        if TableNaming.identifier(from: table.folderName) != table.folderName {
            origin += " in the folder \(YAMLScalar.quotedAlways(table.folderName)), named as a plain SQL identifier"
        }
        lines.append("  # \(table.name): \(origin)")
        lines.append("  - table_name: \(YAMLScalar.quoted(table.name))")
        lines.append("    source_path: \(YAMLScalar.quoted(sourcePath))")
        lines.append(line("    file_pattern: \(YAMLScalar.quotedAlways(table.filePattern))", "glob on names relative to source_path; \"**/\" recurses; .gz is read transparently"))
        lines.append(line("    format: \(table.format.rawValue)", "csv | tsv | jsonl; default from the extension (.csv .tsv .jsonl .ndjson, each maybe .gz)"))
        lines.append(line("    loading_strategy: append", "append | scd2 (scd2 needs primary_keys)"))
        lines.append(line("    order_by: name", "name | modified_time: the order files load in"))
        lines.append(line("    # max_bad_record_ratio: 0.0", "default: the top-level value"))
        lines.append(line("    # min_file_age_seconds: 0", "default: the top-level value"))
        lines.append(line("    # schema_evolution: add_columns", "default: the top-level value"))
        lines.append(line("    # direct_load_max_mb: 0", "append/overwrite: default the top-level value"))
        lines.append(line("    # primary_keys: [id]", "scd2: the columns that identify a row"))
        lines.append(line("    # tracking_columns: [a, b]", "scd2: default every non-key column except the scd2_effective_from column"))
        lines.append(line("    # scd2_effective_date_column: effective_date", nil))
        lines.append(line("    # scd2_end_date_column: end_date", nil))
        lines.append(line("    # scd2_current_flag_column: is_current", nil))
        lines.append(line("    # scd2_effective_from: load_time", "load_time | file_modified_time | a column name"))
        lines.append(line("    # scd2_deletes: ignore", "ignore | close (a file is a full snapshot)"))
        lines.append(line("    # max_delete_ratio: 0.5", "with close: refuse a file that would close more than this share of current keys"))
        lines.append(line("    # late_files: fail", "fail | replay: a file sorting before the last applied one"))
        switch table.format {
        case .csv, .tsv:
            lines.append(line("    csv:", "csv/tsv options, all optional"))
            let delimiter = table.format == .tsv ? "\"\\t\"" : "\",\""
            lines.append(line("      delimiter: \(delimiter)", "one character; \"\\t\" or tab for TSV (the tsv default)"))
            lines.append("      quote: '\"'")
            lines.append(line("      header: true", "false: columns named column_1, column_2, ..."))
            lines.append(line("      null_values: [\"\"]", "unquoted fields equal to one of these are NULL"))
            let words = table.nullWords
            if !words.isEmpty {
                lines.append(line("      # null_values: \(YAMLScalar.list([""] + words))",
                                  "hint: the sample holds \(words.map { "\"\($0)\"" }.joined(separator: ", ")), a missing value in R and pandas exports"))
            }
        case .jsonl:
            lines.append("    # JSON Lines: one object per line, keys are columns, nested values are stored as JSON text")
        }
        if !table.columns.isEmpty, let sampled = table.sampledFile {
            lines.append(line("    columns:", "inferred from \(sampled) (\(table.sampledRecords) record\(table.sampledRecords == 1 ? "" : "s")), as a run would"))
            lines.append("      # text | integer | real | boolean | date | timestamp. Declared types do not widen by")
            lines.append("      # themselves when a later file needs it: change one here (a widening migrates the table).")
            for column in table.columns {
                var comment: String?
                if !column.nullWords.isEmpty {
                    let held = "holds \(column.nullWords.map { "\"\($0)\"" }.joined(separator: ", "))"
                    comment = column.typeWithNullWords.map { held + "; \($0.rawValue) with the null_values hint" } ?? held
                }
                lines.append(line("      \(YAMLScalar.quoted(column.name)): \(column.type.rawValue)", comment))
            }
        }
        return lines
    }

    /// `content`, padded so the comment starts at `commentColumn` (one space at least).
    private func line(_ content: String, _ comment: String?) -> String {
        guard let comment else { return content }
        let padding = max(1, StarterConfigRenderer.commentColumn - content.count)
        return content + String(repeating: " ", count: padding) + "# " + comment
    }
}

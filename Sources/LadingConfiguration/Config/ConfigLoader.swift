import Foundation
import Yams
import LadingSupport

/// Reads and validates the YAML configuration (SPEC §3).
public enum ConfigLoader {
    static let topLevelKeys = [
        "state_dir", "tracker_path", "lock_file", "warehouse", "retry_attempts", "timeout_minutes",
        "batch_size", "max_bad_record_ratio", "max_record_bytes", "retry", "circuit_breaker_threshold",
        "direct_load_max_mb", "monitor", "min_file_age_seconds", "schema_evolution", "tables", "after_load", "archive_path",
    ]
    static let tableKeys = [
        "table_name", "source_path", "file_pattern", "format", "loading_strategy", "csv", "columns",
        "primary_keys", "tracking_columns", "scd2_effective_date_column", "scd2_end_date_column",
        "scd2_current_flag_column", "scd2_effective_from", "scd2_deletes", "scd2_max_delete_ratio", "max_delete_ratio", "merge_deletes",
        "late_files", "order_by", "min_file_age_seconds", "schema_evolution", "max_bad_record_ratio", "after_load", "archive_path",
        "direct_load_max_mb",
    ]

    /// Which file to read: `--config`, then `$LADING_CONFIG`, then `./lading.yaml`.
    public static func locate(explicit: String?, environment: [String: String], currentDirectory: String) -> String {
        if let explicit, !explicit.isEmpty { return Paths.absolute(explicit, relativeTo: currentDirectory) }
        if let fromEnvironment = environment["LADING_CONFIG"], !fromEnvironment.isEmpty {
            return Paths.absolute(fromEnvironment, relativeTo: currentDirectory)
        }
        return Paths.absolute("lading.yaml", relativeTo: currentDirectory)
    }

    public static func load(path: String, home: String? = ProcessInfo.processInfo.environment["HOME"]) throws -> LadingConfig {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(file: path, reason: "the configuration file does not exist (pass --config PATH or set LADING_CONFIG)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, reason: "the configuration file cannot be read (check its permissions)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, reason: "the configuration file is not valid UTF-8 text")
        }
        return try parse(yaml: text, path: path, home: home)
    }

    public static func parse(yaml text: String, path: String, home: String? = nil) throws -> LadingConfig {
        let root: Node
        do {
            // `.basic`: no implicit tags. Every value is read as text and converted by
            // YAMLMapping (`int`, `bool`, null), so the default resolver's regular
            // expressions, compiled at each start (about 1 ms), would change nothing.
            guard let node = try Yams.compose(yaml: text, .basic) else {
                throw ConfigError(file: path, reason: "the configuration file is empty; it needs at least a 'tables' list")
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw yamlError(error, file: path)
        } catch {
            throw ConfigError(file: path, reason: "invalid YAML: \(error)")
        }
        let base = Paths.directory(of: path)
        let top = try YAMLMapping(root, file: path, path: "")
        try top.rejectUnknownKeys(topLevelKeys)
        func resolve(_ relative: String) -> String { Paths.absolute(relative, relativeTo: base, home: home) }

        let stateDirectory = resolve(try top.string("state_dir") ?? "./state")
        let trackerPath = try top.string("tracker_path").map(resolve) ?? stateDirectory + "/tracker.sqlite"
        let lockPath = try top.string("lock_file").map(resolve) ?? stateDirectory + "/lading.lock"

        var warehouse = LadingConfig.Warehouse(driver: .sqlite, path: resolve("./warehouse.sqlite"))
        if let section = try top.mapping("warehouse") {
            try section.rejectUnknownKeys(["driver", "path", "busy_timeout_seconds", "dsn", "schema", "state_schema", "lease_seconds"])
            if let driver = try section.string("driver") {
                guard let known = LadingConfig.Warehouse.Driver(rawValue: driver) else {
                    throw section.error("driver", "'\(driver)' is not supported; supported drivers: sqlite, postgres")
                }
                warehouse.driver = known
            }
            if let warehousePath = try section.string("path") { warehouse.path = resolve(warehousePath) }
            warehouse.busyTimeoutSeconds = try section.double("busy_timeout_seconds", default: 30, range: 0...86_400)
            if warehouse.driver == .postgres {
                warehouse.dsn = try section.string("dsn")
                warehouse.schema = try section.string("schema") ?? "public"
                warehouse.stateSchema = try section.string("state_schema") ?? "lading_state"
                warehouse.leaseSeconds = try section.double("lease_seconds", default: 300, range: 2...86_400)
                for key in ["schema", "state_schema"] {
                    let name = key == "schema" ? warehouse.schema : warehouse.stateSchema
                    try checkIdentifier(name, section: section, key: key)
                    try checkPostgresLength(name, section: section, key: key)
                }
            } else {
                for key in ["dsn", "schema", "state_schema", "lease_seconds"] where section.value(key) != nil {
                    throw section.error(key, "applies to driver: postgres only (this warehouse is sqlite)")
                }
            }
        }

        let retryAttempts = try top.int("retry_attempts", default: 3, range: 0...1000)
        let timeoutMinutes = try top.double("timeout_minutes", default: 60, range: 0.001...1_000_000)
        let batchSize = try top.int("batch_size", default: 10_000, range: 1...100_000_000)
        let maxBadRecordRatio = try top.double("max_bad_record_ratio", default: 0, range: 0...1)
        let maxRecordBytes = try top.int("max_record_bytes", default: 64 << 20, range: 1024...(1 << 31))
        let defaultMinAge = try top.double("min_file_age_seconds", default: 0, range: 0...Double.greatestFiniteMagnitude)
        let defaultEvolution = try top.choice("schema_evolution", default: TableConfig.SchemaEvolution.addColumns)
        let defaultAfterLoad = try top.choice("after_load", default: TableConfig.AfterLoad.keep)
        let defaultArchive = try top.string("archive_path").map(resolve)
        let defaultDirectLoadMB = try top.int("direct_load_max_mb", default: 0, range: 0...(1 << 30))

        var retry = LadingConfig.Retry(baseSeconds: 1, maxSeconds: 60, attemptsInRun: 3)
        if let section = try top.mapping("retry") {
            try section.rejectUnknownKeys(["base_seconds", "max_seconds", "attempts_in_run"])
            retry.baseSeconds = try section.double("base_seconds", default: 1, range: 0...86_400)
            retry.maxSeconds = try section.double("max_seconds", default: max(60, retry.baseSeconds), range: 0...86_400)
            retry.attemptsInRun = try section.int("attempts_in_run", default: 3, range: 1...100)
            guard retry.maxSeconds >= retry.baseSeconds else {
                throw section.error("max_seconds", "must be at least base_seconds (\(retry.baseSeconds))")
            }
        }
        let breaker = try top.int("circuit_breaker_threshold", default: 5, range: 1...1_000_000)

        var monitor = LadingConfig.Monitor(maxFailureRate: 0.1, maxQuarantineRate: 0.01, maxHoursSinceSuccess: 26)
        if let section = try top.mapping("monitor") {
            try section.rejectUnknownKeys(["max_failure_rate", "max_quarantine_rate", "max_hours_since_success",
                                           "warn_failure_rate", "warn_quarantine_rate", "warn_hours_since_success"])
            monitor.maxFailureRate = try section.double("max_failure_rate", default: 0.1, range: 0...1)
            monitor.maxQuarantineRate = try section.double("max_quarantine_rate", default: 0.01, range: 0...1)
            monitor.maxHoursSinceSuccess = try section.double("max_hours_since_success", default: 26, range: 0.001...1_000_000)
            monitor.warnFailureRate = try section.double("warn_failure_rate", default: monitor.maxFailureRate / 2, range: 0...1)
            monitor.warnQuarantineRate = try section.double("warn_quarantine_rate", default: monitor.maxQuarantineRate / 2, range: 0...1)
            monitor.warnHoursSinceSuccess = try section.double("warn_hours_since_success", default: monitor.maxHoursSinceSuccess / 2, range: 0.001...1_000_000)
            for (warn, max, key) in [(monitor.warnFailureRate, monitor.maxFailureRate, "warn_failure_rate"),
                                     (monitor.warnQuarantineRate, monitor.maxQuarantineRate, "warn_quarantine_rate"),
                                     (monitor.warnHoursSinceSuccess, monitor.maxHoursSinceSuccess, "warn_hours_since_success")] where warn > max {
                throw section.error(key, "the warning threshold \(warn) is above its critical one \(max)")
            }
        }

        guard let tablesNode = top.value("tables") else {
            throw ConfigError(file: path, keyPath: "tables", line: root.mark?.line, reason: "required key 'tables' is missing: list at least one table")
        }
        guard case .sequence(let tableNodes) = tablesNode else {
            throw top.error("tables", "expected a list of tables, found \(YAMLMapping.describe(tablesNode))")
        }
        guard !tableNodes.isEmpty else { throw top.error("tables", "list at least one table") }

        var tables: [TableConfig] = []
        var names: [String: String] = [:]
        for (index, node) in tableNodes.enumerated() {
            let section = try YAMLMapping(node, file: path, path: "tables[\(index)]")
            var table = try parseTable(section, resolve: resolve, defaults: (maxBadRecordRatio, defaultMinAge, defaultEvolution))
            // SPEC §4 after_load: archive needs a place; delete would take away the files an
            // ordered table's replays need.
            table.afterLoad = try section.choice("after_load", default: defaultAfterLoad)
            table.archivePath = try section.string("archive_path").map(resolve) ?? defaultArchive
            table.directLoadMaxBytes = Int64(try section.int("direct_load_max_mb", default: defaultDirectLoadMB, range: 0...(1 << 30))) << 20
            if section.value("direct_load_max_mb") != nil, table.strategy == .scd2 || table.strategy == .merge {
                throw section.error("direct_load_max_mb", "applies to append and overwrite tables only (\(table.strategy.rawValue) files are staged or applied by their own rules)")
            }
            if table.afterLoad == .archive && table.archivePath == nil {
                throw section.error("after_load", "after_load: archive needs archive_path (per table or at the top level): the folder the loaded files move to")
            }
            if table.afterLoad == .delete && table.strategy.appliesInOrder {
                throw section.error("after_load", "after_load: delete is refused for a \(table.strategy.rawValue) table: its replays (reset-state, repairs, late files) need its files; use archive")
            }
            if warehouse.driver == .postgres { try checkPostgresLength(table.name, section: section, key: "table_name") }
            let folded = table.name.lowercased()
            if let earlier = names[folded] {
                throw section.error("table_name", "the table name '\(table.name)' is already used by \(earlier) (table names are compared ignoring case)")
            }
            names[folded] = section.path
            tables.append(table)
        }

        return LadingConfig(
            configPath: path, baseDirectory: base, stateDirectory: stateDirectory, trackerPath: trackerPath,
            lockPath: lockPath, warehouse: warehouse, retryAttempts: retryAttempts, timeoutMinutes: timeoutMinutes,
            batchSize: batchSize, maxBadRecordRatio: maxBadRecordRatio, maxRecordBytes: maxRecordBytes,
            retry: retry, circuitBreakerThreshold: breaker, monitor: monitor, tables: tables
        )
    }

    /// Discovery walks down from `source_path` and never meets a `.` or `..` entry, so a
    /// pattern with such a segment would silently match nothing (and `..` would mean a
    /// file outside the folder, which SPEC §4 does not load): refuse it where it is written.
    private static func checkFilePattern(_ pattern: String, section: YAMLMapping) throws {
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true)
        if segments.contains("..") {
            throw section.error("file_pattern", "'\(pattern)' contains a '..' segment; patterns match paths inside source_path only: point source_path at the folder that holds the files instead")
        }
        if segments.contains(".") {
            throw section.error("file_pattern", "'\(pattern)' contains a '.' segment, which matches nothing: patterns are relative to source_path, so write it without './'")
        }
    }

    private static func parseTable(
        _ section: YAMLMapping,
        resolve: (String) -> String,
        defaults: (badRatio: Double, minAge: Double, evolution: TableConfig.SchemaEvolution)
    ) throws -> TableConfig {
        try section.rejectUnknownKeys(tableKeys)
        let name = try section.requiredString("table_name")
        try checkIdentifier(name, section: section, key: "table_name")
        if name.lowercased().hasPrefix("_lading") {
            throw section.error("table_name", "names starting with '_lading' are reserved for lading's own tables")
        }
        let sourcePath = resolve(try section.requiredString("source_path"))
        let filePattern = try section.string("file_pattern") ?? "*"
        guard !filePattern.isEmpty else { throw section.error("file_pattern", "must not be empty") }
        try checkFilePattern(filePattern, section: section)
        let format = try section.optionalChoice("format", TableConfig.Format.self)
        let strategy = try section.choice("loading_strategy", default: TableConfig.Strategy.append)

        var csv = CSVOptions()
        if let options = try section.mapping("csv") {
            try options.rejectUnknownKeys(["delimiter", "quote", "header", "null_values"])
            if options.value("delimiter") != nil { csv.delimiter = try singleByte(options, "delimiter") }
            if options.value("quote") != nil { csv.quote = try singleByte(options, "quote") }
            csv.header = try options.bool("header", default: true)
            csv.nullValues = try options.stringList("null_values") ?? [""]
            if let delimiter = csv.delimiter, delimiter == csv.quote {
                throw options.error("quote", "the quote character must differ from the delimiter")
            }
        }

        var columns: [TableConfig.Column] = []
        if let columnSection = try section.mapping("columns") {
            guard case .mapping(let mapping) = columnSection.node else { throw section.error("columns", "expected a mapping") }
            var seen = Set<String>()
            for (keyNode, valueNode) in mapping {
                let columnName = keyNode.string ?? ""
                let path = columnSection.childPath(columnName)
                guard !columnName.isEmpty, !columnName.utf8.contains(0) else {
                    throw ConfigError(file: section.file, keyPath: path, line: keyNode.mark?.line, reason: "a column needs a non-empty name without NUL bytes")
                }
                guard seen.insert(columnName.lowercased()).inserted else {
                    throw ConfigError(file: section.file, keyPath: path, line: keyNode.mark?.line, reason: "the column '\(columnName)' is declared twice (names are compared ignoring case)")
                }
                guard let typeName = valueNode.string, let type = ColumnType(rawValue: typeName.lowercased()) else {
                    let allowed = ColumnType.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ConfigError(file: section.file, keyPath: path, line: valueNode.mark?.line,
                                      reason: "\(YAMLMapping.describe(valueNode)) is not a column type; use one of: \(allowed)")
                }
                columns.append(.init(name: columnName, type: type))
            }
        }

        let primaryKeys = try section.stringList("primary_keys") ?? []
        for key in primaryKeys { try checkIdentifier(key, section: section, key: "primary_keys") }
        if strategy.needsKeys && primaryKeys.isEmpty {
            throw ConfigError(file: section.file, keyPath: section.childPath("primary_keys"), line: section.location("loading_strategy").line,
                              reason: "loading_strategy \(strategy.rawValue) needs primary_keys (the columns that identify a row), e.g. primary_keys: [customer_id]")
        }
        if Set(primaryKeys.map { $0.lowercased() }).count != primaryKeys.count {
            throw section.error("primary_keys", "a primary key column is listed twice")
        }
        let trackingColumns = try section.stringList("tracking_columns") ?? []
        for column in trackingColumns { try checkIdentifier(column, section: section, key: "tracking_columns") }
        if let overlap = trackingColumns.first(where: { tracked in primaryKeys.contains { $0.lowercased() == tracked.lowercased() } }) {
            throw section.error("tracking_columns", "'\(overlap)' is a primary key; tracking columns are the non-key columns whose changes open a new version")
        }
        // `columns` may declare any subset (SPEC §3): keys and tracking columns may be
        // inferred ones; a file that lacks one fails with a message naming it.

        let effectiveDate = try section.string("scd2_effective_date_column") ?? "effective_date"
        let endDate = try section.string("scd2_end_date_column") ?? "end_date"
        let currentFlag = try section.string("scd2_current_flag_column") ?? "is_current"
        for (key, value) in [("scd2_effective_date_column", effectiveDate), ("scd2_end_date_column", endDate), ("scd2_current_flag_column", currentFlag)] {
            try checkIdentifier(value, section: section, key: key)
        }
        if Set([effectiveDate, endDate, currentFlag].map { $0.lowercased() }).count != 3 {
            throw section.error("scd2_current_flag_column", "the effective date, end date and current flag columns need three different names")
        }
        let effectiveFrom: TableConfig.EffectiveFrom
        switch try section.string("scd2_effective_from") ?? "load_time" {
        case "load_time": effectiveFrom = .loadTime
        case "file_modified_time": effectiveFrom = .fileModifiedTime
        case "": throw section.error("scd2_effective_from", "use load_time, file_modified_time or a column name")
        case let column:
            try checkIdentifier(column, section: section, key: "scd2_effective_from")
            effectiveFrom = .column(column)
        }

        var table = TableConfig(
            name: name,
            sourcePath: sourcePath,
            sourcePathLocation: section.location("source_path"),
            columnsLocation: section.location("columns"),
            filePattern: filePattern,
            format: format,
            strategy: strategy,
            csv: csv,
            columns: columns,
            primaryKeys: primaryKeys,
            trackingColumns: trackingColumns,
            effectiveDateColumn: effectiveDate,
            endDateColumn: endDate,
            currentFlagColumn: currentFlag,
            effectiveFrom: effectiveFrom,
            deletes: try section.choice("scd2_deletes", default: TableConfig.SCD2Deletes.ignore),
            maxDeleteRatio: try maxDeleteRatio(section),
            lateFiles: try section.choice("late_files", default: TableConfig.LateFiles.fail),
            orderBy: try section.choice("order_by", default: TableConfig.OrderBy.name),
            minFileAgeSeconds: try section.double("min_file_age_seconds", default: defaults.minAge, range: 0...Double.greatestFiniteMagnitude),
            schemaEvolution: try section.choice("schema_evolution", default: defaults.evolution),
            maxBadRecordRatio: try section.double("max_bad_record_ratio", default: defaults.badRatio, range: 0...1)
        )
        table.mergeDeletes = try section.choice("merge_deletes", default: TableConfig.MergeDeletes.ignore)
        return table
    }

    /// `max_delete_ratio`, or its old name `scd2_max_delete_ratio` (SPEC §5); not both.
    private static func maxDeleteRatio(_ section: YAMLMapping) throws -> Double {
        let current = try section.double("max_delete_ratio", default: -1, range: 0...1)
        let old = try section.double("scd2_max_delete_ratio", default: -1, range: 0...1)
        if current >= 0 && old >= 0 {
            throw section.error("scd2_max_delete_ratio", "give max_delete_ratio only (scd2_max_delete_ratio is its old name)")
        }
        return current >= 0 ? current : old >= 0 ? old : 0.5
    }

    /// SPEC §9: PostgreSQL cuts identifiers at 63 bytes without an error, so two long
    /// names could become one table; such a name is refused instead.
    private static func checkPostgresLength(_ name: String, section: YAMLMapping, key: String) throws {
        guard name.utf8.count <= 63 else {
            throw section.error(key, "'\(name)' is \(name.utf8.count) bytes; PostgreSQL names are at most 63 bytes (driver: postgres)")
        }
    }

    private static func checkIdentifier(_ name: String, section: YAMLMapping, key: String) throws {
        guard !name.isEmpty else { throw section.error(key, "a name must not be empty") }
        guard !name.utf8.contains(0) else { throw section.error(key, "a name must not contain a NUL byte") }
    }

    /// Delimiters and quotes are one byte; `\t` and the word `tab` both mean a tab.
    private static func singleByte(_ section: YAMLMapping, _ key: String) throws -> UInt8 {
        let text = try section.string(key) ?? ""
        let normalized = text == "\\t" || text.lowercased() == "tab" ? "\t" : text
        let bytes = Array(normalized.utf8)
        guard bytes.count == 1, bytes[0] != 0x0A, bytes[0] != 0x0D else {
            throw section.error(key, "expected a single ASCII character (or \\t / tab), found '\(text)'")
        }
        return bytes[0]
    }

    private static func yamlError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, reason: "invalid YAML: \(problem)")
        default:
            return ConfigError(file: file, reason: "invalid YAML: \(error)")
        }
    }
}

import FuzzSupport
import LadingConfiguration

/// The YAML config loader: bytes to a validated `LadingConfig` or a `ConfigError`
/// (exit 78) naming the file, never a crash and never another error type. Input that is
/// not UTF-8 is refused by `ConfigLoader.load` before parsing, so only UTF-8 reaches
/// `parse`. Properties of an accepted config: what validation promises holds (at least
/// one table, names unique ignoring case and not reserved, ranges, one-byte delimiter
/// and quote that differ and are not line ends, non-empty file patterns, column names
/// unique ignoring case, warnings at or below their critical thresholds).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = FuzzInput(data, size).bytes
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    let path = "/fuzz/lading.yaml"
    let config: LadingConfig
    do {
        config = try ConfigLoader.parse(yaml: text, path: path, home: "/home/fuzz")
    } catch let error as ConfigError {
        require(error.file == path, "ConfigError names \(error.file)")
        require(!error.reason.isEmpty, "ConfigError without a reason")
        require(error.line.map { $0 >= 0 } ?? true, "ConfigError at line \(String(describing: error.line))")
        require(error.exitStatus == .configuration, "ConfigError exit \(error.exitStatus)")
        return 0
    } catch {
        require(false, "parse threw a \(type(of: error)), not a ConfigError: \(error)")
        return 0
    }
    require(!config.tables.isEmpty, "a config without tables was accepted")
    require((1024...(1 << 31)).contains(config.maxRecordBytes), "max_record_bytes \(config.maxRecordBytes)")
    require(config.batchSize >= 1 && config.retryAttempts >= 0 && config.circuitBreakerThreshold >= 1, "counts out of range")
    require(config.timeoutMinutes > 0 && (0...1).contains(config.maxBadRecordRatio), "ratios out of range")
    require(config.retry.maxSeconds >= config.retry.baseSeconds, "retry max below base")
    require(config.monitor.warnFailureRate <= config.monitor.maxFailureRate
            && config.monitor.warnQuarantineRate <= config.monitor.maxQuarantineRate
            && config.monitor.warnHoursSinceSuccess <= config.monitor.maxHoursSinceSuccess, "a warning above its critical threshold")
    let names = config.tables.map { $0.name.lowercased() }
    require(Set(names).count == names.count, "duplicate table names \(names)")
    for table in config.tables {
        require(!table.name.isEmpty && !table.name.utf8.contains(0) && !table.name.lowercased().hasPrefix("_lading"), "table name '\(table.name)'")
        require(!table.filePattern.isEmpty, "empty file pattern")
        require(table.csv.quote != 0x0A && table.csv.quote != 0x0D && table.csv.quote < 0x80, "quote \(table.csv.quote)")
        if let delimiter = table.csv.delimiter {
            require(delimiter != table.csv.quote && delimiter != 0x0A && delimiter != 0x0D && delimiter < 0x80, "delimiter \(delimiter)")
        }
        let columns = table.columns.map { $0.name.lowercased() }
        require(Set(columns).count == columns.count, "duplicate columns \(columns)")
        require(table.columns.allSatisfy { !$0.name.isEmpty && !$0.name.utf8.contains(0) }, "a column without a usable name")
        require((0...1).contains(table.maxBadRecordRatio) && table.minFileAgeSeconds >= 0, "table ratios")
    }
    return 0
}

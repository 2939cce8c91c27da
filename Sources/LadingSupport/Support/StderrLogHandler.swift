import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One log line per event on stderr, human or JSON (`--log-format json`), so stdout
/// stays clean for results that scripts parse.
public struct StderrLogHandler: LogHandler {
    /// Where finished lines go (each ends with its newline): stderr, or a test's capture.
    public typealias Output = @Sendable (String) -> Void

    public enum Format: String, Sendable, CaseIterable { case text, json }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let format: Format
    private let label: String
    private let output: Output

    public init(label: String, format: Format, level: Logger.Level, output: @escaping Output = StderrLogHandler.writeToStandardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.output = output
    }

    /// One `write` per line, so lines from concurrent loggers never interleave.
    public static func writeToStandardError(_ line: String) {
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = StderrLogHandler.render(format: format, date: Date(), level: event.level,
                                           message: "\(event.message)", metadata: merged)
        output(line + "\n")
    }

    public static func render(format: Format, date: Date, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let stamp = Timestamp.iso8601(date, fractionDigits: 3)
        switch format {
        case .text:
            let fields = metadata.keys.sorted().map { key in
                escapingControlCharacters(key) + "=" + escapingControlCharacters(metadata[key].map { "\($0)" } ?? "")
            }.joined(separator: " ")
            return "\(stamp) \(level.rawValue.uppercased()) \(escapingControlCharacters(message))" + (fields.isEmpty ? "" : " " + fields)
        case .json:
            // `event` and `message` carry the same words: `event` is what log pipelines group by.
            var object: [String: JSONField] = ["timestamp": .text(stamp), "level": .text(level.rawValue), "event": .text(message), "message": .text(message)]
            for (key, value) in metadata where object[key] == nil { object[key] = JSONField(value) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(object) else { return message }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// One value of a JSON log line. Logger metadata values are strings, so a value that
    /// reads as a plain number (`2`, `-3`, `0.011`) goes out as a JSON number, which log
    /// pipelines can sum and compare (`"files_failed":2`). Anything a JSON reader would
    /// change stays a string: leading zeros (`007`), a sign `+`, exponents, and more than
    /// 15 significant digits (a double keeps no more).
    enum JSONField: Encodable, Equatable {
        case text(String)
        case integer(Int64)
        case decimal(Double)

        init(_ value: Logger.Metadata.Value) {
            switch value {
            case .string(let text): self = JSONField.number(text) ?? .text(text)
            case .stringConvertible(let convertible): self = JSONField.number(convertible.description) ?? .text(convertible.description)
            case .array, .dictionary: self = .text("\(value)")
            }
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 15 digits, else nil.
        static func number(_ text: String) -> JSONField? {
            var digits = Substring(text)
            if digits.first == "-" { digits = digits.dropFirst() }
            let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard let whole = parts.first, !whole.isEmpty, whole.utf8.allSatisfy({ (48...57).contains($0) }),
                  whole == "0" || whole.first != "0" else { return nil }
            let fraction = parts.count == 2 ? parts[1] : nil
            if let fraction, fraction.isEmpty || !fraction.utf8.allSatisfy({ (48...57).contains($0) }) { return nil }
            guard whole.count + (fraction?.count ?? 0) <= 15 else { return nil }
            if fraction == nil { return Int64(text).map(JSONField.integer) }
            return Double(text).map(JSONField.decimal)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .integer(let number): try container.encode(number)
            case .decimal(let number): try container.encode(number)
            }
        }
    }

    /// Text logs stay one line per event (SPEC §4) whatever a file name or value holds:
    /// `\n`, `\r` and `\t` are written as those escapes, every other control character
    /// (C0, DEL, C1) and the Unicode line and paragraph separators as `\uXXXX`, and a
    /// backslash as `\\`, so an escaped newline and a name holding `\n` read apart.
    static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\\": result += "\\\\"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            || scalar == "\\"
    }
}

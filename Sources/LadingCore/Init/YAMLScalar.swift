import LadingConfiguration
import LadingReaders
import LadingStore

/// Writes one YAML scalar so that Yams reads back exactly the same string.
///
/// `lading init` writes names taken from headers and folders, which may hold any
/// character (`a"; DROP TABLE t; --`, `yes`, `#`, `: `). A plain scalar is used only
/// for names that YAML cannot mistake for anything else; everything else is double
/// quoted with escapes, so the config round-trips through `ConfigLoader` unchanged.
enum YAMLScalar {
    /// Plain scalars that YAML 1.1 or 1.2 resolves to booleans or null.
    private static let reserved: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]

    static func quoted(_ text: String) -> String {
        if isPlainSafe(text) { return text }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                    || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF {
                    result += "\\u" + hex(scalar.value, digits: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// A flow list of quoted scalars: `["", "NA"]`.
    static func list(_ items: [String]) -> String {
        "[" + items.map { quotedAlways($0) }.joined(separator: ", ") + "]"
    }

    /// Always quoted (list items such as `""` read better quoted).
    static func quotedAlways(_ text: String) -> String {
        let value = quoted(text)
        return value.hasPrefix("\"") ? value : "\"" + value + "\""
    }

    /// Letters, digits and `_`, `-`, `.`, `/`, not starting with a digit, `-` or `.`,
    /// and not a word YAML reads as a boolean or null: nothing else is left plain.
    private static func isPlainSafe(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !reserved.contains(text.lowercased()) else { return false }
        guard first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "-" || scalar == "." || scalar == "/"
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

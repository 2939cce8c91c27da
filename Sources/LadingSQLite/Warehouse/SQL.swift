import LadingConfiguration
import LadingReaders
import LadingStore

/// Identifier quoting, the only way a name reaches SQL text (I6).
public enum SQL {
    /// `"name"` with every inner `"` doubled, like the SQLite shell's `%w`.
    /// NUL cannot be represented in an SQLite identifier; it is rejected by the caller
    /// through `isRepresentable` and never silently dropped.
    public static func quoteIdentifier(_ name: String) -> String {
        var quoted = "\""
        quoted.reserveCapacity(name.utf8.count + 2)
        for character in name.unicodeScalars {
            if character == "\"" { quoted.unicodeScalars.append("\"") }
            quoted.unicodeScalars.append(character)
        }
        quoted.unicodeScalars.append("\"")
        return quoted
    }

    /// Whether a name can be used as an identifier at all (no NUL byte).
    public static func isRepresentable(_ name: String) -> Bool {
        !name.utf8.contains(0)
    }
}

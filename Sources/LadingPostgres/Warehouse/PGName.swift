/// Identifiers in PostgreSQL SQL text: quoted, schema-qualified, and never longer than
/// the server's 63 bytes (it would cut them silently, so two names could become one).
enum PGName {
    static let maxBytes = 63

    /// `"name"` with every inner `"` doubled (I6: the only way a name reaches SQL text).
    static func quote(_ name: String) -> String {
        "\"" + physical(name).replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `"schema"."name"`.
    static func qualified(_ schema: String, _ name: String) -> String { quote(schema) + "." + quote(name) }

    /// The name the server stores. User tables are at most 63 bytes (checked with the
    /// config); names lading derives from them (`_lading_shadow_<table>`, index names)
    /// can be longer and become a prefix plus a hash of the whole name, stable and unique.
    static func physical(_ name: String) -> String {
        guard name.utf8.count > maxBytes else { return name }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let suffix = "_" + String(hash, radix: 16)
        var prefix = ""
        for character in name {
            if prefix.utf8.count + String(character).utf8.count + suffix.utf8.count > maxBytes { break }
            prefix.append(character)
        }
        return prefix + suffix
    }
}

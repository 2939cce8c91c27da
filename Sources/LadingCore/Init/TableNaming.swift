import LadingConfiguration
import LadingReaders
import LadingStore

/// Turns folder names into table names for `lading init`, one table per folder.
///
/// SQL quoting would let any name through (lading quotes every identifier), but a
/// table that must be written `"2024 Sales-data"` in every query is a trap for the
/// people querying the warehouse. So the name is made a plain SQL identifier:
/// lower case, runs of anything but letters, digits and `_` become one `_`, leading
/// and trailing `_` go (so no name can start with the reserved `_lading`), a leading
/// digit gets `t_` in front, and an empty result is `table`. Names already given get
/// `_2`, `_3`, … (ignoring case, as `ConfigLoader` compares them).
struct TableNaming {
    /// Clashes ignoring case get `_2`, `_3`, … by the same rule as column names.
    private var naming = ColumnNaming()

    mutating func name(forFolder folder: String) -> String {
        naming.name(for: TableNaming.identifier(from: folder), position: 0)
    }

    static func identifier(from folder: String) -> String {
        var result = ""
        var lastWasSeparator = false
        for scalar in folder.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
                lastWasSeparator = false
            } else if !lastWasSeparator {
                result += "_"
                lastWasSeparator = true
            }
        }
        while result.hasPrefix("_") { result.removeFirst() }
        while result.hasSuffix("_") { result.removeLast() }
        if result.isEmpty { return "table" }
        if let first = result.unicodeScalars.first, ("0"..."9").contains(first) { result = "t_" + result }
        return result
    }
}

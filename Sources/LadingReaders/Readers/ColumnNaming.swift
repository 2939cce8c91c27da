import LadingConfiguration

/// The header rule of SPEC §3, one name at a time: a name stays exactly as written,
/// except that an empty one (or one holding NUL) becomes `column_N` (its 1-based
/// position) and one equal, ignoring case, to an earlier one gets `_2`, `_3`, ….
/// CSV headers take it all at once; JSON Lines keys as they first appear, so two keys
/// that differ only in case are two columns (SQLite names ignore case), never one.
package struct ColumnNaming {
    private var used = Set<String>()

    package mutating func name(for raw: String, position: Int) -> String {
        let base = raw.isEmpty || raw.utf8.contains(0) ? "column_\(position)" : raw
        var candidate = base
        var suffix = 2
        while used.contains(candidate.lowercased()) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        used.insert(candidate.lowercased())
        return candidate
    }

    package init() {
    }
}

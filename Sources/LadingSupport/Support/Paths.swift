import Foundation

/// Path arithmetic without touching the disk (no symlink resolution), so the path a
/// file is tracked under is exactly the one discovery built.
public enum Paths {
    /// Name order as SPEC §4 means it: by UTF-8 bytes (what `ls` shows with `LC_ALL=C`),
    /// not by Unicode collation. A `memcmp` on the strings' own storage.
    public static func precedesByBytes(_ left: String, _ right: String) -> Bool {
        let fast = left.utf8.withContiguousStorageIfAvailable { a in
            right.utf8.withContiguousStorageIfAvailable { b -> Bool in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return order != 0 ? order < 0 : a.count < b.count
            }
        }
        return (fast ?? nil) ?? left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    /// `path` made absolute against `base`, with `.` and `..` removed.
    public static func absolute(_ path: String, relativeTo base: String, home: String? = nil) -> String {
        var expanded = path
        if let home, path == "~" || path.hasPrefix("~/") {
            expanded = home + path.dropFirst()
        }
        let joined = expanded.hasPrefix("/") ? expanded : base + "/" + expanded
        return normalize(joined)
    }

    /// Removes `.`, `..` and repeated slashes from an absolute path.
    public static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(component)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `path` relative to `base` when it lies inside it, otherwise nil.
    public static func relative(_ path: String, to base: String) -> String? {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return String(path.dropFirst(prefix.count))
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

import Foundation

/// Path arithmetic without touching the disk (no symlink resolution), so the path a
/// file is tracked under is exactly the one discovery built.
public enum Paths {
    /// Name order as SPEC §4 means it: by UTF-8 bytes (what `ls` shows with `LC_ALL=C`),
    /// not by Unicode collation. A `memcmp` on the strings' own storage.
    public static func precedesByBytes(_ left: String, _ right: String) -> Bool {
        let fast = left.utf8.withContiguousStorageIfAvailable { a in
            right.utf8.withContiguousStorageIfAvailable { b in
                compareBytes(a.baseAddress, a.count, b.baseAddress, b.count) < 0
            }
        }
        return (fast ?? nil) ?? left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    /// Byte order of two buffers (a `memcmp` of the shared length, then the shorter
    /// first): negative, zero or positive. Name order's one comparison, for strings and
    /// for the bytes SQLite returns alike.
    public static func compareBytes(_ left: UnsafeRawPointer?, _ leftCount: Int, _ right: UnsafeRawPointer?, _ rightCount: Int) -> Int {
        let common = min(leftCount, rightCount)
        if common > 0, let left, let right {
            let order = memcmp(left, right, common)
            if order != 0 { return Int(order) }
        }
        return leftCount == rightCount ? 0 : (leftCount < rightCount ? -1 : 1)
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

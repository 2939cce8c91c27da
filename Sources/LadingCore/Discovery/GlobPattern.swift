#if canImport(Glibc)
import Glibc
#endif
import LadingConfiguration
import LadingReaders
import LadingStore

/// A `file_pattern` such as `*.csv*` or `**/orders_*.jsonl.gz`, matched against paths
/// relative to `source_path`. Segments are `fnmatch` patterns; `**` spans any number
/// of folders (also none). Names starting with a dot only match a segment that starts
/// with one, because uploaders write partial files as `.name.tmp`.
public struct GlobPattern: Sendable, Equatable {
    public let text: String
    let segments: [String]

    public init(_ text: String) {
        self.text = text
        segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Whether matching may need to descend into sub-folders.
    public var isRecursive: Bool { segments.count > 1 }

    public func matches(_ relativePath: String) -> Bool {
        // The common case, `*.csv` against a name in source_path itself: one fnmatch.
        if segments.count == 1, segments[0] != "**", !relativePath.utf8.contains(UInt8(ascii: "/")) {
            return !relativePath.isEmpty && GlobPattern.fnmatch(segments[0], relativePath)
        }
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return match(segmentIndex: 0, parts: parts[...])
    }

    /// Whether a folder at `relativePath` could contain matches (prunes the walk).
    public func mayDescend(into relativePath: String) -> Bool {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return prefixMatch(segmentIndex: 0, parts: parts[...])
    }

    private func match(segmentIndex: Int, parts: ArraySlice<String>) -> Bool {
        if segmentIndex == segments.count { return parts.isEmpty }
        let segment = segments[segmentIndex]
        if segment == "**" {
            if match(segmentIndex: segmentIndex + 1, parts: parts) { return true }
            guard let first = parts.first, !first.hasPrefix(".") else { return false }
            return match(segmentIndex: segmentIndex, parts: parts.dropFirst())
        }
        guard let first = parts.first, GlobPattern.fnmatch(segment, first) else { return false }
        return match(segmentIndex: segmentIndex + 1, parts: parts.dropFirst())
    }

    private func prefixMatch(segmentIndex: Int, parts: ArraySlice<String>) -> Bool {
        if parts.isEmpty { return segmentIndex < segments.count }
        if segmentIndex == segments.count { return false }
        let segment = segments[segmentIndex]
        if segment == "**" {
            if prefixMatch(segmentIndex: segmentIndex + 1, parts: parts) { return true }
            guard let first = parts.first, !first.hasPrefix(".") else { return false }
            return prefixMatch(segmentIndex: segmentIndex, parts: parts.dropFirst())
        }
        guard let first = parts.first, GlobPattern.fnmatch(segment, first) else { return false }
        return prefixMatch(segmentIndex: segmentIndex + 1, parts: parts.dropFirst())
    }

    static func fnmatch(_ pattern: String, _ name: String) -> Bool {
        Glibc.fnmatch(pattern, name, FNM_PERIOD) == 0
    }
}

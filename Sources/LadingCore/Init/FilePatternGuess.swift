import LadingConfiguration
import LadingReaders
import LadingStore

/// The `file_pattern` `lading init` writes for the files of one format in a folder:
/// a shared name prefix, `*`, then the extension as the files spell it.
///
/// The prefix stops before the first digit and at a separator (`_`, `-`, `.`), so
/// `orders_2024-01-01.csv` and `orders_2024-01-02.csv` give `orders_*.csv`, which
/// also matches next month's files; a single `flights.csv` gives `*.csv`. The pattern
/// is a plain `fnmatch` segment (no recursion): sub-folders are tables of their own.
/// A folder holding both `.csv` and `.csv.gz` gets `*.csv*`, as in
/// `config.example.yaml`. Any other mix keeps the most common spelling, and the files
/// it leaves out are named in the config (`StarterTable.notes`).
enum FilePatternGuess {
    static func pattern(for names: [String]) -> String {
        let suffixes = names.map(extensionSuffix)
        var counts: [String: Int] = [:]
        for suffix in suffixes { counts[suffix, default: 0] += 1 }
        let distinct = counts.keys.sorted()
        let suffix: String
        if distinct.count == 1 {
            suffix = distinct[0]
        } else if distinct.count == 2, distinct[1] == distinct[0] + ".gz" || distinct[1] == distinct[0] + ".GZ" {
            suffix = distinct[0] + "*"
        } else {
            suffix = distinct.max { (counts[$0] ?? 0, $1) < (counts[$1] ?? 0, $0) } ?? ""
        }
        let stems = zip(names, suffixes).map { String($0.dropLast($1.count)) }
        return prefix(of: stems) + "*" + suffix
    }

    /// `.csv`, `.csv.gz`, `.jsonl`, … as written in the name (fnmatch is case-sensitive).
    static func extensionSuffix(of name: String) -> String {
        var rest = Substring(name)
        var suffix = ""
        if rest.lowercased().hasSuffix(".gz") {
            suffix = String(rest.suffix(3))
            rest = rest.dropLast(3)
        }
        guard let dot = rest.lastIndex(of: "."), dot != rest.startIndex else { return suffix }
        return String(rest[dot...]) + suffix
    }

    private static func prefix(of stems: [String]) -> String {
        guard var common = stems.first.map(Array.init) else { return "" }
        for stem in stems.dropFirst() {
            let characters = Array(stem)
            var length = 0
            while length < min(common.count, characters.count) && common[length] == characters[length] { length += 1 }
            common = Array(common.prefix(length))
        }
        if let digit = common.firstIndex(where: { $0.isASCII && $0.isNumber }) { common = Array(common[..<digit]) }
        let separators: Set<Character> = ["_", "-", "."]
        if let last = common.last, !separators.contains(last) {
            if let cut = common.lastIndex(where: { separators.contains($0) }) {
                common = Array(common[...cut])
            } else {
                common = []
            }
        }
        let text = String(common)
        return text.contains(where: { "*?[]\\".contains($0) }) ? "" : text
    }
}

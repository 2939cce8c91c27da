import Yams
import LadingSupport

/// A YAML mapping read key by key, remembering which keys were used so the rest can be
/// rejected by name (a typo must not silently disable a setting), and turning every
/// type or range problem into a `ConfigError` with the key path and line.
struct YAMLMapping {
    let file: String
    let path: String
    let node: Node
    private var entries: [(key: String, keyNode: Node, value: Node)] = []

    init(_ node: Node, file: String, path: String) throws {
        self.file = file
        self.path = path
        self.node = node
        guard case .mapping(let mapping) = node else {
            throw ConfigError(file: file, keyPath: path.isEmpty ? nil : path, line: node.mark?.line,
                              reason: "expected a mapping of keys to values")
        }
        var seen = Set<String>()
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw ConfigError(file: file, keyPath: path, line: keyNode.mark?.line, reason: "keys must be plain names")
            }
            let key = scalar.string
            if !seen.insert(key).inserted {
                throw ConfigError(file: file, keyPath: childPath(key), line: keyNode.mark?.line,
                                  reason: "the key '\(key)' appears twice")
            }
            entries.append((key, keyNode, value))
        }
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func location(_ key: String) -> ConfigLocation {
        let entry = entries.first { $0.key == key }
        return ConfigLocation(file: file, keyPath: childPath(key), line: entry?.value.mark?.line ?? entry?.keyNode.mark?.line ?? node.mark?.line)
    }

    /// Rejects every key not in `known`, naming it and listing what is allowed.
    func rejectUnknownKeys(_ known: [String]) throws {
        for entry in entries where !known.contains(entry.key) {
            let hint = YAMLMapping.closest(to: entry.key, in: known).map { " (did you mean '\($0)'?)" } ?? ""
            throw ConfigError(file: file, keyPath: childPath(entry.key), line: entry.keyNode.mark?.line,
                              reason: "unknown key '\(entry.key)'\(hint); allowed keys here: \(known.joined(separator: ", "))")
        }
    }

    /// The value node, or nil when absent or an explicit YAML null.
    func value(_ key: String) -> Node? {
        guard let node = entries.first(where: { $0.key == key })?.value else { return nil }
        if case .scalar(let scalar) = node, scalar.style == .plain, node.null != nil { return nil }
        return node
    }

    func error(_ key: String, _ reason: String) -> ConfigError { location(key).error(reason) }

    func string(_ key: String) throws -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else { throw error(key, "expected a text value, found \(YAMLMapping.describe(node))") }
        return scalar.string
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else {
            throw ConfigError(file: file, keyPath: childPath(key), line: node.mark?.line, reason: "required key '\(key)' is missing")
        }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return text
    }

    func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let node = value(key) else { return fallback }
        guard case .scalar(let scalar) = node, let number = Int(String(scalar.string.filter { $0 != "_" })) else {
            throw error(key, "expected a whole number, found \(YAMLMapping.describe(node))")
        }
        guard range.contains(number) else { throw error(key, "\(number) is out of range (\(YAMLMapping.describe(range)))") }
        return number
    }

    func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
        guard let node = value(key) else { return fallback }
        guard case .scalar(let scalar) = node, let number = Double(scalar.string), number.isFinite else {
            throw error(key, "expected a number, found \(YAMLMapping.describe(node))")
        }
        guard range.contains(number) else {
            throw error(key, "\(scalar.string) is out of range (\(range.lowerBound) to \(range.upperBound == .greatestFiniteMagnitude ? "any" : String(range.upperBound)))")
        }
        return number
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let node = value(key) else { return fallback }
        guard case .scalar = node, let flag = node.bool else {
            throw error(key, "expected true or false, found \(YAMLMapping.describe(node))")
        }
        return flag
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) throws -> T where T.RawValue == String {
        try optionalChoice(key, T.self) ?? fallback
    }

    func optionalChoice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(key, "'\(text)' is not one of: \(allowed)")
        }
        return value
    }

    func stringList(_ key: String) throws -> [String]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            throw error(key, "expected a list such as [a, b], found \(YAMLMapping.describe(node))")
        }
        return try sequence.enumerated().map { index, item in
            guard case .scalar(let scalar) = item else {
                throw ConfigError(file: file, keyPath: childPath(key) + "[\(index)]", line: item.mark?.line,
                                  reason: "expected a text value, found \(YAMLMapping.describe(item))")
            }
            return scalar.string
        }
    }

    func mapping(_ key: String) throws -> YAMLMapping? {
        guard let node = value(key) else { return nil }
        return try YAMLMapping(node, file: file, path: childPath(key))
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
    }

    /// The known key nearest to a typo, when it is close enough to be a useful hint.
    static func closest(to key: String, in known: [String]) -> String? {
        let scored = known.map { ($0, editDistance(key.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

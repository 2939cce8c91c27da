/// libpq connection strings as lading's config holds them: `${NAME}` expansion, so no
/// password needs to be in the file, and masking, so none reaches a log, report,
/// error message or `status` (SPEC §9).
///
/// Masking errs on the side of hiding: a malformed value (an unquoted password with a
/// space, an `@` left unencoded in a URI) hides everything up to the next thing that
/// is plainly another parameter, because a DSN libpq cannot parse is exactly the one
/// whose error message is printed.
package enum PGDSN {
    /// Replaces each `${NAME}` with that environment variable. A `$` not followed by
    /// `{` stays literal. Values are inserted verbatim, so a value that may hold spaces
    /// or quotes belongs inside single quotes in the DSN (`password='${PW}'`), or in
    /// `PGPASSWORD` / `~/.pgpass`, which need no expansion at all.
    package static func expand(_ dsn: String, environment: [String: String]) throws -> String {
        var result = ""
        var rest = Substring(dsn)
        while let dollar = rest.firstRange(of: "${") {
            result += rest[..<dollar.lowerBound]
            let afterBrace = rest[dollar.upperBound...]
            guard let close = afterBrace.firstIndex(of: "}") else {
                throw PGError.invalidDSN(reason: "a \"${\" has no closing \"}\"")
            }
            let name = String(afterBrace[..<close])
            guard isVariableName(name) else {
                // Not echoed: what sits between the braces may be part of a literal password.
                throw PGError.invalidDSN(reason: "a \"${…}\" holds no variable name (letters, digits and _, not starting with a digit)")
            }
            guard let value = environment[name] else { throw PGError.undefinedVariable(name: name) }
            result += value
            rest = afterBrace[afterBrace.index(after: close)...]
        }
        return result + rest
    }

    /// The DSN with every password value replaced by `***`: keyword form (quoted or
    /// not, any spacing), URI user info, and URI query parameters.
    package static func masked(_ dsn: String) -> String {
        let bytes = Array(dsn.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var copied = 0
        for span in passwordSpans(bytes) {
            output += bytes[copied..<span.lowerBound]
            output += Array("***".utf8)
            copied = span.upperBound
        }
        output += bytes[copied...]
        return String(decoding: output, as: UTF8.self)
    }

    /// libpq's complaint about `dsn` without the password: libpq quotes the part of
    /// the DSN it stumbled on (`missing "=" after "cret"`), sometimes the whole URI,
    /// so a quoted fragment sharing text with a password is masked or hidden.
    package static func scrub(_ message: String, dsn: String) -> String {
        let bytes = Array(dsn.utf8)
        var secrets: [String] = []
        for span in passwordSpans(bytes) {
            let raw = String(decoding: bytes[span], as: UTF8.self)
            secrets += [raw, unquoted(raw), percentDecoded(raw)]
            secrets += raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        }
        secrets = secrets.filter { !$0.isEmpty }
        guard !secrets.isEmpty else { return message }
        func revealsSecret(_ text: String) -> Bool {
            secrets.contains { text.contains($0) || (!text.isEmpty && $0.contains(text)) }
        }
        let parts = message.split(separator: "\"", omittingEmptySubsequences: false).map(String.init)
        var result = ""
        for (index, part) in parts.enumerated() {
            if index > 0 { result += "\"" }
            // Odd parts sit between quotes: libpq's excerpts of the DSN.
            if index % 2 == 1, revealsSecret(part) {
                let hidden = masked(part)
                result += revealsSecret(hidden) ? "***" : hidden
            } else {
                result += part
            }
        }
        for secret in secrets where secret.count >= 4 {
            result = result.replacing(secret, with: "***")
        }
        return result
    }

    /// A DSN with a password in it that libpq could not use may have been split at the
    /// wrong place (an unencoded `@` or `/` in a URI's password puts pieces of it in the
    /// host, port or database): only values the masked DSN shows are named then.
    package static func shownTarget(_ target: PGTarget, dsn: String) -> PGTarget {
        guard !passwordSpans(Array(dsn.utf8)).isEmpty else { return target }
        let visible = masked(dsn)
        func shown(_ value: String) -> String { value.isEmpty || visible.contains(value) ? value : "?" }
        return PGTarget(host: shown(target.host), port: shown(target.port), database: shown(target.database), user: shown(target.user))
    }

    /// libpq's connection option names, which its messages quote and which are no secret.
    private static let optionNames: Set<String> = ["host", "hostaddr", "port", "dbname", "user", "password", "sslmode",
                                                   "connect_timeout", "application_name", "options", "service"]

    /// libpq's connection complaint for such a DSN: every quoted excerpt the masked DSN
    /// does not show is hidden, since it may hold a piece of the password.
    package static func shownReason(_ reason: String, dsn: String) -> String {
        guard !passwordSpans(Array(dsn.utf8)).isEmpty else { return reason }
        let visible = masked(dsn)
        let parts = reason.split(separator: "\"", omittingEmptySubsequences: false).map(String.init)
        return parts.enumerated().map { index, part in
            index % 2 == 1 && !part.isEmpty && !visible.contains(part) && !optionNames.contains(part) ? "***" : part
        }.joined(separator: "\"")
    }

    // MARK: - Finding passwords

    /// Byte ranges of password values, in order and not overlapping.
    static func passwordSpans(_ bytes: [UInt8]) -> [Range<Int>] {
        var start = 0
        while start < bytes.count, isSpace(bytes[start]) { start += 1 }
        for prefix in ["postgresql://", "postgres://"] {
            let scheme = Array(prefix.utf8)
            if bytes.count - start >= scheme.count,
               zip(bytes[start..<(start + scheme.count)], scheme).allSatisfy({ lowercased($0) == $1 }) {
                return uriPasswordSpans(bytes, authorityStart: start + scheme.count)
            }
        }
        return keywordPasswordSpans(bytes)
    }

    /// `password=value`, `password = 'quoted \' value'`: every `password` keyword
    /// followed by `=`, wherever it stands. A strict tokenizer would miss one after an
    /// unterminated quote (`host='x password=secret`), which is just the DSN libpq
    /// rejects and an error message shows; hiding a little too much is harmless.
    private static func keywordPasswordSpans(_ bytes: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        let keyword = Array("password".utf8)
        let end = bytes.count
        var index = 0
        while index + keyword.count <= end {
            let isKeyword = (index == 0 || !isNameByte(bytes[index - 1]))
                && zip(bytes[index..<(index + keyword.count)], keyword).allSatisfy({ lowercased($0) == $1 })
            guard isKeyword else {
                index += 1
                continue
            }
            index += keyword.count
            while index < end, isSpace(bytes[index]) { index += 1 }
            guard index < end, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < end, isSpace(bytes[index]) { index += 1 }
            let valueStart = index
            if index < end, bytes[index] == UInt8(ascii: "'") {
                index += 1
                while index < end, bytes[index] != UInt8(ascii: "'") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index = min(index + 1, end)
            }
            // The rest of the value, and anything up to what is plainly the next pair.
            while index < end, !startsKeywordPair(bytes, at: index) { index += 1 }
            if index > valueStart { spans.append(valueStart..<index) }
        }
        return spans
    }

    /// `scheme://user:password@host/db?password=…`. The user info ends at the last
    /// `@` (an unencoded `@` in a password is common and libpq would cut it short),
    /// and a password starts after the first `:` unless a `/` comes first.
    private static func uriPasswordSpans(_ bytes: [UInt8], authorityStart: Int) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var queryFrom = authorityStart
        if let lastAt = bytes[authorityStart...].lastIndex(of: UInt8(ascii: "@")) {
            var index = authorityStart
            while index < lastAt, bytes[index] != UInt8(ascii: ":"), bytes[index] != UInt8(ascii: "/") { index += 1 }
            if index < lastAt, bytes[index] == UInt8(ascii: ":") {
                if index + 1 < lastAt { spans.append((index + 1)..<lastAt) }
                queryFrom = lastAt
            }
        }
        guard let question = bytes[queryFrom...].firstIndex(of: UInt8(ascii: "?")) else { return spans }
        var index = question + 1
        let end = bytes.count
        while index < end {
            let keyStart = index
            while index < end, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: "&") { index += 1 }
            let key = bytes[keyStart..<index]
            guard index < end, bytes[index] == UInt8(ascii: "=") else {
                index += 1
                continue
            }
            index += 1
            let valueStart = index
            while index < end, bytes[index] != UInt8(ascii: "&") { index += 1 }
            if key.map(lowercased).elementsEqual("password".utf8) {
                while index < end, !startsQueryPair(bytes, at: index) { index += 1 }
                if index > valueStart { spans.append(valueStart..<index) }
            }
            index += 1
        }
        return spans
    }

    /// True at whitespace followed by `name =`, or at trailing whitespace: where a
    /// well-formed keyword value would have ended anyway.
    private static func startsKeywordPair(_ bytes: [UInt8], at start: Int) -> Bool {
        guard isSpace(bytes[start]) else { return false }
        var index = start
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        if index == bytes.count { return true }
        let nameStart = index
        while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
        guard index > nameStart else { return false }
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "=")
    }

    /// True at `&name=`.
    private static func startsQueryPair(_ bytes: [UInt8], at start: Int) -> Bool {
        guard bytes[start] == UInt8(ascii: "&") else { return false }
        var index = start + 1
        while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
        return index > start + 1 && index < bytes.count && bytes[index] == UInt8(ascii: "=")
    }

    // MARK: - Small helpers

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy(isNameByte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// A quoted keyword value as libpq reads it: quotes removed, `\x` → `x`.
    private static func unquoted(_ raw: String) -> String {
        var bytes = Array(raw.utf8)
        if bytes.first == UInt8(ascii: "'") { bytes.removeFirst() }
        if bytes.last == UInt8(ascii: "'") { bytes.removeLast() }
        var result: [UInt8] = []
        var escaped = false
        for byte in bytes {
            if !escaped, byte == UInt8(ascii: "\\") {
                escaped = true
                continue
            }
            escaped = false
            result.append(byte)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// A URI component as libpq decodes it (`%40` → `@`); malformed escapes stay.
    private static func percentDecoded(_ raw: String) -> String {
        let bytes = Array(raw.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                result.append(high << 4 | low)
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

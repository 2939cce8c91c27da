import LadingConfiguration

/// Byte-level checks run on every record, so they are written for speed: a word-wise
/// pass proves the common case (ASCII, no NUL) and only other records get a full check.
enum UTF8Check {
    enum Problem: Equatable {
        case invalidUTF8(offset: Int)
        case nulByte(offset: Int)

        /// The quarantine's `error_type`.
        var errorType: String {
            switch self {
            case .invalidUTF8: return "invalid_utf8"
            case .nulByte: return "nul_byte"
            }
        }

        /// `invalid UTF-8 at byte 7 of the record` (`unit` names what was checked).
        func reason(in unit: String) -> String {
            switch self {
            case .invalidUTF8(let offset): return "invalid UTF-8 at byte \(offset + 1) of the \(unit)"
            case .nulByte(let offset): return "NUL byte at byte \(offset + 1) of the \(unit)"
            }
        }
    }

    static func problem(in bytes: UnsafeRawBufferPointer) -> Problem? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var index = 0
        var suspicious = false
        while index + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let high = word & 0x8080_8080_8080_8080
            let zero = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
            if high != 0 || zero != 0 { suspicious = true; break }
            index += 8
        }
        if !suspicious {
            while index < count {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if byte == 0 || byte >= 0x80 { suspicious = true; break }
                index += 1
            }
            if !suspicious { return nil }
        }
        return fullCheck(base.assumingMemoryBound(to: UInt8.self), count)
    }

    /// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) and no NUL.
    static func fullCheck(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Problem? {
        var i = 0
        let raw = UnsafeRawPointer(bytes)
        while i < count {
            // Skip ASCII eight bytes at a time: most of a line is ASCII even when it holds
            // a few accented letters.
            while i + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let zero = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
                guard word & 0x8080_8080_8080_8080 == 0, zero == 0 else { break }
                i += 8
            }
            guard i < count else { break }
            let b0 = bytes[i]
            if b0 < 0x80 {
                if b0 == 0 { return .nulByte(offset: i) }
                i += 1
                continue
            }
            func continuation(_ offset: Int) -> Bool { i + offset < count && bytes[i + offset] & 0xC0 == 0x80 }
            switch b0 {
            case 0xC2...0xDF:
                guard continuation(1) else { return .invalidUTF8(offset: i) }
                i += 2
            case 0xE0...0xEF:
                guard continuation(1), continuation(2) else { return .invalidUTF8(offset: i) }
                let b1 = bytes[i + 1]
                if b0 == 0xE0 && b1 < 0xA0 { return .invalidUTF8(offset: i) }
                if b0 == 0xED && b1 > 0x9F { return .invalidUTF8(offset: i) }
                i += 3
            case 0xF0...0xF4:
                guard continuation(1), continuation(2), continuation(3) else { return .invalidUTF8(offset: i) }
                let b1 = bytes[i + 1]
                if b0 == 0xF0 && b1 < 0x90 { return .invalidUTF8(offset: i) }
                if b0 == 0xF4 && b1 > 0x8F { return .invalidUTF8(offset: i) }
                i += 4
            default:
                return .invalidUTF8(offset: i)
            }
        }
        return nil
    }
}

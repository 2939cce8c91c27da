#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration

/// Turns field bytes into typed values (SPEC §3 column types), locale-independent and
/// without building a `String` for numbers.
public enum ValueParser {
    /// A decimal integer: optional sign, digits, no spaces; nil when it does not fit Int64.
    /// No length limit: zero padding (`000…042`) fits, and the overflow checks stop a
    /// long number within 20 digits (found by fuzz-values).
    public static func integer(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let count = bytes.count
        guard count > 0 else { return nil }
        var index = 0
        var negative = false
        let first = bytes[0]
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
            guard count > 1 else { return nil }
        }
        var value: Int64 = 0
        while index < count {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return value
    }

    /// Whether the bytes look like an integer (sign and digits only), whatever their size.
    static func looksIntegral(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return false }
        var index = 0
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") { index = 1 }
        guard index < bytes.count else { return false }
        while index < bytes.count {
            guard bytes[index] &- 0x30 < 10 else { return false }
            index += 1
        }
        return true
    }

    /// A finite decimal number (`1`, `-2.5`, `1e10`, `.5`); no hex, no inf/nan, no spaces.
    public static func real(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let count = bytes.count
        guard count > 0, count < 400 else { return nil }
        var sawDigit = false
        for byte in bytes {
            switch byte {
            case 0x30...0x39: sawDigit = true
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): continue
            default: return nil
            }
        }
        guard sawDigit else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { text -> Double? in
            for index in 0..<count { text[index] = CChar(bitPattern: bytes[index]) }
            text[count] = 0
            var endPointer: UnsafeMutablePointer<CChar>?
            guard let base = text.baseAddress else { return nil }
            let value = strtod(base, &endPointer)
            guard let endPointer, endPointer == base + count, value.isFinite else { return nil }
            return value
        }
    }

    /// `true/false`, `t/f`, `yes/no`, `y/n`, `1/0`, any case → 1/0.
    public static func boolean(_ bytes: UnsafeRawBufferPointer, strict: Bool = false) -> Int64? {
        guard bytes.count <= 5 else { return nil }
        var lowered: UInt64 = 0
        for byte in bytes { lowered = lowered << 8 | UInt64(byte | (byte >= 0x41 && byte <= 0x5A ? 0x20 : 0)) }
        func word(_ text: StaticString) -> UInt64 {
            var value: UInt64 = 0
            for index in 0..<text.utf8CodeUnitCount { value = value << 8 | UInt64(text.utf8Start[index]) }
            return value
        }
        if bytes.count == 4 && lowered == word("true") { return 1 }
        if bytes.count == 5 && lowered == word("false") { return 0 }
        if strict { return nil }
        switch (bytes.count, lowered) {
        case (1, word("t")), (3, word("yes")), (1, word("y")), (1, word("1")): return 1
        case (1, word("f")), (2, word("no")), (1, word("n")), (1, word("0")): return 0
        default: return nil
        }
    }

    /// `YYYY-MM-DD`, a real calendar date.
    public static func date(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              isValidDate(year, month, day)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ISO-8601 `YYYY-MM-DD[T| ]HH:MM[:SS[.fff…]][Z|±HH[:MM]]`, or a date alone (midnight),
    /// normalised to UTC `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`. A time without offset is taken as UTC.
    public static func timestamp(_ bytes: UnsafeRawBufferPointer) -> String? {
        let count = bytes.count
        guard count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              isValidDate(year, month, day)
        else { return nil }
        if count == 10 { return format(year, month, day, 0, 0, 0, fraction: nil, offsetSeconds: 0) }
        guard count >= 16, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "t"),
              let hour = digits(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"), let minute = digits(bytes, 14, 2),
              hour < 24, minute < 60
        else { return nil }
        var index = 16
        var second = 0
        var fraction: [UInt8]? = nil
        if index < count && bytes[index] == UInt8(ascii: ":") {
            guard let value = digits(bytes, index + 1, 2), value < 61 else { return nil }
            second = value
            index += 3
            if index < count && (bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",")) {
                index += 1
                var collected: [UInt8] = []
                while index < count && bytes[index] &- 0x30 < 10 {
                    if collected.count < 6 { collected.append(bytes[index]) }
                    index += 1
                }
                guard !collected.isEmpty else { return nil }
                while collected.count < 6 { collected.append(0x30) }
                fraction = collected
            }
        }
        var offset = 0
        if index < count {
            let sign = bytes[index]
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                index += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                guard let offsetHours = digits(bytes, index + 1, 2), offsetHours < 24 else { return nil }
                index += 3
                var offsetMinutes = 0
                if index < count {
                    if bytes[index] == UInt8(ascii: ":") { index += 1 }
                    guard let value = digits(bytes, index, 2), value < 60 else { return nil }
                    offsetMinutes = value
                    index += 2
                }
                offset = (offsetHours * 3600 + offsetMinutes * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
            } else {
                return nil
            }
        }
        guard index == count else { return nil }
        return format(year, month, day, hour, minute, second, fraction: fraction, offsetSeconds: offset)
    }

    /// True when `bytes` already are the stored form `YYYY-MM-DDTHH:MM:SSZ` of a valid
    /// instant, so the loader can store them as they are instead of formatting them
    /// again (most machine-written timestamps; it keeps the hot path free of `String`s).
    public static func isCanonicalTimestamp(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z"),
              let year = digits(bytes, 0, 4), year >= 1000, let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              let hour = digits(bytes, 11, 2), let minute = digits(bytes, 14, 2), let second = digits(bytes, 17, 2)
        else { return false }
        return hour < 24 && minute < 60 && second < 60 && isValidDate(year, month, day)
    }

    /// The first and last instants whose UTC text has a four-digit year from 0001: an
    /// offset can move `0001-01-01T00:00:00+01:00` into year 0, which PostgreSQL rejects
    /// and ISO 8601 readers disagree on, so such a value is a bad record on every backend.
    private static let firstInstant = Timestamp.epochSeconds(year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0)
    private static let lastInstant = Timestamp.epochSeconds(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)

    private static func format(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int,
                               fraction: [UInt8]?, offsetSeconds: Int) -> String? {
        let epoch = Timestamp.epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) - offsetSeconds
        guard epoch >= firstInstant, epoch <= lastInstant else { return nil }
        var text = Timestamp.iso8601(seconds: epoch, nanoseconds: 0, fractionDigits: 0)
        if let fraction {
            text.removeLast()
            text += "." + String(decoding: fraction, as: UTF8.self) + "Z"
        }
        return text
    }

    private static func digits(_ bytes: UnsafeRawBufferPointer, _ at: Int, _ count: Int) -> Int? {
        guard at + count <= bytes.count else { return nil }
        var value = 0
        for index in at..<(at + count) {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    private static func isValidDate(_ year: Int, _ month: Int, _ day: Int) -> Bool {
        guard year >= 1, (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}

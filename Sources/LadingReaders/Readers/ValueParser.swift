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
    /// The same grammar and the same bits as `strtod` consuming the whole field: up to 15
    /// significant digits and a power of ten up to 22 are exact in binary64 (Clinger's
    /// fast path, one correctly rounded multiply or divide), which covers nearly every
    /// value a CSV holds; anything else goes to `strtod`.
    public static func real(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let count = bytes.count
        guard count > 0, count < 400 else { return nil }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var digits = 0
        var scale = 0
        while index < count, bytes[index] &- 0x30 < 10 {
            let digit = UInt64(bytes[index] &- 0x30)
            if significant > 0 || digit != 0 { significant += 1 }
            if significant <= 19 { mantissa = mantissa &* 10 &+ digit } else { scale += 1 }
            digits += 1
            index += 1
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, bytes[index] &- 0x30 < 10 {
                let digit = UInt64(bytes[index] &- 0x30)
                if significant > 0 || digit != 0 { significant += 1 }
                if significant <= 19 { mantissa = mantissa &* 10 &+ digit; scale -= 1 }
                digits += 1
                index += 1
            }
        }
        guard digits > 0 else { return nil }
        if index < count {
            guard bytes[index] | 0x20 == UInt8(ascii: "e") else { return nil }
            index += 1
            var exponentNegative = false
            if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var exponent = 0
            var exponentDigits = 0
            while index < count, bytes[index] &- 0x30 < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[index] &- 0x30) }
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0, index == count else { return nil }
            scale += exponentNegative ? -exponent : exponent
        }
        if significant <= 15 && scale >= -22 && scale <= 22 {
            var value = Double(mantissa)
            if scale > 0 { value *= powersOfTen[scale] } else if scale < 0 { value /= powersOfTen[-scale] }
            return negative ? -value : value
        }
        return strtodWhole(bytes)
    }

    /// 10^0 … 10^22, each exact in binary64.
    private static let powersOfTen: [Double] = (0...22).map { power in
        var value = 1.0
        for _ in 0..<power { value *= 10 }
        return value
    }

    /// `strtod` over the whole field (already checked to be a decimal number's grammar).
    private static func strtodWhole(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let count = bytes.count
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
        isDate(bytes) ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// Whether the bytes are `YYYY-MM-DD` naming a real calendar date (the loader stores
    /// such a value as it is, so it only needs the answer).
    public static func isDate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2)
        else { return false }
        return CivilCalendar.isValid(year: year, month: month, day: day)
    }

    /// Bytes `timestamp(_:into:)` may write: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public static let timestampCapacity = 27

    /// ISO-8601 `YYYY-MM-DD[T| ]HH:MM[:SS[.fff…]][Z|±HH[:MM]]`, or a date alone (midnight),
    /// normalised to UTC `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`. A time without offset is taken as UTC.
    public static func timestamp(_ bytes: UnsafeRawBufferPointer) -> String? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timestampCapacity) { buffer -> String? in
            guard let base = buffer.baseAddress, let length = timestamp(bytes, into: base) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: base, count: length), as: UTF8.self)
        }
    }

    /// `timestamp(_:)` writing the stored form into `output` (at least `timestampCapacity`
    /// bytes) and returning its length, or nil when the value is not a timestamp: no
    /// `String`, no allocation, no C time functions on the loader's hot path.
    public static func timestamp(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) -> Int? {
        let count = bytes.count
        guard count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              CivilCalendar.isValid(year: year, month: month, day: day)
        else { return nil }
        if count == 10 { return write(year, month, day, 0, 0, 0, fraction: nil, into: output) }
        guard count >= 16, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "t"),
              let hour = digits(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"), let minute = digits(bytes, 14, 2),
              hour < 24, minute < 60
        else { return nil }
        var index = 16
        var second = 0
        // The fraction's digits as written (at most 6 kept): where they start and how many.
        var fractionStart = -1
        var fractionDigits = 0
        if index < count && bytes[index] == UInt8(ascii: ":") {
            guard let value = digits(bytes, index + 1, 2), value < 61 else { return nil }
            second = value
            index += 3
            if index < count && (bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",")) {
                index += 1
                fractionStart = index
                while index < count && bytes[index] &- 0x30 < 10 { index += 1 }
                fractionDigits = min(6, index - fractionStart)
                guard index > fractionStart else { return nil }
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
        let fraction = fractionStart < 0 ? nil : UnsafeRawBufferPointer(rebasing: bytes[fractionStart..<(fractionStart + fractionDigits)])
        if offset == 0 && second < 60 {
            // Already UTC and a plain second: the fields are the stored ones.
            return write(year, month, day, hour, minute, second, fraction: fraction, into: output)
        }
        let epoch = CivilCalendar.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        guard epoch >= firstInstant, epoch <= lastInstant else { return nil }
        let dayNumber = epoch >= 0 ? epoch / 86_400 : (epoch - 86_399) / 86_400
        let secondOfDay = epoch - dayNumber * 86_400
        let civil = CivilCalendar.date(days: dayNumber)
        return write(civil.year, civil.month, civil.day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60,
                     fraction: fraction, into: output)
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
        return hour < 24 && minute < 60 && second < 60 && CivilCalendar.isValid(year: year, month: month, day: day)
    }

    /// Days since 1970-01-01 of a stored date (`YYYY-MM-DD`), or nil for anything else:
    /// what a binary bulk load (PostgreSQL `COPY … BINARY`) sends instead of the text.
    public static func epochDays(ofDate bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              CivilCalendar.isValid(year: year, month: month, day: day)
        else { return nil }
        return CivilCalendar.days(year: year, month: month, day: day)
    }

    /// Microseconds since 1970-01-01T00:00:00Z of a stored timestamp
    /// (`YYYY-MM-DDTHH:MM:SS[.f…]Z`, at most 6 fraction digits), or nil for any other
    /// form: the exact instant the text names, for a binary bulk load. Nil makes the
    /// caller send text instead, so no value is ever rounded differently.
    public static func epochMicroseconds(ofStoredTimestamp bytes: UnsafeRawBufferPointer) -> Int64? {
        let count = bytes.count
        guard count >= 20, count <= 27, count != 21, bytes[count - 1] == UInt8(ascii: "Z"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let days = epochDays(ofDate: UnsafeRawBufferPointer(rebasing: bytes[0..<10])),
              let hour = digits(bytes, 11, 2), let minute = digits(bytes, 14, 2), let second = digits(bytes, 17, 2),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var micros = 0
        if count > 20 {
            guard bytes[19] == UInt8(ascii: "."), let fraction = digits(bytes, 20, count - 21) else { return nil }
            micros = fraction
            for _ in 0..<(6 - (count - 21)) { micros *= 10 }
        }
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000 + Int64(micros)
    }

    /// The first and last instants whose UTC text has a four-digit year from 0001: an
    /// offset can move `0001-01-01T00:00:00+01:00` into year 0, which PostgreSQL rejects
    /// and ISO 8601 readers disagree on, so such a value is a bad record on every backend.
    private static let firstInstant = CivilCalendar.days(year: 1, month: 1, day: 1) * 86_400
    private static let lastInstant = CivilCalendar.days(year: 9999, month: 12, day: 31) * 86_400 + 86_399

    /// Writes `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (a fraction padded to 6 digits) and returns its length.
    private static func write(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int,
                              fraction: UnsafeRawBufferPointer?, into output: UnsafeMutablePointer<UInt8>) -> Int {
        func put(_ value: Int, _ width: Int, at position: Int) {
            var rest = value
            for place in stride(from: position + width - 1, through: position, by: -1) {
                output[place] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
            }
        }
        put(year, 4, at: 0)
        output[4] = UInt8(ascii: "-")
        put(month, 2, at: 5)
        output[7] = UInt8(ascii: "-")
        put(day, 2, at: 8)
        output[10] = UInt8(ascii: "T")
        put(hour, 2, at: 11)
        output[13] = UInt8(ascii: ":")
        put(minute, 2, at: 14)
        output[16] = UInt8(ascii: ":")
        put(second, 2, at: 17)
        guard let fraction else {
            output[19] = UInt8(ascii: "Z")
            return 20
        }
        output[19] = UInt8(ascii: ".")
        for place in 0..<6 { output[20 + place] = place < fraction.count ? fraction[place] : 0x30 }
        output[26] = UInt8(ascii: "Z")
        return 27
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
}

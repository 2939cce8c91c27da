import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// ISO-8601 UTC rendering without `DateFormatter`: locale-independent, allocation-light,
/// and identical for identical inputs (tracker comparisons rely on that).
public enum Timestamp {
    /// `2026-11-23T14:48:01.123456Z` (microseconds), or without the fraction when `fractionDigits` is 0.
    public static func iso8601(_ date: Date, fractionDigits: Int = 6) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        return iso8601(seconds: seconds, nanoseconds: micros * 1000, fractionDigits: fractionDigits)
    }

    /// Renders POSIX seconds and nanoseconds (as `stat` gives them) exactly.
    public static func iso8601(seconds: Int, nanoseconds: Int, fractionDigits: Int = 6) -> String {
        let digits = min(max(fractionDigits, 0), 9)
        // The calendar by arithmetic, not `gmtime_r`: glibc's takes a process-wide lock,
        // which the two threads that `stat` a landing folder fought over per file.
        let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (day, secondOfDay) = second < 0 ? (days - 1, second + 86_400) : (days, second)
        let (year, month, dayOfMonth) = CivilCalendar.date(days: day)
        guard (0...9999).contains(year), (0..<1_000_000_000).contains(nanoseconds) else {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            return padded(parts, year: Int(parts.tm_year) + 1900, nanoseconds: nanoseconds, digits: digits)
        }
        // Written byte by byte: discovery renders one per landing file on every run.
        let count = 20 + (digits > 0 ? digits + 1 : 0)
        return String(unsafeUninitializedCapacity: count) { buffer in
            func put(_ value: Int, _ width: Int, at start: Int) {
                var rest = value
                for index in stride(from: start + width - 1, through: start, by: -1) {
                    buffer[index] = UInt8(48 + rest % 10)
                    rest /= 10
                }
            }
            put(year, 4, at: 0); buffer[4] = 45
            put(month, 2, at: 5); buffer[7] = 45
            put(dayOfMonth, 2, at: 8); buffer[10] = 84
            put(secondOfDay / 3600, 2, at: 11); buffer[13] = 58
            put(secondOfDay / 60 % 60, 2, at: 14); buffer[16] = 58
            put(secondOfDay % 60, 2, at: 17)
            var end = 19
            if digits > 0 {
                var divisor = 1
                for _ in 0..<(9 - digits) { divisor *= 10 }
                buffer[19] = 46
                put(nanoseconds / divisor, digits, at: 20)
                end = 20 + digits
            }
            buffer[end] = 90
            return end + 1
        }
    }

    /// The general form, for years outside 0…9999 (a clock set far off) and odd inputs.
    private static func padded(_ parts: tm, year: Int, nanoseconds: Int, digits: Int) -> String {
        var text = pad(year, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-"
            + pad(Int(parts.tm_mday), 2) + "T" + pad(Int(parts.tm_hour), 2) + ":"
            + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        if digits > 0 {
            var divisor = 1
            for _ in 0..<(9 - digits) { divisor *= 10 }
            text += "." + pad(nanoseconds / divisor, digits)
        }
        return text + "Z"
    }

    /// `20261123T144801Z`: for ids and file names.
    public static func compact(_ date: Date) -> String {
        var time = time_t(Int(date.timeIntervalSince1970.rounded(.down)))
        var parts = tm()
        gmtime_r(&time, &parts)
        return pad(Int(parts.tm_year) + 1900, 4) + pad(Int(parts.tm_mon) + 1, 2) + pad(Int(parts.tm_mday), 2)
            + "T" + pad(Int(parts.tm_hour), 2) + pad(Int(parts.tm_min), 2) + pad(Int(parts.tm_sec), 2) + "Z"
    }

    /// Parses what `iso8601` writes (and the common `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` forms).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 19,
              let year = number(0, 4), bytes[4] == 45, let month = number(5, 2), bytes[7] == 45,
              let day = number(8, 2), bytes[10] == 84 || bytes[10] == 32,
              let hour = number(11, 2), bytes[13] == 58, let minute = number(14, 2), bytes[16] == 58,
              let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count {
            if bytes[index] == 90 { index += 1 } else if bytes[index] == 43 || bytes[index] == 45 {
                guard let oh = number(index + 1, 2), bytes.count > index + 3 else { return nil }
                let omStart = bytes[index + 3] == 58 ? index + 4 : index + 3
                guard let om = number(omStart, 2), oh < 24, om < 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (bytes[index] == 43 ? 1 : -1)
                index = omStart + 2
            } else { return nil }
        }
        guard index == bytes.count, (1...12).contains(month), (1...31).contains(day),
              hour < 24, minute < 60, second < 61 else { return nil }
        let epoch = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) - offset
        // Only instants `iso8601` can write back (years 0001-9999 in UTC): year 0, or an
        // offset moving 0001-01-01 before it, rendered as `00-1-12-31…` (found by fuzz-timestamp).
        guard epoch >= -62_135_596_800, epoch <= 253_402_300_799 else { return nil }
        return Date(timeIntervalSince1970: Double(epoch) + fraction)
    }

    /// Seconds since 1970 of a UTC calendar time (`timegm`, no local time zone involved).
    package static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Int(timegm(&parts))
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

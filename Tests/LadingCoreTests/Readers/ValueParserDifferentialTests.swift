import Foundation
import Testing
@testable import LadingSupport
@testable import LadingReaders

/// The byte-level timestamp, date and real parsers (issue 18) against the
/// implementations they replaced (`timegm`/`gmtime` formatting through `String`s, and
/// `strtod` on every real), kept here verbatim as the oracle, over a large random sample
/// of values shaped like real input and its near misses. Seeded: a failure prints the
/// seed and the input.
@Suite struct ValueParserDifferentialTests {
    static let seed: UInt64 = 18_2026

    @Test func timestampsAgreeWithThePreviousParser() {
        let random = SeededRandom(seed: Self.seed)
        var checked = 0, accepted = 0
        for _ in 0..<300_000 {
            let text = Self.randomTimestamp(random)
            let expected = Array(text.utf8).withUnsafeBytes { LegacyValueParser.timestamp($0) }
            let actual = Array(text.utf8).withUnsafeBytes { ValueParser.timestamp($0) }
            checked += 1
            if expected != nil { accepted += 1 }
            if actual != expected {
                Issue.record("seed \(Self.seed): '\(text)' gave \(actual ?? "nil"), the previous parser \(expected ?? "nil")")
                return
            }
            let date = Array(text.utf8).withUnsafeBytes { ValueParser.date($0) }
            let legacyDate = Array(text.utf8).withUnsafeBytes { LegacyValueParser.date($0) }
            if date != legacyDate {
                Issue.record("seed \(Self.seed): date '\(text)' gave \(date ?? "nil"), the previous parser \(legacyDate ?? "nil")")
                return
            }
        }
        // The sample must exercise both sides, or it proves nothing.
        #expect(accepted > checked / 5 && accepted < checked * 4 / 5, "accepted \(accepted) of \(checked)")
    }

    @Test func realsAgreeBitForBitWithStrtod() {
        let random = SeededRandom(seed: Self.seed)
        var accepted = 0
        let total = 300_000
        for _ in 0..<total {
            let text = Self.randomReal(random)
            let expected = Array(text.utf8).withUnsafeBytes { LegacyValueParser.real($0) }
            let actual = Array(text.utf8).withUnsafeBytes { ValueParser.real($0) }
            if expected != nil { accepted += 1 }
            if actual?.bitPattern != expected?.bitPattern {
                Issue.record("seed \(Self.seed): '\(text)' gave \(String(describing: actual)), strtod \(String(describing: expected))")
                return
            }
        }
        #expect(accepted > total / 2 && accepted < total, "accepted \(accepted) of \(total)")
    }

    @Test func calendarRoundTripsEveryDayOfYears1To9999() {
        var expected = CivilCalendar.days(year: 1, month: 1, day: 1)
        for year in 1...9999 {
            for month in 1...12 {
                for day in 1...CivilCalendar.daysIn(month: month, year: year) {
                    let days = CivilCalendar.days(year: year, month: month, day: day)
                    guard days == expected else {
                        Issue.record("\(year)-\(month)-\(day) is day \(days), expected \(expected)")
                        return
                    }
                    let back = CivilCalendar.date(days: days)
                    guard back == (year, month, day) else {
                        Issue.record("day \(days) is \(back), expected \(year)-\(month)-\(day)")
                        return
                    }
                    expected += 1
                }
            }
        }
        #expect(CivilCalendar.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilCalendar.days(year: 2000, month: 3, day: 1) == 11_017)
    }

    // MARK: - Samples

    static func pick(_ random: SeededRandom, _ n: Int) -> Int { Int(random.nextUInt64() % UInt64(n)) }

    static func number(_ random: SeededRandom, width: Int, below: Int) -> String {
        let value = pick(random, below)
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Mostly well-formed timestamps in every accepted shape, with boundary fields
    /// (month 13, day 31 of short months, Feb 29, second 60, years 0000/0001/9999) and
    /// offsets crossing days, months, years and the 0001–9999 range; some mangled.
    static func randomTimestamp(_ random: SeededRandom) -> String {
        let years = ["0000", "0001", "1969", "1970", "1999", "2000", "2024", "2100", "2400", "9999", number(random, width: 4, below: 10_000)]
        var text = years[pick(random, years.count)] + "-" + number(random, width: 2, below: 14) + "-" + number(random, width: 2, below: 33)
        if pick(random, 8) == 0 { return mangle(text, random) }
        text += ["T", " ", "t", "x"][pick(random, 4) == 3 && pick(random, 4) == 0 ? 3 : pick(random, 3)]
        text += number(random, width: 2, below: pick(random, 10) == 0 ? 30 : 24) + ":" + number(random, width: 2, below: pick(random, 10) == 0 ? 70 : 60)
        if pick(random, 6) != 0 {
            text += ":" + number(random, width: 2, below: pick(random, 8) == 0 ? 62 : 60)
            if pick(random, 3) == 0 {
                text += pick(random, 5) == 0 ? "," : "."
                for _ in 0..<pick(random, 10) { text += String(pick(random, 10)) }
            }
        }
        switch pick(random, 7) {
        case 0: break
        case 1: text += "Z"
        case 2: text += "z"
        case 3: text += (pick(random, 2) == 0 ? "+" : "-") + number(random, width: 2, below: 26)
        case 4: text += (pick(random, 2) == 0 ? "+" : "-") + number(random, width: 2, below: 26) + number(random, width: 2, below: 62)
        default: text += (pick(random, 2) == 0 ? "+" : "-") + number(random, width: 2, below: 26) + ":" + number(random, width: 2, below: 62)
        }
        return pick(random, 10) == 0 ? mangle(text, random) : text
    }

    /// Decimal numbers of every length and exponent (the fast path's edges at 15 and
    /// 19 significant digits and 10^±22, subnormals, overflow), plus near misses.
    static func randomReal(_ random: SeededRandom) -> String {
        var text = ["", "-", "+"][pick(random, 3)]
        let integerDigits = pick(random, 4) == 0 ? pick(random, 25) : pick(random, 8)
        for index in 0..<integerDigits { text += String(index == 0 && pick(random, 3) == 0 ? 0 : pick(random, 10)) }
        if pick(random, 2) == 0 {
            text += "."
            for _ in 0..<(pick(random, 4) == 0 ? pick(random, 25) : pick(random, 7)) { text += String(pick(random, 10)) }
        }
        if pick(random, 4) == 0 {
            text += ["e", "E"][pick(random, 2)] + ["", "-", "+"][pick(random, 3)]
            text += String(pick(random, 3) == 0 ? pick(random, 400) : pick(random, 30))
        }
        return pick(random, 12) == 0 ? mangle(text, random) : text
    }

    /// One random edit: a byte dropped, doubled or replaced by a nearby character.
    static func mangle(_ text: String, _ random: SeededRandom) -> String {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return "." }
        let at = pick(random, bytes.count)
        let alphabet = Array("0123456789-+:.,eETZ ".utf8)
        switch pick(random, 3) {
        case 0: bytes.remove(at: at)
        case 1: bytes.insert(bytes[at], at: at)
        default: bytes[at] = alphabet[pick(random, alphabet.count)]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The parsers as they were before issue 18, kept as the differential oracle.
enum LegacyValueParser {
    static func real(_ bytes: UnsafeRawBufferPointer) -> Double? {
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

    static func date(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
              isValidDate(year, month, day)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func timestamp(_ bytes: UnsafeRawBufferPointer) -> String? {
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

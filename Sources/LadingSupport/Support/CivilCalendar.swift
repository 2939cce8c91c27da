/// Proleptic Gregorian calendar arithmetic on plain integers (Howard Hinnant's
/// days-from-civil and its inverse, and a month-length table), so a timestamp
/// with an offset is normalised without `timegm`, `gmtime`, `tm` or a `String`: the
/// loader converts a million of them per file on its hot path, and discovery renders a
/// modified time per landing file. Inlinable: the readers call it per value from
/// another module.
public enum CivilCalendar {
    /// Days in each month of a non-leap year.
    @usableFromInline static let monthLengths: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

    @inlinable public static func isLeap(_ year: Int) -> Bool {
        (year & 3) == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Days in `month` (1–12) of `year`; 0 for a month outside 1–12.
    @inlinable public static func daysIn(month: Int, year: Int) -> Int {
        guard month >= 1 && month <= 12 else { return 0 }
        if month == 2 { return isLeap(year) ? 29 : 28 }
        return withUnsafeBytes(of: monthLengths) { Int($0[month - 1]) }
    }

    /// Whether year (from 1), month and day name a real calendar day.
    @inlinable public static func isValid(year: Int, month: Int, day: Int) -> Bool {
        year >= 1 && day >= 1 && day <= daysIn(month: month, year: year)
    }

    /// Days since 1970-01-01 of a calendar date (negative before it).
    @inlinable public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthFromMarch = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day count since 1970-01-01.
    @inlinable public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

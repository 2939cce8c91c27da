import LadingSupport
import LadingConfiguration

/// Chooses column types from a sample of values (SPEC §3, when `columns` is not given).
///
/// Each column keeps the set of types every non-null sampled value fits, and takes the
/// narrowest: integer, then real, boolean, date, timestamp, and text otherwise. To keep
/// identifiers intact, integers with a leading zero (`007`) or a `+` stay text, and so
/// do integers beyond 64 bits (never rounded into a real). Booleans are only inferred
/// from `true`/`false`; a column with no non-null value is text.
public struct TypeInference {
    struct Candidates: OptionSet {
        let rawValue: UInt8
        static let integer = Candidates(rawValue: 1)
        static let real = Candidates(rawValue: 2)
        static let boolean = Candidates(rawValue: 4)
        static let date = Candidates(rawValue: 8)
        static let timestamp = Candidates(rawValue: 16)
        static let all: Candidates = [.integer, .real, .boolean, .date, .timestamp]
    }

    private var candidates: [Candidates] = []
    private var sawValue: [Bool] = []
    public private(set) var sampled = 0

    public init() {}

    public mutating func observe(column: Int, _ bytes: UnsafeRawBufferPointer?) {
        while candidates.count <= column {
            candidates.append(.all)
            sawValue.append(false)
        }
        guard let bytes else { return }
        sawValue[column] = true
        var fits = candidates[column]
        if fits.isEmpty { return }
        if fits.contains(.integer) && !TypeInference.fitsInteger(bytes) { fits.remove(.integer) }
        if fits.contains(.real) && (ValueParser.real(bytes) == nil || TypeInference.hasLeadingZero(bytes)
            || (ValueParser.looksIntegral(bytes) && ValueParser.integer(bytes) == nil)) { fits.remove(.real) }
        if fits.contains(.boolean) && ValueParser.boolean(bytes, strict: true) == nil { fits.remove(.boolean) }
        if fits.contains(.date) && !ValueParser.isDate(bytes) { fits.remove(.date) }
        if fits.contains(.timestamp) && ValueParser.timestamp(bytes) == nil { fits.remove(.timestamp) }
        candidates[column] = fits
    }

    public mutating func finishRecord() { sampled += 1 }

    /// The type of a column's sampled values, or nil when the sample held no value for
    /// it (a column a file leaves empty says nothing about its type).
    public func observedType(of column: Int) -> ColumnType? {
        guard column < candidates.count, sawValue[column] else { return nil }
        return type(of: column)
    }

    public func type(of column: Int) -> ColumnType {
        guard column < candidates.count, sawValue[column] else { return .text }
        let fits = candidates[column]
        if fits.contains(.integer) { return .integer }
        if fits.contains(.real) { return .real }
        if fits.contains(.boolean) { return .boolean }
        if fits.contains(.date) { return .date }
        if fits.contains(.timestamp) { return .timestamp }
        return .text
    }

    static func fitsInteger(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty, bytes[0] != UInt8(ascii: "+"), !hasLeadingZero(bytes) else { return false }
        return ValueParser.integer(bytes) != nil
    }

    /// `007`, `-01`, `00.5`: digits that look like codes rather than quantities.
    static func hasLeadingZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        if !bytes.isEmpty && bytes[0] == UInt8(ascii: "-") { index = 1 }
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "0") else { return false }
        return bytes[index + 1] &- 0x30 < 10
    }
}

import Foundation
import FuzzSupport
import LadingReaders
@testable import LadingSupport

/// The timestamp and date parsers: `ValueParser.timestamp` / `date` /
/// `isCanonicalTimestamp` (data values) and `Timestamp.parse` (lock files, tracker
/// rows). The input is one value. Properties:
/// - a parsed timestamp is stored as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` in years 0001–9999
///   and parses again to itself (normalising is idempotent);
/// - `isCanonicalTimestamp` accepts only text `timestamp` would store unchanged;
/// - `Timestamp.parse` reads every stored value back to the same instant, and what it
///   accepts renders (`Timestamp.iso8601`) to text it accepts again at the same second.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let value = FuzzInput(data, size).bytes
    value.withUnsafeBytes { bytes in
        let text = String(decoding: value, as: UTF8.self)
        if ValueParser.isCanonicalTimestamp(bytes) {
            require(ValueParser.timestamp(bytes) == text, "canonical '\(text)' normalises to \(String(describing: ValueParser.timestamp(bytes)))")
        }
        if let date = ValueParser.date(bytes) {
            require(date == text, "date('\(text)') = '\(date)'")
        }
        guard let stored = ValueParser.timestamp(bytes) else { return }
        let storedBytes = Array(stored.utf8)
        let shapeOK = (storedBytes.count == 20 || storedBytes.count == 27) && storedBytes[4] == 0x2D && storedBytes[7] == 0x2D
            && storedBytes[10] == 0x54 && storedBytes[13] == 0x3A && storedBytes[16] == 0x3A && storedBytes.last == 0x5A
            && (storedBytes.count == 20 || storedBytes[19] == 0x2E)
        require(shapeOK, "timestamp('\(text)') stored as '\(stored)'")
        require(stored.prefix(4) != "0000", "timestamp('\(text)') stored in year 0: '\(stored)'")
        let again = storedBytes.withUnsafeBytes { ValueParser.timestamp($0) }
        require(again == stored, "normalising is not idempotent: '\(text)' → '\(stored)' → '\(String(describing: again))'")
        if storedBytes.count == 20 && !stored.hasPrefix("0") {
            require(storedBytes.withUnsafeBytes { ValueParser.isCanonicalTimestamp($0) }, "stored '\(stored)' is not canonical")
        }
        guard let instant = Timestamp.parse(stored) else {
            require(false, "Timestamp.parse cannot read the stored '\(stored)'")
            return
        }
        // The whole seconds render back exactly; the fraction within 0.1 ms (a `Date` is a
        // Double: near year 1 it resolves ~8 µs, so .999999 may round up a second when
        // rendered without digits; harmless for lading's present-day lock and run times).
        guard let whole = Timestamp.parse(String(stored.prefix(19)) + "Z") else {
            require(false, "the seconds of '\(stored)' do not parse")
            return
        }
        require(Timestamp.iso8601(whole, fractionDigits: 0) == String(stored.prefix(19)) + "Z", "'\(stored)' seconds render differently")
        let fraction = storedBytes.count == 27 ? Double("0" + stored.dropFirst(19).dropLast()) ?? -1 : 0
        require(abs(instant.timeIntervalSince1970 - whole.timeIntervalSince1970 - fraction) < 1e-4,
                "'\(stored)' parses to \(instant.timeIntervalSince1970), seconds \(whole.timeIntervalSince1970)")
    }
    // Timestamp.parse over anything: what it accepts renders to text it reads again.
    let text = String(decoding: value, as: UTF8.self)
    if let instant = Timestamp.parse(text), abs(instant.timeIntervalSince1970) < 200_000_000_000 {
        let rendered = Timestamp.iso8601(instant)
        guard let back = Timestamp.parse(rendered) else {
            require(false, "Timestamp.parse('\(text)') renders '\(rendered)', which it cannot read")
            return 0
        }
        require(abs(back.timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.001,
                "'\(text)' → '\(rendered)' → \(back.timeIntervalSince1970) vs \(instant.timeIntervalSince1970)")
    }
    return 0
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LadingTestSupport
import Testing
@testable import LadingSupport
@testable import LadingCore

/// The byte-level helpers a rerun runs once per landing file (issue 18), each against
/// the plain implementation it replaced, over seeded random inputs.
@Suite struct RerunHelpersTests {
    /// What `Timestamp.iso8601(seconds:nanoseconds:fractionDigits:)` rendered before it
    /// wrote bytes: `gmtime_r` and zero-padded fields.
    private func reference(seconds: Int, nanoseconds: Int, digits: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                          Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if digits > 0 {
            var divisor = 1
            for _ in 0..<(9 - min(digits, 9)) { divisor *= 10 }
            text += "." + String(format: "%0\(min(digits, 9))d", nanoseconds / divisor)
        }
        return text + "Z"
    }

    @Test func timestampsMatchTheFieldByFieldRendering() {
        let seed = TestSeed.value(default: 18_2026)
        var random = SplitMix64(seed: seed)
        // Years 0 to 9999, every fraction width, and the edges of each field.
        let edges = [0, 59, 86_399, 951_782_400, 4_107_542_399, 253_402_300_799, -62_167_219_200]
        for index in 0..<50_000 {
            let seconds = index < edges.count ? edges[index] : Int.random(in: -62_167_219_200...253_402_300_799, using: &random)
            let nanoseconds = index % 7 == 0 ? 999_999_999 : Int.random(in: 0..<1_000_000_000, using: &random)
            let digits = index % 11
            let rendered = Timestamp.iso8601(seconds: seconds, nanoseconds: nanoseconds, fractionDigits: digits)
            let expected = reference(seconds: seconds, nanoseconds: nanoseconds, digits: digits)
            #expect(rendered == expected, "seed \(seed): \(seconds) s \(nanoseconds) ns \(digits) digits")
            if rendered != expected { return }
        }
    }

    @Test func nameOrderIsByteOrder() {
        let seed = TestSeed.value(default: 4_18)
        var random = SplitMix64(seed: seed)
        // ASCII, accents in both normal forms, emoji, names short enough to be stored
        // inline and long ones.
        let pieces = ["a", "B", "_", "-", "0", "9", ".", "é", "e\u{301}", "ß", "😀", "Z", "part_", "2024-01-0", "\u{7F}", "ü"]
        for _ in 0..<20_000 {
            let left = (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let right = (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let expected = Array(left.utf8).lexicographicallyPrecedes(Array(right.utf8))
            #expect(Paths.precedesByBytes(left, right) == expected, "seed \(seed): \(left.debugDescription) vs \(right.debugDescription)")
            if Paths.precedesByBytes(left, right) != expected { return }
        }
    }

    /// Discovery's sort (two integers per name, the full bytes on a tie) against a plain
    /// sort by bytes, on names that often share their first 16 bytes.
    @Test func nameKeysSortAsBytesDo() {
        let seed = TestSeed.value(default: 5_000)
        var random = SplitMix64(seed: seed)
        let pieces = ["a", "é", "e\u{301}", "Z", "_", "0", "😀", "2024-01-01/", "landing_batch_", "part_0000", "\u{7F}", ".csv"]
        for round in 0..<200 {
            let names = (0..<Int.random(in: 0...300, using: &random)).map { _ in
                (0..<Int.random(in: 1...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            }
            let expected = names.indices.sorted { Array(names[$0].utf8).lexicographicallyPrecedes(Array(names[$1].utf8)) }
                .map { Array(names[$0].utf8) }
            let sorted = NameKey.order(names).map { Array(names[$0].utf8) }
            #expect(sorted == expected, "seed \(seed) round \(round): \(names)")
            if sorted != expected { return }
        }
    }
}

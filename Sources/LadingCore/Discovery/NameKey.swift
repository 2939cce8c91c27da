import LadingSupport

/// Name order (SPEC §4: by UTF-8 bytes) for thousands of names at once. Each name's
/// first 16 bytes become two big-endian integers, so almost every comparison of a sort
/// is two integer comparisons; names that share those 16 bytes are compared in full.
/// (A NUL byte, the only one that could tie with the zero padding, is never in a name.)
struct NameKey: Comparable {
    let high: UInt64
    let low: UInt64
    let index: Int

    init(_ name: String, index: Int) {
        var high: UInt64 = 0, low: UInt64 = 0
        var position = 0
        for byte in name.utf8.prefix(16) {
            if position < 8 {
                high |= UInt64(byte) << (56 - 8 * position)
            } else {
                low |= UInt64(byte) << (56 - 8 * (position - 8))
            }
            position += 1
        }
        (self.high, self.low, self.index) = (high, low, index)
    }

    static func < (left: NameKey, right: NameKey) -> Bool {
        left.high != right.high ? left.high < right.high : left.low < right.low
    }

    /// The indices of `names` in byte order (stable).
    static func order(_ names: [String]) -> [Int] {
        let keys = names.indices.map { NameKey(names[$0], index: $0) }
        return keys.sorted { left, right in
            if left.high != right.high { return left.high < right.high }
            if left.low != right.low { return left.low < right.low }
            return Paths.precedesByBytes(names[left.index], names[right.index])
        }.map(\.index)
    }
}

import Foundation

/// The seed of a random test: `LADING_TEST_SEED` when set (to replay a failure), else
/// the test's own fixed default. Every random test prints it in its failure messages.
public enum TestSeed {
    public static func value(default fallback: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["LADING_TEST_SEED"].flatMap { UInt64($0) } ?? fallback
    }
}

/// SplitMix64: a small, fast, reproducible `RandomNumberGenerator` for tests.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

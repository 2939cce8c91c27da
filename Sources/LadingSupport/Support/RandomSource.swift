import Foundation

/// Randomness behind run and batch ids (and later backoff jitter), injectable so tests
/// are deterministic.
public protocol RandomSource: Sendable {
    func nextUInt64() -> UInt64
}

public struct SystemRandom: RandomSource {
    public init() {}
    public func nextUInt64() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }
}

/// A seeded generator (SplitMix64) for tests.
public final class SeededRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public func nextUInt64() -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

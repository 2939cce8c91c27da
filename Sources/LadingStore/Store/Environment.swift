import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders

/// Every side effect lading depends on, passed in rather than reached for, so tests
/// control time, process identity, randomness and environment variables.
public struct Environment: Sendable {
    public var clock: any WallClock
    public var process: any ProcessIdentity
    public var random: any RandomSource
    public var variables: [String: String]
    public var sleeper: any Sleeper
    /// The databases: which warehouse and tracker a config names, and how to open them.
    public var stores: any StoreBackend

    public init(
        clock: any WallClock,
        process: any ProcessIdentity,
        random: any RandomSource,
        variables: [String: String],
        sleeper: any Sleeper = SystemSleeper(),
        stores: any StoreBackend
    ) {
        self.clock = clock
        self.process = process
        self.random = random
        self.variables = variables
        self.sleeper = sleeper
        self.stores = stores
    }

    /// A fresh identifier such as `20261123T144801Z-3f9a12c4`, sortable by time.
    public func makeID(prefix: String = "") -> String {
        let stamp = Timestamp.compact(clock.now())
        let suffix = String(random.nextUInt64() & 0xFFFF_FFFF, radix: 16)
        let padded = String(repeating: "0", count: max(0, 8 - suffix.count)) + suffix
        return prefix + stamp + "-" + padded
    }
}

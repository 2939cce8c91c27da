import Foundation
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// A process table tests describe by hand.
struct FakeProcessIdentity: ProcessIdentity {
    var processID: Int32 = 4242
    var hostname: String = "test-host"
    var alive: Set<Int32> = [4242]
    func isAlive(_ pid: Int32) -> Bool { alive.contains(pid) }
}

extension Environment {
    static func test(clock: ManualClock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000)),
                     process: FakeProcessIdentity = FakeProcessIdentity()) -> Environment {
        Environment(clock: clock, process: process, random: SeededRandom(seed: 7), variables: [:], stores: SQLiteBackend())
    }
}

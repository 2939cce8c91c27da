import Foundation
import LadingSQLite
import LadingStore
import LadingSupport

extension Environment {
    /// The real machine, and the backend each config names.
    static var live: Environment {
        Environment(
            clock: SystemClock(),
            process: SystemProcessIdentity(),
            random: SystemRandom(),
            variables: ProcessInfo.processInfo.environment,
            stores: SQLiteBackend()
        )
    }
}

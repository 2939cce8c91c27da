import Foundation
import LadingStore
import LadingSupport

extension Environment {
    /// The real machine, and the backend each config names.
    static var live: Environment {
        let variables = ProcessInfo.processInfo.environment
        let sleeper = SystemSleeper()
        return Environment(
            clock: SystemClock(),
            process: SystemProcessIdentity(),
            random: SystemRandom(),
            variables: variables,
            sleeper: sleeper,
            stores: LiveStores(variables: variables, sleeper: sleeper)
        )
    }
}

import Foundation
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The retry matrix of SPEC §7, read from the error class, never from message text.
public struct RetryPolicy: Sendable {
    public var retryAttempts: Int

    public init(retryAttempts: Int) { self.retryAttempts = retryAttempts }

    /// Whether a FAILED file is attempted again by a later run.
    ///
    /// `retry_count` counts failed attempts. Zero means an operator reset it
    /// (`reset-state --failed-only`): retried whatever the class. Otherwise transient
    /// and unknown errors retry while `retry_count < retry_attempts`, system errors at
    /// most twice, configuration and data errors never (they need a human).
    public func mayRetry(kind: ErrorKind?, retryCount: Int) -> Bool {
        if retryCount == 0 { return true }
        switch kind ?? .unknown {
        case .transient, .unknown: return retryCount < retryAttempts
        case .system: return retryCount < min(retryAttempts, 3)
        case .configuration, .data: return false
        }
    }

    public func mayRetry(_ record: FileRecord) -> Bool {
        mayRetry(kind: record.errorType.flatMap(ErrorKind.init(rawValue:)), retryCount: record.retryCount)
    }

    /// The wait before in-run attempt `attempt + 1` of a transient failure: exponential
    /// backoff with full jitter (a uniform draw from zero to `min(cap, base × 2^attempt)`),
    /// so runs that failed together do not retry together.
    public static func backoff(attempt: Int, base: Double, cap: Double, random: any RandomSource) -> Double {
        let ceiling = min(cap, base * pow(2, Double(min(attempt, 62))))
        let unit = Double(random.nextUInt64() >> 11) / Double(1 << 53)
        return ceiling * unit
    }
}

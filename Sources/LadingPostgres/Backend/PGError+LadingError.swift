import Foundation
import LadingSupport

/// SPEC §9 and §7: a refused password, a missing database or role, or a DSN that does
/// not parse is a configuration error (78); an unreachable server or a dropped
/// connection is transient (retried, then exit 1); a full disk on the server stops the
/// run (74). Never 70: the server's trouble is not lading's bug.
extension PGError: LadingError {
    /// One line (SPEC §8 logs): libpq's multi-line hints and SQL excerpts are joined.
    package var message: String {
        description.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    package var exitStatus: ExitStatus {
        if isIOFailure { return .ioError }
        return kind == .configuration ? .configuration : .completedWithFailures
    }

    package var kind: ErrorKind {
        switch category {
        case .transient: return .transient
        case .configuration: return .configuration
        case .data: return .data
        case .system: return .system
        case .unknown: return .unknown
        }
    }

    /// A connection that failed to open, for a reason that may pass (not a refused
    /// password or a missing database: those are configuration errors).
    package var isUnreachable: Bool {
        if case .connectionFailed(_, let kind, _) = self { return kind == .transient }
        return false
    }

    /// 53100 disk full, 58030 I/O error, 25006 a read-only database (or a standby):
    /// every later write would meet them too (74, as a full or read-only disk on SQLite).
    package var isIOFailure: Bool {
        guard let state = sqlState else { return false }
        return state == "53100" || state == "58030" || state == "25006"
    }
}

import ArgumentParser
import Foundation
import LadingCore
import LadingSupport
import LadingConfiguration
import LadingStore

/// Turns lading's typed errors into SPEC §2 exit codes. swift-argument-parser exits 1
/// for any other error, so every command body runs through here.
enum ExitMapping {
    static func run(_ body: () throws -> ExitStatus) throws {
        let status: ExitStatus
        do {
            status = try body()
        } catch let error as LadingError {
            Output.error(error.message)
            // Whatever failed after a SIGINT/SIGTERM (a statement the signal canceled),
            // the run was interrupted: 130/143 as SPEC §2 says.
            if let signal = SignalMonitor.pending { throw ExitCode(128 + signal) }
            throw ExitCode(error.exitStatus.rawValue)
        } catch let error as ExitCode {
            throw error
        } catch {
            Output.error("internal error: \(error)")
            throw ExitCode(ExitStatus.internalError.rawValue)
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// stdout for results, stderr for messages.
enum Output {
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data(("lading: " + text + "\n").utf8))
    }

    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Asks on a terminal; without one, refuses (exit 64) unless `--yes` was given, so
    /// a script never changes state by accident. True means go ahead.
    static func confirm(_ prompt: String, yes: Bool, refusal: String) throws -> Bool {
        if yes { return true }
        guard isTerminal else { throw UsageError(refusal + ": no terminal to ask on; pass --yes") }
        FileHandle.standardOutput.write(Data((prompt + " [y/N] ").utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return answer == "y" || answer == "yes"
    }
}

import ArgumentParser
import Foundation
import LadingCore

/// Turns lading's typed errors into SPEC §2 exit codes. swift-argument-parser exits 1
/// for any other error, so every command body runs through here.
enum ExitMapping {
    static func run(_ body: () throws -> ExitStatus) throws {
        let status: ExitStatus
        do {
            status = try body()
        } catch let error as LadingError {
            Output.error(error.message)
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
}

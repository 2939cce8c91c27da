import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `lading` binary the way an operator or cron would.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the process was killed by a signal (a fault point or kill -9).
    var killed: Bool
}

enum CLI {
    /// The `lading` binary next to the test bundle (the test target depends on it).
    static let binary: String = {
        if let override = ProcessInfo.processInfo.environment["LADING_BIN"] { return override }
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("lading").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("lading").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/lading").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    static func start(_ arguments: [String], in directory: String, environment extra: [String: String] = [:],
                      executable: String = binary) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "LADING_CONFIG")
        environment.removeValue(forKey: "LADING_FAULT")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    static func finish(_ process: Process, _ out: Pipe, _ err: Pipe) -> CLIResult {
        // Both pipes are drained at once (stderr on its own thread) before waiting: a
        // child that fills one pipe while we read the other to its end would block forever.
        let stderrBox = DataBox()
        let drained = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        Thread.detachNewThread {
            stderrBox.set(errHandle.readDataToEndOfFile())
            drained.signal()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        let stderr = stderrBox.get()
        process.waitUntilExit()
        return CLIResult(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self),
            killed: process.terminationReason == .uncaughtSignal
        )
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:],
                    executable: String = binary) throws -> CLIResult {
        let (process, out, err) = try start(arguments, in: directory, environment: environment, executable: executable)
        return finish(process, out, err)
    }
}

/// Bytes handed from a reader thread to the test thread.
private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

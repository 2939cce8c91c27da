import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program to completion with `posix_spawn`, its output in files.
///
/// Not `Foundation.Process`: on Linux it learns that a child ended when a socket it
/// hands the child reaches end-of-file, and `pg_ctl start` passes that socket on to the
/// server it leaves running, so `waitUntilExit()` never returns (seen: the test run hung
/// with `runuser` a zombie). Here the child gets only stdin (/dev/null), stdout and
/// stderr (files: a pipe kept open by the server would block a read the same way), and
/// every other descriptor of this process is closed in it, so the server holds nothing
/// of ours; the exit status comes from `waitpid`.
enum ChildProcess {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// `arguments[0]` is the program's absolute path. Runs in `directory` (through
    /// `/bin/sh`, as `posix_spawn` has no portable chdir), with `PG*` variables removed
    /// so the tests' explicit settings are the only ones.
    static func run(_ arguments: [String], directory: String) throws -> Output {
        let scratch = FileManager.default.temporaryDirectory.path + "/lading-pg-out-" + UUID().uuidString
        let outPath = scratch + ".out", errPath = scratch + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + arguments
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }.map { "\($0.key)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Every number up to a margin past the highest open one: descriptors other
        // threads open meanwhile take the lowest free numbers, so they are covered too.
        // Closing a number that is not open is harmless in the child.
        for descriptor in 3...(highestOpenDescriptor() + 64) {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &pipeSignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard spawned == 0 else {
            throw PostgresServerError("cannot run \(arguments.joined(separator: " ")): posix_spawn error \(spawned)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw PostgresServerError("waitpid for \(arguments[0]) failed: errno \(errno)") }
        }
        // WIFEXITED / WEXITSTATUS by hand: Swift does not import the macros.
        let exitStatus: Int32 = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Output(status: exitStatus, stdout: readText(outPath) ?? "", stderr: readText(errPath) ?? "")
    }

    /// A file's text, bytes that are not UTF-8 replaced (a server log may hold any).
    static func readText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func highestOpenDescriptor() -> Int32 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))
            ?? (try? FileManager.default.contentsOfDirectory(atPath: "/dev/fd")) ?? []
        return max(names.compactMap { Int32($0) }.max() ?? 255, 3)
    }
}

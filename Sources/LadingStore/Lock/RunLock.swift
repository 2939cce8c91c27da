import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders

/// The run lock (SPEC §4, I5): a JSON file that at most one run holds.
///
/// Atomicity comes from `flock` on the lock file, not from check-then-write: every
/// contender opens the same inode and only one gets the exclusive `flock`; the kernel
/// drops it even on `kill -9`, so a dead holder never blocks the file lock itself.
/// The JSON inside is what humans and other hosts read, and its pid and `timeout_at`
/// decide staleness when no `flock` protects it (a crash, or a file written by hand).
public final class RunLock {
    public let path: String
    public let info: LockInfo
    /// The previous holder when this run took over a stale lock.
    public let replaced: LockInfo?
    /// The bytes this run wrote: at release, a lock file that still holds exactly them
    /// is ours without decoding its JSON.
    private let written: Data
    private var descriptor: Int32
    private let logger: Logger

    public static let lockName = "lading-run"

    private init(path: String, info: LockInfo, replaced: LockInfo?, written: Data, descriptor: Int32, logger: Logger) {
        self.path = path
        self.info = info
        self.replaced = replaced
        self.written = written
        self.descriptor = descriptor
        self.logger = logger
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Takes the lock or throws `LockError.heldByLiveRun` at once (never waits).
    public static func acquire(
        path: String,
        runID: String,
        timeoutMinutes: Double,
        environment: Environment,
        logger: Logger
    ) throws -> RunLock {
        try createDirectory(Paths.directory(of: path))
        for _ in 0..<100 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw LockError.io(path: path, operation: "open", errno: errno) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                let content = readAll(fd)
                close(fd)
                guard code == EWOULDBLOCK || code == EAGAIN || code == EINTR else {
                    throw LockError.io(path: path, operation: "lock", errno: code)
                }
                if let holder = content.flatMap(LockInfo.decode) { throw LockError.heldByLiveRun(holder, path: path) }
                throw LockError.unreadableAndRecent(path: path, detail: "another process is writing it")
            }
            // The holder before us may have released (unlinked) the file between our
            // open and our flock: then we hold a lock on a file nobody else will see.
            var opened = stat(), named = stat()
            guard fstat(fd, &opened) == 0, stat(path, &named) == 0,
                  opened.st_ino == named.st_ino, opened.st_dev == named.st_dev
            else {
                close(fd)
                continue
            }
            do {
                let now = environment.clock.now()
                let replaced = try checkPrevious(fd: fd, stat: opened, path: path, now: now, timeoutMinutes: timeoutMinutes, environment: environment)
                let info = LockInfo(
                    pid: environment.process.processID,
                    hostname: environment.process.hostname,
                    acquiredAt: Timestamp.iso8601(now),
                    timeoutAt: Timestamp.iso8601(now.addingTimeInterval(timeoutMinutes * 60)),
                    lockName: lockName,
                    runID: runID
                )
                let written = try write(info, to: fd, path: path)
                if let replaced {
                    logger.warning("took over a stale lock", metadata: [
                        "old_pid": "\(replaced.pid)", "old_host": "\(replaced.hostname)",
                        "old_since": "\(replaced.acquiredAt)", "old_run_id": "\(replaced.runID)",
                    ])
                }
                return RunLock(path: path, info: info, replaced: replaced, written: written, descriptor: fd, logger: logger)
            } catch {
                close(fd)
                throw error
            }
        }
        throw LockError.unreadableAndRecent(path: path, detail: "it kept being replaced while we tried to take it")
    }

    /// Under our `flock`: decides whether what the file holds may be replaced.
    private static func checkPrevious(fd: Int32, stat: stat, path: String, now: Date, timeoutMinutes: Double, environment: Environment) throws -> LockInfo? {
        guard let content = readAll(fd), !content.isEmpty else { return nil }
        guard let previous = LockInfo.decode(content) else {
            let modified = Date(timeIntervalSince1970: Double(stat.st_mtim.tv_sec))
            if now.timeIntervalSince(modified) >= timeoutMinutes * 60 {
                return LockInfo(pid: 0, hostname: "unknown", acquiredAt: Timestamp.iso8601(modified), timeoutAt: "", lockName: "unreadable", runID: "unreadable lock file")
            }
            throw LockError.unreadableAndRecent(path: path, detail: "its content is not lock JSON")
        }
        if previous.staleReason(now: now, process: environment.process) == nil {
            throw LockError.heldByLiveRun(previous, path: path)
        }
        return previous
    }

    private static func write(_ info: LockInfo, to fd: Int32, path: String) throws -> Data {
        guard ftruncate(fd, 0) == 0 else { throw LockError.io(path: path, operation: "truncate", errno: errno) }
        FaultPoint.lockTruncated.hit()
        let data = info.encoded() + Data("\n".utf8)
        let written = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == data.count else { throw LockError.io(path: path, operation: "write", errno: errno) }
        guard fsync(fd) == 0 else { throw LockError.io(path: path, operation: "sync", errno: errno) }
        FaultPoint.afterLockWritten.hit()
        return data
    }

    /// Removes the lock file only if it is still ours (a force-unlock and a successor
    /// may have replaced it), then drops the `flock`.
    public func release() {
        guard descriptor >= 0 else { return }
        FaultPoint.beforeLockRelease.hit()
        // Read by name: after a force-unlock the path may hold a successor's file.
        if let data = Self.contents(of: path), data == written || LockInfo.decode(data)?.runID == info.runID {
            unlink(path)
        } else {
            logger.warning("the lock file no longer names this run; left it in place", metadata: ["lock_file": "\(path)"])
        }
        close(descriptor)
        descriptor = -1
    }

    /// Reads the lock file without taking it.
    public static func inspect(path: String, now: Date, process: any ProcessIdentity) -> LockState {
        guard let data = FileManager.default.contents(atPath: path) else {
            return FileManager.default.fileExists(atPath: path) ? .unreadable(detail: "cannot read it", modifiedAt: nil) : .absent
        }
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
        if data.isEmpty { return .unreadable(detail: "it is empty", modifiedAt: modified) }
        guard let info = LockInfo.decode(data) else {
            return .unreadable(detail: "its content is not lock JSON", modifiedAt: modified)
        }
        return .held(info, staleReason: info.staleReason(now: now, process: process))
    }

    /// Deletes the lock file whatever it holds (`force-unlock`). Returns false when there was none.
    @discardableResult
    public static func remove(path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw LockError.io(path: path, operation: "remove", errno: errno)
    }

    private static func contents(of path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readAll(fd)
    }

    private static func readAll(_ fd: Int32) -> Data? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 { return nil }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
            offset += off_t(count)
            if data.count > 1 << 20 { return data }
        }
    }

    static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LockError.io(path: path, operation: "create the folder of", errno: errno == 0 ? EACCES : errno)
        }
    }
}

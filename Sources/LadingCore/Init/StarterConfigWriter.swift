import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Writes a starter config without ever replacing a file: the file is created with
/// `O_CREAT | O_EXCL`, so even a config that appears between the generator's check
/// and this write is left alone. A write that fails midway removes the new file, so
/// no half config is left to be mistaken for a real one.
public enum StarterConfigWriter {
    /// Anything at `path`, a dangling link included, counts as existing.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public static func write(_ config: StarterConfig) throws {
        let path = config.outputPath
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw InitError.outputExists(path: path) }
            throw StateIOError(path: path, detail: String(cString: strerror(code)))
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        var failure: String?
        do {
            try handle.write(contentsOf: Data(config.text.utf8))
            try handle.synchronize()
        } catch {
            failure = "\(error.localizedDescription)"
        }
        if close(descriptor) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(path)
            throw StateIOError(path: path, detail: failure)
        }
    }
}

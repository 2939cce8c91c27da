import Foundation

/// Writes a file so readers see the old content or the new, never half of it
/// (temporary file in the same folder, then rename).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            // A full disk or a read-only folder: leave nothing half-written behind.
            unlink(temporary)
            throw StateIOError(path: path, detail: "\(error.localizedDescription)")
        }
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw StateIOError(path: path, detail: String(cString: strerror(code)))
        }
    }
}

import Foundation

/// Writes a file so readers see the old content or the new, never half of it
/// (temporary file in the same folder, then rename).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        try data.write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)])
        }
    }
}

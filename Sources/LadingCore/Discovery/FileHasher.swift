import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Streaming SHA-256 of a file with constant memory, reading large chunks with
/// `read(2)` into one reused buffer, through `SHA256Hasher` (the system's libcrypto).
public enum FileHasher {
    public static let chunkSize = 1 << 20

    public static func sha256(path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DiscoveryError.unreadable(path: path, errno: errno) }
        defer { close(fd) }
        let hasher = try SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw DiscoveryError.unreadable(path: path, errno: errno)
            }
            if count == 0 { break }
            try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return try hasher.finalize()
    }
}

#if canImport(Glibc)
import Glibc
#endif
import LadingSupport
import LadingConfiguration

/// Reads a file with `read(2)`: no buffering of its own, the parser's buffer is the one.
public final class FileByteSource: ByteSource {
    public let path: String
    private var fd: Int32
    public private(set) var bytesConsumed: Int64 = 0
    public private(set) var contentSHA256: String?
    private let hasher: SHA256Hasher

    public init(path: String) throws {
        self.path = path
        hasher = try SHA256Hasher()
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReaderError.cannotOpen(path: path, errno: errno) }
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { if fd >= 0 { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                bytesConsumed += Int64(count)
                try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                return count
            }
            if count == 0 {
                if contentSHA256 == nil { contentSHA256 = try hasher.finalize() }
                return 0
            }
            if errno == EINTR { continue }
            throw ReaderError.readFailed(path: path, errno: errno)
        }
    }
}

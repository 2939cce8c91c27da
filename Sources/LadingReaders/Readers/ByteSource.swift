import LadingSupport
import LadingConfiguration

/// A stream of bytes: a plain file, or a decoder (gzip) over one. Parsers sit on any
/// of them, so compression is invisible to CSV and JSON Lines.
public protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes; returns 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes consumed from the underlying file so far (compressed bytes for gzip), for progress.
    var bytesConsumed: Int64 { get }
    /// SHA-256 (hex) of every byte read from the underlying file, once its end was read;
    /// nil before. The ledger records what the load read, not what discovery saw.
    var contentSHA256: String? { get }
}

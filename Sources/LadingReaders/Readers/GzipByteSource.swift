import CZlib
import LadingSupport
import LadingConfiguration

/// Decompresses gzip as a stream through zlib, with constant memory.
///
/// Concatenated members (`cat a.gz b.gz`) are read as one stream. A stream that ends
/// before zlib reports its end is truncated: an error, never a partial success.
public final class GzipByteSource: ByteSource {
    private let input: ByteSource
    private let path: String
    private var stream = z_stream()
    private let inputBuffer: UnsafeMutableRawBufferPointer
    private var inputExhausted = false
    private var memberEnded = false
    /// Bytes of the gzip signature (1f 8b) checked so far: the first read may return a
    /// single byte (a pipe, a slow mount), so the check spans reads (found by fuzz-gzip).
    private var signatureChecked = 0
    private var finished = false

    public var bytesConsumed: Int64 { input.bytesConsumed }
    public var contentSHA256: String? { input.contentSHA256 }

    public init(input: ByteSource, path: String, bufferSize: Int = 1 << 18) throws {
        self.input = input
        self.path = path
        inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
        // 15 + 16: gzip wrapper only, so a file that is not gzip is refused at once.
        let code = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else {
            inputBuffer.deallocate()
            throw ReaderError.corruptGzip(path: path, detail: "zlib could not start (\(code))")
        }
    }

    deinit {
        inflateEnd(&stream)
        inputBuffer.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let output = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = output.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputExhausted {
                let count = try input.read(into: inputBuffer)
                if count == 0 {
                    inputExhausted = true
                } else {
                    if signatureChecked < 2 {
                        // Decide "not gzip at all" from the signature, not from zlib's message text.
                        let bytes = UnsafeRawBufferPointer(rebasing: inputBuffer[0..<count])
                        for byte in bytes.prefix(2 - signatureChecked) {
                            guard byte == (signatureChecked == 0 ? 0x1F : 0x8B) else { throw notGzip }
                            signatureChecked += 1
                        }
                    }
                    stream.next_in = inputBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(count)
                }
            }
            if stream.avail_in == 0 && inputExhausted {
                // One byte in all cannot be gzip (as before reads could split the signature).
                if signatureChecked == 1 { throw notGzip }
                // The stream may only end where a member ended (an empty file has none).
                guard memberEnded else { throw ReaderError.truncatedGzip(path: path) }
                finished = true
                break
            }
            if memberEnded {
                // Another member follows the one that ended: start it afresh.
                inflateReset(&stream)
                memberEnded = false
            }
            let code = inflate(&stream, Z_NO_FLUSH)
            switch code {
            case Z_OK:
                continue
            case Z_STREAM_END:
                memberEnded = true
            case Z_BUF_ERROR:
                // No progress possible with the current input; loop to read more (or detect truncation).
                if stream.avail_in == 0 { continue }
                throw ReaderError.corruptGzip(path: path, detail: "zlib made no progress")
            case Z_DATA_ERROR:
                throw ReaderError.corruptGzip(path: path, detail: stream.msg.map { String(cString: $0) } ?? "invalid compressed data")
            default:
                throw ReaderError.corruptGzip(path: path, detail: "zlib error \(code)")
            }
        }
        return buffer.count - Int(stream.avail_out)
    }

    private var notGzip: ReaderError {
        .notGzip(path: path, detail: "it does not start with the gzip signature 1f 8b")
    }
}

import CCrypto
import CCryptoLoader

/// Incremental SHA-256 over the system's OpenSSL `libcrypto` (EVP), so discovery and
/// the readers hash with the same code and a fresh clone compiles no crypto library.
///
/// One instance owns one `EVP_MD_CTX`, freed in `deinit`. Feed it with `update(_:)`,
/// then call `finalize()` once for the lowercase hex digest. Not `Sendable`: one
/// thread at a time, like `Statement`.
public final class SHA256Hasher {
    /// Fetched once (OpenSSL 3 "explicit fetching"): the implicit fetch behind
    /// `EVP_sha256()` costs a provider lookup on every init, which 5,000 small files feel.
    /// An `EVP_MD` is immutable and may be shared between threads.
    private nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

    private let context: OpaquePointer
    private var finished = false

    public init() throws {
        // libcrypto is loaded by the first hasher, not at start-up (CCryptoLoader).
        if let failure = lading_crypto_load() { throw LibraryUnavailableError(String(cString: failure)) }
        guard let context = EVP_MD_CTX_new() else {
            throw InternalError("libcrypto could not allocate a digest context: \(SHA256Hasher.lastError())")
        }
        self.context = context
        guard EVP_DigestInit_ex(context, SHA256Hasher.algorithm, nil) == 1 else {
            // deinit frees the context.
            throw InternalError("libcrypto could not start SHA-256: \(SHA256Hasher.lastError())")
        }
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds `bytes` to the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "SHA256Hasher.update after finalize")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
            throw InternalError("libcrypto's SHA-256 update failed: \(SHA256Hasher.lastError())")
        }
    }

    /// Adds the bytes of `data` (tests, small inputs).
    public func update<Bytes: Sequence>(_ data: Bytes) throws where Bytes.Element == UInt8 {
        let array = Array(data)
        try array.withUnsafeBytes { try update($0) }
    }

    /// Ends the digest and returns it as 64 lowercase hex digits. Call once.
    public func finalize() throws -> String {
        precondition(!finished, "SHA256Hasher.finalize called twice")
        finished = true
        var digest = [UInt8](repeating: 0, count: 64)  // EVP_MAX_MD_SIZE
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 32 else {
            throw InternalError("libcrypto's SHA-256 finalize failed: \(SHA256Hasher.lastError())")
        }
        return SHA256Hasher.hex(digest.prefix(Int(length)))
    }

    static func hex<Digest: Sequence>(_ digest: Digest) -> String where Digest.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// OpenSSL's queued error, if any, for the message.
    private static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "no OpenSSL error queued" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// The incremental hasher the readers use agrees with `FileHasher`, however the bytes
/// are cut into chunks.
@Suite struct SHA256HasherTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    @Test func abcInOneUpdate() throws {
        let hasher = try SHA256Hasher()
        try hasher.update(Array("abc".utf8))
        #expect(try hasher.finalize() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func noUpdatesIsTheEmptyDigest() throws {
        #expect(try SHA256Hasher().finalize() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test(arguments: [1, 63, 64, 65, 4096, 65_537, 1 << 20])
    func chunkedInputMatchesFileHasher(chunk: Int) throws {
        let bytes = [UInt8](FileHasherTests.pseudoRandomBytes(count: 2_500_003))
        let path = folder.url("input.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let hasher = try SHA256Hasher()
        try bytes.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(start + chunk, all.count)
                try hasher.update(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        #expect(try hasher.finalize() == FileHasher.sha256(path: path))
    }

    /// The ledger records what the load read: `FileByteSource` hashes as it reads.
    @Test func fileByteSourceDigestMatchesFileHasher() throws {
        let path = folder.url("input.bin")
        try FileHasherTests.pseudoRandomBytes(count: 1_000_033).write(to: URL(fileURLWithPath: path))
        let source = try FileByteSource(path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 7_001, alignment: 16)
        defer { buffer.deallocate() }
        #expect(source.contentSHA256 == nil)
        while try source.read(into: buffer) > 0 {}
        #expect(source.contentSHA256 == (try FileHasher.sha256(path: path)))
        #expect(try source.read(into: buffer) == 0)
        #expect(source.bytesConsumed == 1_000_033)
    }

    @Test func manyHashersAtOnceOnSeveralThreads() async throws {
        let path = folder.url("input.bin")
        try FileHasherTests.pseudoRandomBytes(count: 300_000).write(to: URL(fileURLWithPath: path))
        let expected = try FileHasher.sha256(path: path)
        let digests = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try FileHasher.sha256(path: path) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(digests == Array(repeating: expected, count: 8))
    }
}

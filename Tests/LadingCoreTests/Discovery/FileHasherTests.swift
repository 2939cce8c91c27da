import Foundation
import LadingTestSupport
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// SHA-256 of whole files: published digests, and a file larger than one read chunk
/// against coreutils' `sha256sum`.
@Suite struct FileHasherTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownDigests(content: String, digest: String) throws {
        let path = try folder.write("input", content)
        #expect(try FileHasher.sha256(path: path) == digest)
    }

    @Test func threeMegabytesMatchSHA256Sum() throws {
        let path = folder.url("big.bin")
        try Self.pseudoRandomBytes(count: 3_000_001).write(to: URL(fileURLWithPath: path))
        let expected = try Self.sha256sum(path)
        #expect(expected.count == 64)
        #expect(try FileHasher.sha256(path: path) == expected)
    }

    @Test func aMissingFileIsUnreadable() {
        #expect(throws: DiscoveryError.self) { try FileHasher.sha256(path: folder.url("missing")) }
    }

    /// Deterministic bytes that are not a repeating pattern of the chunk size.
    static func pseudoRandomBytes(count: Int) -> Data {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return Data(bytes)
    }

    /// The first field of `sha256sum FILE`.
    static func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}

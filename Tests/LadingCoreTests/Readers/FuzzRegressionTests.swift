import Foundation
import LadingTestSupport
import Testing
@testable import LadingSupport
@testable import LadingReaders

/// Inputs the fuzz targets (Fuzz/, issue 19) found, read again through the real code.
/// Each input sits in Tests/fuzz-regressions/; each test failed before its fix.
@Suite struct FuzzRegressionTests {
    static let folder = FixturePaths.root + "/Tests/fuzz-regressions/"

    /// A byte source that hands out one byte per read, as a pipe or a slow mount may.
    final class OneByteSource: ByteSource {
        private let bytes: [UInt8]
        private var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var bytesConsumed: Int64 { Int64(offset) }
        var contentSHA256: String? { nil }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard offset < bytes.count, buffer.count > 0 else { return 0 }
            buffer[0] = bytes[offset]
            offset += 1
            return 1
        }
    }

    /// fuzz-gzip: valid gzip whose first read returned one byte was refused as "not gzip
    /// data": the signature check wanted both bytes from the first read.
    @Test func gzipSignatureSplitAcrossReadsIsAccepted() throws {
        let compressed = try #require(FileManager.default.contents(atPath: Self.folder + "gzip-one-byte-reads.csv.gz"))
        let expected = try #require(FileManager.default.contents(atPath: FixturePaths.fixture("landing/products/products_2026-11-01.csv")))
        let source = try GzipByteSource(input: OneByteSource(Array(compressed)), path: "one-byte.csv.gz", bufferSize: 4096)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 7)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            out += buffer[0..<count]
        }
        #expect(out == Array(expected))
        // One byte read one at a time is still refused as not gzip, as before.
        #expect(throws: ReaderError.self) {
            var scratch = [UInt8](repeating: 0, count: 7)
            _ = try scratch.withUnsafeMutableBytes { try GzipByteSource(input: OneByteSource([0x1F]), path: "x.gz").read(into: $0) }
        }
    }

    /// fuzz-timestamp: `Timestamp.parse` accepted year 0000 and offsets of 24 hours or
    /// more, giving instants before year 1 that `Timestamp.iso8601` wrote as `00-1-12-31…`,
    /// text nothing reads again. What it accepts must render to text it reads back.
    @Test func timestampParseAcceptsOnlyInstantsItCanWriteBack() throws {
        let text = try #require(FileManager.default.contents(atPath: Self.folder + "timestamp-outside-years-1-9999.txt"))
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
            guard let instant = Timestamp.parse(String(line)) else { continue }
            let rendered = Timestamp.iso8601(instant)
            let back = try #require(Timestamp.parse(rendered), "'\(line)' renders '\(rendered)', which does not parse")
            #expect(abs(back.timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.001)
        }
        #expect(Timestamp.parse("0001-01-01T00:00:00Z") != nil)
        #expect(Timestamp.parse("9999-12-31T23:59:59Z") != nil)
    }

    /// fuzz-values: an integer column refused zero-padded integers longer than 20
    /// characters (`000…0`), which fit Int64: a length guard stood in for the overflow
    /// checks. Every line must parse exactly as Swift's `Int64(_:)` does.
    @Test func zeroPaddedIntegersConvert() throws {
        let text = try #require(FileManager.default.contents(atPath: Self.folder + "integer-zero-padded.txt"))
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
            let parsed = Array(line.utf8).withUnsafeBytes { ValueParser.integer($0) }
            #expect(parsed == Int64(line), "\(line)")
        }
    }
}

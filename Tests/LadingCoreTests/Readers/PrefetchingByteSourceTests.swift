import Foundation
import Testing
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

/// A source that hands out a pattern in odd-sized pieces, then fails or ends.
private final class PatternSource: ByteSource, @unchecked Sendable {
    let total: Int
    let failAtEnd: Bool
    private let lock = NSLock()
    private var produced = 0
    private var calls = 0

    init(total: Int, failAtEnd: Bool) {
        self.total = total
        self.failAtEnd = failAtEnd
    }

    var readCalls: Int { lock.lock(); defer { lock.unlock() }; return calls }
    var bytesConsumed: Int64 { lock.lock(); defer { lock.unlock() }; return Int64(produced) }
    var contentSHA256: String? { nil }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        lock.lock(); defer { lock.unlock() }
        calls += 1
        if produced == total {
            if failAtEnd { throw ReaderError.truncatedGzip(path: "pattern") }
            return 0
        }
        let count = min(buffer.count, 7_777, total - produced)
        for index in 0..<count { buffer[index] = UInt8((produced + index) % 251) }
        produced += count
        return count
    }
}

@Suite struct PrefetchingByteSourceTests {
    func drain(_ source: ByteSource, piece: Int) throws -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: piece)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { return all }
            all += buffer[0..<count]
        }
    }

    @Test func deliversEveryByteInOrderThenTheEnd() throws {
        let upstream = PatternSource(total: 3_000_017, failAtEnd: false)
        let source = PrefetchingByteSource(upstream: upstream, chunkSize: 65_536, depth: 3)
        let bytes = try drain(source, piece: 10_001)
        #expect(bytes.count == 3_000_017)
        #expect(bytes.enumerated().allSatisfy { $0.element == UInt8($0.offset % 251) })
        #expect(source.bytesConsumed == 3_000_017)
    }

    @Test func anErrorArrivesAfterTheBytesBeforeIt() throws {
        let source = PrefetchingByteSource(upstream: PatternSource(total: 200_000, failAtEnd: true), chunkSize: 65_536, depth: 2)
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        #expect(throws: ReaderError.self) {
            while true {
                received += try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            }
        }
        #expect(received == 200_000)
    }

    /// A reader that stops early releases the source; the thread stops reading ahead.
    @Test func anAbandonedSourceStopsReadingAhead() throws {
        let upstream = PatternSource(total: Int.max, failAtEnd: false)
        var source: PrefetchingByteSource? = PrefetchingByteSource(upstream: upstream, chunkSize: 65_536, depth: 2)
        var buffer = [UInt8](repeating: 0, count: 100)
        _ = try buffer.withUnsafeMutableBytes { try source?.read(into: $0) }
        source = nil
        Thread.sleep(forTimeInterval: 0.2)
        let settled = upstream.readCalls
        Thread.sleep(forTimeInterval: 0.2)
        #expect(upstream.readCalls == settled, "the thread kept reading after the reader let go")
        #expect(settled < 100, "at most a few chunks were read ahead: \(settled) calls")
    }
}

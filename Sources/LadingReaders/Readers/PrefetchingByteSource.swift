import Foundation
import LadingSupport
import LadingConfiguration

/// Reads ahead on a second thread: while the parser works on one chunk, the next ones
/// are already being decompressed. For gzip this takes inflate off the parser's path
/// (two cores here; one decodes while the other parses and inserts).
///
/// At most `depth` chunks wait in memory. An error from the source reaches the reader
/// after the bytes that came before it, exactly where it happened. A reader that stops
/// early (a type sample, a failed file) releases this object, which stops the thread
/// after its current chunk; the thread never keeps the reader alive.
final class PrefetchingByteSource: ByteSource {
    /// What the two threads share, guarded by `condition`.
    private final class Pipe: @unchecked Sendable {
        let condition = NSCondition()
        var ready: [[UInt8]] = []
        var finished = false
        var failure: Error?
        var cancelled = false
        var consumed: Int64 = 0
        var digest: String?
    }

    private let pipe = Pipe()
    private var current: [UInt8] = []
    private var offset = 0

    init(upstream: ByteSource, chunkSize: Int = 1 << 20, depth: Int = 4) {
        let pipe = self.pipe
        let box = UncheckedBox(upstream)
        let thread = Thread {
            PrefetchingByteSource.produce(from: box.value, into: pipe, chunkSize: chunkSize, depth: depth)
        }
        thread.name = "lading-prefetch"
        thread.start()
    }

    deinit {
        pipe.condition.lock()
        pipe.cancelled = true
        pipe.condition.broadcast()
        pipe.condition.unlock()
    }

    var bytesConsumed: Int64 {
        pipe.condition.lock(); defer { pipe.condition.unlock() }
        return pipe.consumed
    }

    var contentSHA256: String? {
        pipe.condition.lock(); defer { pipe.condition.unlock() }
        return pipe.digest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset == current.count {
            pipe.condition.lock()
            while pipe.ready.isEmpty && !pipe.finished { pipe.condition.wait() }
            if pipe.ready.isEmpty {
                let failure = pipe.failure
                pipe.condition.unlock()
                if let failure { throw failure }
                return 0
            }
            current = pipe.ready.removeFirst()
            offset = 0
            pipe.condition.broadcast()
            pipe.condition.unlock()
        }
        let count = min(buffer.count, current.count - offset)
        current.withUnsafeBytes { bytes in
            if let destination = buffer.baseAddress, let source = bytes.baseAddress {
                destination.copyMemory(from: source + offset, byteCount: count)
            }
        }
        offset += count
        return count
    }

    private static func produce(from upstream: ByteSource, into pipe: Pipe, chunkSize: Int, depth: Int) {
        while true {
            var chunk = [UInt8](repeating: 0, count: chunkSize)
            // Fill the chunk (a decoder returns less than asked); keep what came before an error.
            var count = 0
            var failure: Error?
            chunk.withUnsafeMutableBytes { buffer in
                while count < buffer.count {
                    do {
                        let read = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                        if read == 0 { break }
                        count += read
                    } catch {
                        failure = error
                        break
                    }
                }
            }
            pipe.condition.lock()
            while pipe.ready.count >= depth && !pipe.cancelled { pipe.condition.wait() }
            if pipe.cancelled {
                pipe.condition.unlock()
                return
            }
            if count > 0 {
                chunk.removeLast(chunkSize - count)
                pipe.ready.append(chunk)
                pipe.consumed = upstream.bytesConsumed
            }
            if let failure {
                pipe.failure = failure
                pipe.finished = true
            } else if count < chunkSize {
                pipe.finished = true
                pipe.digest = upstream.contentSHA256
            }
            let done = pipe.finished
            pipe.condition.broadcast()
            pipe.condition.unlock()
            if done { return }
        }
    }
}

/// Hands a non-Sendable value to the one thread that will use it from then on.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

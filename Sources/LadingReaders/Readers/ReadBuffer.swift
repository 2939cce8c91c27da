#if canImport(Glibc)
import Glibc
#endif
import LadingConfiguration

/// The byte window both text readers parse from.
///
/// A record is always parsed from one contiguous stretch: when a chunk ends inside a
/// record, `refill` moves the unparsed tail to the front and reads more after it, and
/// grows the window only for records larger than it, never beyond `maxRecordBytes`
/// plus one chunk.
///
/// A class, not a struct: a struct stored in the reader and changed in place by calls
/// that read the source made every access to it pay Swift's dynamic exclusivity check,
/// 30% of CSV parsing (measured with perf). Hot loops copy `bytes`, `end` and `eof`
/// into locals.
final class ReadBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// The first unparsed byte.
    var start = 0
    /// One past the last byte read.
    private(set) var end = 0
    /// The source has no more bytes.
    private(set) var eof = false
    let maxRecordBytes: Int
    let chunkSize: Int

    init(maxRecordBytes: Int, chunkSize: Int) {
        self.maxRecordBytes = maxRecordBytes
        self.chunkSize = chunkSize
        capacity = max(chunkSize, 4096)
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    func free() { base.deallocate() }

    var bytes: UnsafeMutablePointer<UInt8> { base.assumingMemoryBound(to: UInt8.self) }

    /// True when the record starting at `start` has reached `maxRecordBytes` unfinished.
    var recordTooLarge: Bool { end - start >= maxRecordBytes }

    /// Up to `BadRecord.rawLimit` bytes of `[from, to)`, for the quarantine.
    func raw(from: Int, to: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: base + from, count: max(0, min(to - from, BadRecord.rawLimit))))
    }

    /// Moves the unparsed tail to the front (or grows the window) and reads more.
    func refill(from source: ByteSource) throws {
        if start > 0 {
            let remaining = end - start
            if remaining > 0 { memmove(base, base + start, remaining) }
            end = remaining
            start = 0
        }
        if end == capacity {
            let grown = min(capacity * 2, maxRecordBytes + chunkSize)
            // At the cap the caller must have treated the record as too large.
            guard grown > capacity else { return }
            let larger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
            larger.copyMemory(from: base, byteCount: end)
            base.deallocate()
            base = larger
            capacity = grown
        }
        let count = try source.read(into: UnsafeMutableRawBufferPointer(start: base + end, count: capacity - end))
        if count == 0 { eof = true } else { end += count }
    }

    /// Skips a UTF-8 byte-order mark at the start of the stream. Call once, first.
    func skipByteOrderMark(from source: ByteSource) throws {
        while end - start < 3 && !eof { try refill(from: source) }
        let bytes = self.bytes
        if end - start >= 3, bytes[start] == 0xEF, bytes[start + 1] == 0xBB, bytes[start + 2] == 0xBF { start += 3 }
    }

    /// Discards bytes up to and including the next line feed without growing the
    /// window (after an oversized record). Returns false when the stream ended first.
    func discardThroughLineFeed(from source: ByteSource) throws -> Bool {
        while true {
            if start < end, let found = memchr(base + start, 0x0A, end - start) {
                start = base.distance(to: found) + 1
                return true
            }
            if eof { start = end; return false }
            start = 0
            end = 0
            let count = try source.read(into: UnsafeMutableRawBufferPointer(start: base, count: capacity))
            if count == 0 { eof = true } else { end = count }
        }
    }
}

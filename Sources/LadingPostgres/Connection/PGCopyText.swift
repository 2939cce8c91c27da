/// Rows in `COPY … FROM STDIN` text format, built in one growable byte buffer: fields
/// separated by tab, rows ended by newline, NULL as `\N`.
///
/// This is the bulk-load hot path, so a field costs one capacity check and a scan that
/// copies clean runs with `memcpy`: no allocation per field or row. Escaping covers
/// what text format requires: backslash, tab, newline and carriage return become `\\`,
/// `\t`, `\n`, `\r`, so a literal `\N` or `\.` in data can never read as NULL or as the
/// end of data. Bytes go through as they are: the caller hands over UTF-8 (readers
/// validate it); a NUL byte is the server's to refuse (PostgreSQL text cannot hold it).
package struct PGCopyText: PGCopyRows {
    private var storage: [UInt8]
    /// Bytes written so far.
    package private(set) var count = 0
    /// Rows ended with `endRow()` since the last `removeAll()`.
    package private(set) var rowCount = 0
    private var rowHasField = false

    /// `capacity` is a first guess; the buffer doubles when a field needs more. Send and
    /// `removeAll()` at about `PGCopyIn.flushThreshold` bytes, which this default fits.
    package init(capacity: Int = PGCopyIn.flushThreshold + 16 * 1024) {
        storage = [UInt8](repeating: 0, count: max(capacity, 64))
    }

    package var isEmpty: Bool { count == 0 }

    /// The text written so far (tests, small payloads; `withUnsafeBytes` avoids the copy).
    package var bytes: [UInt8] { Array(storage[0..<count]) }

    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Forgets the rows, keeping the buffer for the next batch.
    package mutating func removeAll() {
        count = 0
        rowCount = 0
        rowHasField = false
    }

    /// One value, escaped.
    package mutating func appendField(_ bytes: UnsafeRawBufferPointer) {
        // Worst case: every byte escaped, plus the separator.
        reserve(bytes.count * 2 + 1)
        let separate = rowHasField
        let start = count
        count = storage.withUnsafeMutableBytes { output -> Int in
            var at = start
            if separate {
                output[at] = Self.tab
                at += 1
            }
            guard let source = bytes.baseAddress, let target = output.baseAddress else { return at }
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                // One comparison for the common case: every special byte is ≤ CR or a backslash.
                guard byte <= Self.carriageReturn || byte == Self.backslash else { continue }
                let letter: UInt8
                switch byte {
                case Self.backslash: letter = Self.backslash
                case Self.tab: letter = UInt8(ascii: "t")
                case Self.newline: letter = UInt8(ascii: "n")
                case Self.carriageReturn: letter = UInt8(ascii: "r")
                default: continue
                }
                let run = index - runStart
                if run > 0 { (target + at).copyMemory(from: source + runStart, byteCount: run) }
                at += run
                output[at] = Self.backslash
                output[at + 1] = letter
                at += 2
                runStart = index + 1
            }
            let run = bytes.count - runStart
            if run > 0 { (target + at).copyMemory(from: source + runStart, byteCount: run) }
            return at + run
        }
        rowHasField = true
    }

    /// One value given as a string (its UTF-8 bytes, escaped).
    package mutating func appendField(_ string: String) {
        var string = string
        string.withUTF8 { appendField(UnsafeRawBufferPointer($0)) }
    }

    /// A NULL (`\N`), distinct from the empty string (an empty field).
    package mutating func appendNull() {
        reserve(3)
        if rowHasField { append(Self.tab) }
        append(Self.backslash)
        append(UInt8(ascii: "N"))
        rowHasField = true
    }

    /// Ends the current row.
    package mutating func endRow() {
        reserve(1)
        append(Self.newline)
        rowHasField = false
        rowCount += 1
    }

    // MARK: - Private

    private static let tab: UInt8 = 0x09
    private static let newline: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D
    private static let backslash: UInt8 = 0x5C

    /// Makes room for `extra` more bytes, doubling so growth is amortised.
    private mutating func reserve(_ extra: Int) {
        let needed = count + extra
        guard needed > storage.count else { return }
        storage.append(contentsOf: repeatElement(0, count: max(needed, storage.count * 2) - storage.count))
    }

    /// Writes one byte; the caller reserved room.
    private mutating func append(_ byte: UInt8) {
        storage[count] = byte
        count += 1
    }
}

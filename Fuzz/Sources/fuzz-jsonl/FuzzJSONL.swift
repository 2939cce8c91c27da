import FuzzSupport
import LadingReaders

/// JSON Lines reader. The first bytes choose max record bytes, chunk size and how many
/// bytes each read returns; the rest is the file. Properties, beyond "no crash" and the
/// address sanitizer (a deep `[[[[…` line must be a bad record, not a stack overflow):
/// - I2 at reader level: records and bad records numbered 1, 2, 3, … without gaps, at
///   most one per physical line, lines never go back;
/// - memory: the reader's window stays within max_record_bytes plus one chunk;
/// - columns: names are unique ignoring case, a good record has one field per column;
/// - chunking: a few bytes per read gives the same events as the whole file (when no
///   line reached max_record_bytes);
/// - every value reads back unchanged when written as a JSON string, and a nested value
///   (kept as compact JSON text) reads back unchanged when written as JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let maxRecordBytes = [1024, 1500, 4096, 9000][input.int(below: 4)]
    let chunkSize = [1, 64, 4096, 1 << 16][input.int(below: 4)]
    let step = 1 + input.int(below: 40)
    let file = input.rest

    let whole = read(file, maxRecordBytes: maxRecordBytes, chunkSize: chunkSize, step: Int.max)
    let pieces = read(file, maxRecordBytes: maxRecordBytes, chunkSize: chunkSize, step: step)
    let reachedLimit = [whole.events, pieces.events].contains { events in
        events.contains { if case .bad(_, _, "record_too_large") = $0 { return true } else { return false } }
    }
    if !reachedLimit {
        require(whole.columns == pieces.columns, "columns differ between whole and \(step)-byte reads")
        require(whole.events == pieces.events, "events differ between whole and \(step)-byte reads")
    }
    // Every value of a good record, written back as a JSON string, reads back to itself
    // (escapes, surrogate pairs, control characters); one that looks nested and reads
    // as a nested value reads back unchanged (compact text is a fixed point).
    for event in whole.events {
        guard case .record(_, _, let fields) = event else { continue }
        for field in fields {
            guard let field else { continue }
            let asString = Array("{\"k\":".utf8) + jsonString(field) + [UInt8(ascii: "}")]
            let again = read(asString, maxRecordBytes: 1 << 20, chunkSize: 1 << 16, step: Int.max)
            require(again.events == [.record(line: 1, number: 1, fields: [field])],
                    "value does not read back as a string: \(String(decoding: field.prefix(200), as: UTF8.self)) → \(again.events)")
            guard let first = field.first, first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else { continue }
            let nested = Array("{\"k\":".utf8) + field + [UInt8(ascii: "}")]
            let reread = read(nested, maxRecordBytes: 1 << 20, chunkSize: 1 << 16, step: Int.max)
            if case .record = reread.events.first {
                require(reread.events == [.record(line: 1, number: 1, fields: [field])],
                        "nested value changes when read again: \(String(decoding: field.prefix(200), as: UTF8.self)) → \(reread.events)")
            }
        }
    }
    return 0
}

private struct Reading {
    var columns: [String]
    var events: [Event]
}

private func read(_ file: [UInt8], maxRecordBytes: Int, chunkSize: Int, step: Int) -> Reading {
    let source = MemoryByteSource(file, step: step)
    let reader: JSONLReader
    do {
        reader = try JSONLReader(source: source, maxRecordBytes: maxRecordBytes, chunkSize: chunkSize)
    } catch {
        require(false, "opening a reader over memory threw \(error)")
        return Reading(columns: [], events: [])
    }
    let events = drain(reader)
    require(!events.contains { if case .failed = $0 { return true } else { return false } }, "next() threw on in-memory bytes: \(events)")
    let lines = physicalLines(file) + 1
    require(events.count <= lines, "\(events.count) events from \(lines) lines")
    let window = max(chunkSize, 4096, maxRecordBytes + chunkSize)
    require(source.largestRequest <= window, "asked for \(source.largestRequest) bytes, bound \(window)")
    require(Set(reader.columnNames.map { $0.lowercased() }).count == reader.columnNames.count, "duplicate column names \(reader.columnNames)")
    return Reading(columns: reader.columnNames, events: events)
}

/// `bytes` (valid UTF-8) as a JSON string literal: quote, backslash and control
/// characters escaped, everything else as is.
private func jsonString(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x22]
    let hex = Array("0123456789abcdef".utf8)
    for byte in bytes {
        switch byte {
        case 0x22, 0x5C: out += [0x5C, byte]
        case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
        default: out.append(byte)
        }
    }
    out.append(0x22)
    return out
}

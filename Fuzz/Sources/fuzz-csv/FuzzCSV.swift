import FuzzSupport
import LadingReaders

/// CSV/TSV reader. The first bytes choose the options (delimiter, quote, header, null
/// values, max record bytes, chunk size, how many bytes each read returns); the rest is
/// the file. Properties, beyond "no crash" and the address sanitizer:
/// - I2 at reader level: records and bad records are numbered 1, 2, 3, … without gaps,
///   lines never go back, there are no more of them than physical lines;
/// - memory: the reader never asks for a window larger than max_record_bytes plus one
///   chunk, whatever the input;
/// - chunking: reading the file a few bytes at a time gives the same events as reading
///   it whole (when no record reached max_record_bytes, where the cut-off may differ);
/// - round trip: for printable input without bad records, writing the records as
///   Python's `csv.writer` does (QUOTE_MINIMAL, `\r\n`, see `CanonicalCSV`) and reading
///   that again gives the same records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let palette: [UInt8] = [0x2C, 0x09, 0x3B, 0x7C, 0x20, 0x00, 0x22, 0x27, 0x61]
    func pick() -> UInt8 {
        let choice = input.byte()
        if choice < 200 { return palette[Int(choice) % palette.count] }
        let ascii = choice & 0x7F
        return ascii == 0x0A || ascii == 0x0D ? 0x2C : ascii
    }
    let delimiter = pick()
    var quote = pick()
    if quote == delimiter { quote = delimiter == 0x22 ? 0x27 : 0x22 }
    let header = input.bool()
    let nullChoices: [[String]] = [[""], [], ["NULL"], ["", "NA", "\\N"], ["null", "-"]]
    let nullValues = nullChoices[input.int(below: nullChoices.count)]
    let maxRecordBytes = [1024, 1500, 4096, 5000, 9000][input.int(below: 5)]
    let chunkSize = [1, 64, 4096, 1 << 16][input.int(below: 4)]
    let step = 1 + input.int(below: 40)
    let file = input.rest

    let options = CSVReader.Options(delimiter: delimiter, quote: quote, header: header, nullValues: nullValues,
                                    maxRecordBytes: maxRecordBytes, chunkSize: chunkSize)
    let whole = read(file, options: options, step: Int.max)
    let pieces = read(file, options: options, step: step)
    // A record (or header) reaching max_record_bytes is cut off where the window happens
    // to end, which depends on the reads: only then may the two readings differ.
    let reachedLimit = [whole, pieces].contains { result in
        result.events.contains {
            switch $0 {
            case .bad(_, _, "record_too_large"): return true
            case .failed(let reason): return reason.contains("max_record_bytes")
            default: return false
            }
        }
    }
    if !reachedLimit {
        require(whole.columns == pieces.columns, "columns differ between whole and \(step)-byte reads")
        require(whole.events == pieces.events, "events differ between whole and \(step)-byte reads: \(whole.events.count) vs \(pieces.events.count)")
    }

    // Round trip through the canonical writer, for printable input.
    let printable = file.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    let printableOptions = (delimiter >= 0x20 && delimiter < 0x7F || delimiter == 0x09) && quote >= 0x20 && quote < 0x7F
    if printable && printableOptions {
        let plain = CSVReader.Options(delimiter: delimiter, quote: quote, header: false, nullValues: [],
                                      maxRecordBytes: 1 << 20, chunkSize: 1 << 16)
        let first = read(file, options: plain, step: Int.max)
        let rows: [[[UInt8]]] = first.events.compactMap { if case .record(_, _, let fields) = $0 { return fields.map { $0 ?? [] } } else { return nil } }
        if rows.count == first.events.count {
            let written = CanonicalCSV.write(rows, delimiter: delimiter, quote: quote)
            let again = read(written, options: plain, step: step)
            let reread: [[[UInt8]]] = again.events.compactMap { if case .record(_, _, let fields) = $0 { return fields.map { $0 ?? [] } } else { return nil } }
            require(again.events.count == rows.count && reread == rows,
                    "round trip changed the records: \(rows.count) rows in, \(again.events.count) events out; written: \(String(decoding: written.prefix(200), as: UTF8.self))")
        }
    }
    return 0
}

private struct Reading {
    var columns: [String]
    var events: [Event]
}

private func read(_ file: [UInt8], options: CSVReader.Options, step: Int) -> Reading {
    let source = MemoryByteSource(file, step: step)
    let reader: CSVReader
    do {
        reader = try CSVReader(source: source, path: "fuzz.csv", options: options)
    } catch let error as ReaderError {
        if case .badHeader = error { return Reading(columns: [], events: [.failed(error.message)]) }
        require(false, "unexpected reader error \(error)")
        return Reading(columns: [], events: [])
    } catch {
        require(false, "unexpected error \(error)")
        return Reading(columns: [], events: [])
    }
    let events = drain(reader)
    require(!events.contains { if case .failed = $0 { return true } else { return false } }, "next() threw on in-memory bytes: \(events)")
    let lines = physicalLines(file)
    require(events.count <= lines, "\(events.count) events from \(lines) lines")
    let window = max(options.chunkSize, 4096, options.maxRecordBytes + options.chunkSize)
    require(source.largestRequest <= window, "asked for \(source.largestRequest) bytes, bound \(window)")
    if options.header {
        require(Set(reader.columnNames.map { $0.lowercased() }).count == reader.columnNames.count, "duplicate column names \(reader.columnNames)")
    }
    return Reading(columns: reader.columnNames, events: events)
}

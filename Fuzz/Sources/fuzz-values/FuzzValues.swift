import FuzzSupport
import LadingConfiguration
import LadingReaders
@testable import LadingStore
@testable import LadingCore

/// Value conversion for every column type (`ValueConverter`, over `ValueParser`), and
/// type inference. The input is a column of values separated by 0xFF (a byte valid
/// UTF-8 never holds). Properties:
/// - each value converts to each type or gives a reason, appending exactly one cell of
///   that type's kind on success and none on failure;
/// - integer agrees with Swift's `Int64(_:)` on ASCII text; real with `Double(_:)` on
///   decimal text (no hex, inf or nan) and is finite; boolean is the documented word
///   list, any case; date is `YYYY-MM-DD` of a real calendar day, stored as written;
/// - inference is sound: every value of the column converts under the type inferred
///   from them, so an inferred table never quarantines the sample it was inferred from.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzValues(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzInput(data, size)
    let values = input.bytes.split(separator: 0xFF, omittingEmptySubsequences: false).map { Array($0) }
    var inference = TypeInference()
    // One batch for the whole session: a fresh one costs a 1 MiB arena per input.
    batch.reset()
    for value in values {
        value.withUnsafeBytes { bytes in
            inference.observe(column: 0, bytes)
            inference.finishRecord()
            for type in ColumnType.allCases {
                let before = batch.cells.count
                let problem = ValueConverter.append(bytes, as: type, column: "c", into: &batch)
                if let problem {
                    require(batch.cells.count == before, "a failed \(type) conversion appended a cell")
                    require(problem.contains("'c'") && problem.contains(type.rawValue), "reason does not name column and type: \(problem)")
                    continue
                }
                require(batch.cells.count == before + 1, "a \(type) conversion appended \(batch.cells.count - before) cells")
                let kind = batch.cells[before].kind
                switch type {
                case .integer, .boolean: require(kind == .integer, "\(type) stored as \(kind)")
                case .real: require(kind == .real, "real stored as \(kind)")
                case .text, .date, .timestamp: require(kind == .text, "\(type) stored as \(kind)")
                }
            }
            checkOracles(value, bytes)
        }
    }
    let inferred = inference.type(of: 0)
    for value in values {
        value.withUnsafeBytes { bytes in
            let problem = ValueConverter.append(bytes, as: inferred, column: "c", into: &batch)
            require(problem == nil, "inferred \(inferred) from the sample, but a sampled value does not convert: \(problem ?? "")")
        }
    }
    return 0
}

nonisolated(unsafe) private var batch = RecordBatch()

private func checkOracles(_ value: [UInt8], _ bytes: UnsafeRawBufferPointer) {
    let isASCII = value.allSatisfy { $0 < 0x80 }
    let text = String(decoding: value, as: UTF8.self)
    if isASCII {
        let expected = Int64(text)
        require(ValueParser.integer(bytes) == expected, "integer('\(text)') = \(String(describing: ValueParser.integer(bytes))), Int64 says \(String(describing: expected))")
    }
    let real = ValueParser.real(bytes)
    if let real { require(real.isFinite, "real('\(text)') is not finite") }
    let decimal = !value.isEmpty && value.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 == 0x45 || $0 == 0x65 }
    if decimal && value.count < 400 {
        let expected = Double(text).flatMap { $0.isFinite ? $0 : nil }
        require(real == expected, "real('\(text)') = \(String(describing: real)), Double says \(String(describing: expected))")
    } else {
        require(real == nil, "real('\(text)') accepted non-decimal text")
    }
    let lowered = String(decoding: value.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    let words: [String: Int64] = ["true": 1, "false": 0, "t": 1, "f": 0, "yes": 1, "no": 0, "y": 1, "n": 0, "1": 1, "0": 0]
    let strictWords: [String: Int64] = ["true": 1, "false": 0]
    let lowerValid = value.allSatisfy { $0 < 0x80 }
    require(ValueParser.boolean(bytes) == (lowerValid ? words[lowered] : nil), "boolean('\(text)') = \(String(describing: ValueParser.boolean(bytes)))")
    require(ValueParser.boolean(bytes, strict: true) == (lowerValid ? strictWords[lowered] : nil), "strict boolean('\(text)')")
    if let date = ValueParser.date(bytes) {
        require(date == text && value.count == 10, "date('\(text)') = \(date)")
        require(ValueParser.timestamp(bytes) == text + "T00:00:00Z", "a date is not midnight as a timestamp: \(text)")
    }
}

/// Python's `csv.writer(f, delimiter=d, quotechar=q)` with its defaults (QUOTE_MINIMAL,
/// doublequote, lineterminator `\r\n`): a field is quoted when it holds the delimiter,
/// the quote, CR or LF, or when it is the only field of its row and empty (so the row
/// is not a blank line); quotes inside are doubled. `Fuzz/tools/make_seeds.py` checks
/// this rule against Python's own writer.
enum CanonicalCSV {
    static func write(_ rows: [[[UInt8]]], delimiter: UInt8, quote: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for row in rows {
            for (index, field) in row.enumerated() {
                if index > 0 { out.append(delimiter) }
                let needsQuotes = field.contains { $0 == delimiter || $0 == quote || $0 == 0x0D || $0 == 0x0A }
                    || (row.count == 1 && field.isEmpty)
                if needsQuotes {
                    out.append(quote)
                    for byte in field {
                        out.append(byte)
                        if byte == quote { out.append(quote) }
                    }
                    out.append(quote)
                } else {
                    out.append(contentsOf: field)
                }
            }
            out.append(contentsOf: [0x0D, 0x0A])
        }
        return out
    }
}

import LadingSupport
import LadingConfiguration

/// Opens the right reader for a file: the format from the table's `format` or the
/// extension, gzip from a `.gz` suffix (a decoder any parser sits on).
public enum ReaderFactory {
    public static func format(for path: String, configured: TableConfig.Format?) throws -> TableConfig.Format {
        if let configured { return configured }
        var name = Paths.fileName(of: path).lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") { return .csv }
        if name.hasSuffix(".tsv") || name.hasSuffix(".tab") { return .tsv }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        throw ReaderError.unknownFormat(path: path)
    }

    public static func isGzip(_ path: String) -> Bool { path.lowercased().hasSuffix(".gz") }

    public static func open(path: String, table: TableConfig, maxRecordBytes: Int) throws -> RecordReader {
        let format = try format(for: path, configured: table.format)
        var source: ByteSource = try FileByteSource(path: path)
        if isGzip(path) { source = PrefetchingByteSource(upstream: try GzipByteSource(input: source, path: path), depth: 2) }
        switch format {
        case .csv, .tsv:
            let delimiter = table.csv.delimiter ?? (format == .tsv ? 0x09 : UInt8(ascii: ","))
            let options = CSVReader.Options(delimiter: delimiter, quote: table.csv.quote, header: table.csv.header,
                                            nullValues: table.csv.nullValues, maxRecordBytes: maxRecordBytes)
            return try CSVReader(source: source, path: path, options: options)
        case .jsonl:
            return try JSONLReader(source: source, maxRecordBytes: maxRecordBytes)
        }
    }
}

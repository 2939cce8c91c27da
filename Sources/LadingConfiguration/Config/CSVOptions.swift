import LadingSupport

/// CSV and TSV reading options (SPEC §3), all optional in the file.
public struct CSVOptions: Sendable, Equatable {
    /// One byte; `,` for CSV and a tab for TSV unless set.
    public var delimiter: UInt8?
    public var quote: UInt8
    public var header: Bool
    /// Unquoted fields equal to one of these are NULL.
    public var nullValues: [String]

    public init(delimiter: UInt8? = nil, quote: UInt8 = UInt8(ascii: "\""), header: Bool = true, nullValues: [String] = [""]) {
        self.delimiter = delimiter
        self.quote = quote
        self.header = header
        self.nullValues = nullValues
    }
}

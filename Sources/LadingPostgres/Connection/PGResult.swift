import CLibPQ

/// Owns one `PGresult`, cleared in `deinit`, so no path (a throw included) forgets
/// `PQclear`.
final class PGResult {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { PQclear(pointer) }

    var status: ExecStatusType { PQresultStatus(pointer) }

    /// Rows a command affected (`INSERT 0 3`, `COPY 200000`); 0 for commands that
    /// report none.
    var affectedRows: Int { Int(String(cString: PQcmdTuples(pointer))) ?? 0 }

    /// Every row in text format, NULL as nil. Bytes that are not UTF-8 (a SQL_ASCII
    /// database can return any) become U+FFFD instead of trapping.
    func rows() -> [[String?]] {
        let rowCount = PQntuples(pointer)
        let columnCount = PQnfields(pointer)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(pointer, row, column) != 0 {
                    values.append(nil)
                } else {
                    let bytes = UnsafeRawBufferPointer(start: PQgetvalue(pointer, row, column),
                                                       count: Int(PQgetlength(pointer, row, column)))
                    values.append(String(decoding: bytes, as: UTF8.self))
                }
            }
            rows.append(values)
        }
        return rows
    }

    /// One field of the server's error report (`C` SQLSTATE, `M` message, `D` detail,
    /// `H` hint), nil when absent or empty.
    func errorField(_ code: Unicode.Scalar) -> String? {
        guard let value = PQresultErrorField(pointer, Int32(code.value)) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// libpq's whole message for this result (for client-side failures that have no fields).
    var errorMessage: String { String(cString: PQresultErrorMessage(pointer)) }
}

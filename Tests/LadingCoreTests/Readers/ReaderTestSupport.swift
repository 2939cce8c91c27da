import Foundation
@testable import LadingCore
@testable import LadingSupport
@testable import LadingConfiguration
@testable import LadingReaders
@testable import LadingStore
@testable import LadingSQLite

struct ReadOutcome {
    var columns: [String]
    var rows: [[String?]]
    var bad: [BadRecord]
    var lines: [Int]
}

func readAll(_ path: String, format: TableConfig.Format? = nil, csv: CSVOptions = CSVOptions(), maxRecordBytes: Int = 64 << 20) throws -> ReadOutcome {
    var table = try ConfigLoader.parse(yaml: "tables:\n  - table_name: t\n    source_path: /\n", path: "/tmp/x.yaml").tables[0]
    table.format = format
    table.csv = csv
    let reader = try ReaderFactory.open(path: path, table: table, maxRecordBytes: maxRecordBytes)
    var outcome = ReadOutcome(columns: [], rows: [], bad: [], lines: [])
    loop: while true {
        switch try reader.next() {
        case .end: break loop
        case .bad(let bad): outcome.bad.append(bad)
        case .record:
            outcome.rows.append((0..<reader.fieldCount).map { index in
                reader.field(index).map { String(decoding: $0, as: UTF8.self) }
            })
            outcome.lines.append(reader.lineNumber)
        }
    }
    outcome.columns = reader.columnNames
    return outcome
}

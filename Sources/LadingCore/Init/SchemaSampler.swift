import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Infers a file's columns the way the first run of a new table does
/// (`LoadContext.openWithPlan` with no existing table and no declared columns): the
/// same reader from `ReaderFactory`, the same `TypeInference` over the same number of
/// records, bad records skipped, then `ColumnPlan` for the names (empty headers,
/// duplicates and lading's audit column names renamed exactly as the table will be).
/// So the `columns:` that `lading init` writes are the types a run would have chosen.
///
/// Beside that it counts null-looking words (`NA`, `NULL`, …) in CSV and TSV fields
/// and runs a second `TypeInference` with them read as NULL, to say what the
/// `null_values` hint would change. That hint never changes the written types.
struct SchemaSampler {
    /// Records read for inference: `LoadContext.sampleSize`, the run's own figure.
    static let sampleSize = 10_000
    /// Words R, pandas and databases write for a missing value.
    static let nullWords = ["NA", "N/A", "NULL", "null", "None"]

    var maxRecordBytes: Int

    struct Sample {
        var columns: [StarterTable.Column]
        var records: Int
    }

    func sample(path: String, table: TableConfig) throws -> Sample {
        let reader = try ReaderFactory.open(path: path, table: table, maxRecordBytes: maxRecordBytes)
        let watchesNullWords = !(reader is JSONLReader)
        let wordBytes = SchemaSampler.nullWords.map { Array($0.utf8) }
        var inference = TypeInference()
        var withNullWords = TypeInference()
        var seenWords: [Int: Set<Int>] = [:]
        sample: while inference.sampled < SchemaSampler.sampleSize {
            switch try reader.next() {
            case .end: break sample
            case .bad: continue
            case .record:
                for index in 0..<reader.fieldCount {
                    let field = reader.field(index)
                    inference.observe(column: index, field)
                    if watchesNullWords, let field, let word = wordBytes.firstIndex(where: { $0.elementsEqual(field) }) {
                        seenWords[index, default: []].insert(word)
                        withNullWords.observe(column: index, nil)
                    } else {
                        withNullWords.observe(column: index, field)
                    }
                }
                inference.finishRecord()
                withNullWords.finishRecord()
            }
        }
        let plan = ColumnPlan.make(readerColumns: reader.columnNames, existing: [], declared: [],
                                   inferred: { inference.type(of: $0) }, reserved: WarehouseNames.auditColumns)
        var columns: [StarterTable.Column] = []
        for (index, name) in plan.names.enumerated() {
            let words = (seenWords[index] ?? []).sorted().map { SchemaSampler.nullWords[$0] }
            let alternative = withNullWords.type(of: index)
            columns.append(.init(name: name, type: plan.types[index], nullWords: words,
                                 typeWithNullWords: words.isEmpty || alternative == plan.types[index] ? nil : alternative))
        }
        return Sample(columns: columns, records: inference.sampled)
    }
}

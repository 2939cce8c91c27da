import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// Reads a file's records into batches: conversion, bad records, JSON Lines keys first
/// seen after the sample. It holds no warehouse, only what was decided before the first
/// record, so `BatchPrefetcher` can run it on a second thread while the warehouse writes.
struct BatchFiller: Sendable {
    let table: TableConfig
    let batchSize: Int
    let file: String
    /// Records up to this number were committed by an earlier attempt (a resume).
    let skipThrough: Int64
    /// Names a file column may not take (audit, SCD2 and backend system columns).
    let reserved: [String]
    /// Whether the table existed before this file: with `schema_evolution: fail`, a
    /// key first seen in a later record of the file is refused as a new column then.
    let tableExists: Bool
    /// Key columns: a record with NULL in one is bad (`null_key`).
    let nonNullColumns: [Int]

    /// Reads up to `limit` records (default `batch_size`) into the batch, stopping early
    /// once it holds `byteCap` bytes; true when the file is done.
    func fill(_ batch: inout RecordBatch, reader: RecordReader, plan: inout ColumnPlan,
              pendingColumns: inout [TableConfig.Column], limit: Int? = nil, byteCap: Int = .max) throws -> Bool {
        let limit = limit ?? batchSize
        while batch.records < limit && batch.footprint < byteCap {
            let event = try reader.next()
            switch event {
            case .end:
                return true
            case .bad(let bad):
                if Int64(bad.recordNumber) <= skipThrough { continue }
                batch.badRecords.append(bad)
            case .record:
                if Int64(reader.recordNumber) <= skipThrough { continue }
                if reader.fieldCount > plan.names.count {
                    try extend(&plan, with: reader, pending: &pendingColumns)
                }
                if let missing = nonNullColumns.first(where: { reader.field($0) == nil }) {
                    batch.badRecords.append(BadRecord(recordNumber: reader.recordNumber, lineNumber: reader.lineNumber, raw: reader.rawRecord(),
                                                      errorType: "null_key", reason: "primary key column '\(plan.names[missing])' is NULL"))
                } else {
                    batch.beginRow(line: reader.lineNumber)
                    for index in 0..<reader.fieldCount {
                        if let problem = ValueConverter.append(reader.field(index), as: plan.types[index], column: plan.names[index], into: &batch) {
                            batch.abandonRow()
                            batch.badRecords.append(BadRecord(recordNumber: reader.recordNumber, lineNumber: reader.lineNumber,
                                                              raw: reader.rawRecord(), errorType: "type_conversion", reason: problem))
                            break
                        }
                    }
                }
            }
            batch.records += 1
            batch.lastRecordNumber = reader.recordNumber
            batch.lastLineNumber = reader.lineNumber
        }
        return false
    }

    /// A JSON Lines key first seen after the sample: a new text column.
    private func extend(_ plan: inout ColumnPlan, with reader: RecordReader, pending: inout [TableConfig.Column]) throws {
        let names = Array(reader.columnNames[plan.names.count...])
        if table.schemaEvolution == .fail, tableExists {
            throw LoadError.schemaChanged(file: file, table: table.name, changes: names.map { "new column \($0)" })
        }
        let extra = ColumnPlan.make(readerColumns: plan.names + names, existing: [], declared: table.columns,
                                    inferred: { _ in nil }, reserved: reserved)
        for index in plan.names.count..<extra.names.count {
            plan.names.append(extra.names[index])
            plan.types.append(extra.types[index])
            pending.append(.init(name: extra.names[index], type: extra.types[index]))
        }
    }
}

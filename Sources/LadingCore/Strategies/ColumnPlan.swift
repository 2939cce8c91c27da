import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// How a file's columns land in its table: which table column each reader column
/// feeds, with which type, and which columns the table must gain.
struct ColumnPlan {
    /// Per reader column: the table column name and its type.
    var names: [String] = []
    var types: [ColumnType] = []
    /// Columns the table does not have yet (created or added before loading).
    var newColumns: [TableConfig.Column] = []
    /// Existing inferred columns whose values in this file need a wider type (SPEC §3,
    /// `schema_evolution: add_columns`): migrated before the file's rows are written.
    var widened: [TableConfig.Column] = []

    /// Maps reader columns (in order) to the table; unknown names take a declared type,
    /// an inferred one, or text. Names that would collide with lading's own columns get
    /// a suffix the same way duplicate headers do.
    /// `observed`: the type of a reader column's sampled values (nil: none seen), which
    /// widens an existing column that was inferred, never one the config declares.
    static func make(readerColumns: [String], existing: [TableConfig.Column], declared: [TableConfig.Column],
                     inferred: (Int) -> ColumnType?, observed: (Int) -> ColumnType? = { _ in nil }, reserved: [String]) -> ColumnPlan {
        var plan = ColumnPlan()
        let existingByName = Dictionary(existing.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let declaredByName = Dictionary(declared.map { ($0.name.lowercased(), $0.type) }, uniquingKeysWith: { a, _ in a })
        var used = Set(reserved.map { $0.lowercased() })
        for (index, raw) in readerColumns.enumerated() {
            var name = raw
            if used.contains(name.lowercased()) && existingByName[name.lowercased()] == nil || reserved.contains(where: { $0.lowercased() == name.lowercased() }) {
                var suffix = 2
                while used.contains("\(raw)_\(suffix)".lowercased()) { suffix += 1 }
                name = "\(raw)_\(suffix)"
            }
            used.insert(name.lowercased())
            if let column = existingByName[name.lowercased()] {
                var type = column.type
                if declaredByName[name.lowercased()] == nil, let seen = observed(index), column.type.joined(with: seen) != column.type {
                    type = column.type.joined(with: seen)
                    plan.widened.append(.init(name: column.name, type: type))
                }
                plan.names.append(column.name)
                plan.types.append(type)
            } else {
                let type = declaredByName[name.lowercased()] ?? inferred(index) ?? .text
                plan.names.append(name)
                plan.types.append(type)
                plan.newColumns.append(.init(name: name, type: type))
            }
        }
        return plan
    }
}

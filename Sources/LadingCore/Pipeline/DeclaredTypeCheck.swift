import Foundation
import Logging
import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// SPEC §3: a type declared in `columns:` that differs from the type a table already
/// has is a schema change. A widening is migrated; anything else is a configuration
/// error found when the command starts, before anything is written, whether or not a
/// new file waits. A declared type is never silently ignored.
struct DeclaredTypeCheck {
    let config: LadingConfig
    let environment: Environment

    /// The widenings to migrate, per table; throws for a change that is not one.
    func widenings(for tables: [TableConfig]) throws -> [(table: TableConfig, columns: [TableConfig.Column])] {
        guard tables.contains(where: { !$0.columns.isEmpty }), try environment.stores.warehouseExists(config) else { return [] }
        let warehouse = try environment.stores.openWarehouse(config, readOnly: true)
        var result: [(TableConfig, [TableConfig.Column])] = []
        for table in tables where !table.columns.isEmpty {
            // A dropped table's catalog rows are leftovers: its next creation takes the
            // declared types, and the `table_missing` repair must not be blocked.
            guard try warehouse.tableExists(table.name) else { continue }
            let existing = Dictionary(try warehouse.columns(of: table.name).map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
            var wider: [TableConfig.Column] = []
            for declared in table.columns {
                guard let current = existing[declared.name.lowercased()], current.type != declared.type else { continue }
                guard current.type.widens(to: declared.type) else {
                    let index = config.tables.firstIndex { $0.name == table.name } ?? 0
                    throw ConfigError(
                        file: table.columnsLocation.file, keyPath: "tables[\(index)].columns.\(declared.name)", line: table.columnsLocation.line,
                        reason: "table '\(table.name)' column '\(current.name)' is \(current.type.rawValue) in the warehouse and declared \(declared.type.rawValue) here, "
                            + "which is not a widening (integer → real, date → timestamp, any type → text). Nothing was changed. Declare \(current.type.rawValue) "
                            + "again, or rebuild the table with the new types: 'lading reset-state --table \(table.name) --reinfer --yes'")
                }
                wider.append(.init(name: current.name, type: declared.type))
            }
            if !wider.isEmpty { result.append((table, wider)) }
        }
        return result
    }

    /// Migrates the widenings, one transaction per table, under the caller's lock. An
    /// SCD2 table with applied files is replayed with the wider types (`replay`), so its
    /// versions are what a reset would give; others are converted in place.
    static func migrate(_ widenings: [(table: TableConfig, columns: [TableConfig.Column])], warehouse: any Warehouse, logger: Logger,
                        replay: (TableConfig, [TableConfig.Column]) throws -> Bool) throws {
        for (table, columns) in widenings {
            let before = Dictionary(try warehouse.columns(of: table.name).map { ($0.name.lowercased(), $0.type) }, uniquingKeysWith: { a, _ in a })
            let replayed = table.strategy.appliesInOrder ? try replay(table, columns) : false
            if !replayed {
                _ = try warehouse.transaction { try warehouse.widen(table.name, to: columns) }
            }
            for column in columns {
                logger.notice("migrated a column to its declared wider type", metadata: [
                    "table": "\(table.name)", "column": "\(column.name)",
                    "from": "\(before[column.name.lowercased()]?.rawValue ?? "?")", "to": "\(column.type.rawValue)"])
            }
        }
    }
}

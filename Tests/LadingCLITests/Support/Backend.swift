import Foundation
import LadingTestSupport

/// The warehouses every parameterised CLI test runs against (issue 14): the embedded
/// SQLite file and a fresh database on the private PostgreSQL server `make test` starts.
enum TestBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    var description: String { rawValue }
}

/// Where a workspace's warehouse is: kept in a file of the workspace, since the shared
/// `TemporaryFolder` holds only its path.
struct BackendMarker: Codable {
    var backend: String
    var dsn: String?
    var schema: String
    var stateSchema: String
}

extension Workspace {
    /// A workspace whose configs point at `backend`; on PostgreSQL a database of its own,
    /// `schema` for the target tables (a hostile name when a test asks for one).
    static func make(_ backend: TestBackend, schema: String = "dw", stateSchema: String = "lading_state",
                     server: PostgresServer? = nil) throws -> Workspace {
        let workspace = try Workspace()
        if backend == .postgres {
            let dsn = try (server ?? PostgresServer.shared()).makeDatabase()
            let marker = BackendMarker(backend: backend.rawValue, dsn: dsn, schema: schema, stateSchema: stateSchema)
            try workspace.write(".backend.json", String(decoding: try JSONEncoder().encode(marker), as: UTF8.self))
        }
        return workspace
    }

    var marker: BackendMarker? {
        FileManager.default.contents(atPath: url(".backend.json")).flatMap { try? JSONDecoder().decode(BackendMarker.self, from: $0) }
    }

    var backend: TestBackend { marker == nil ? .sqlite : .postgres }

    /// The `warehouse:` section for this workspace's backend, `extra` lines appended.
    func warehouseSection(_ extra: String = "") -> String {
        guard let marker, let dsn = marker.dsn else { return "warehouse:\n  path: ./warehouse.sqlite\n" + extra }
        return "warehouse:\n  driver: postgres\n  dsn: \(Self.yamlQuoted(dsn))\n  schema: \(Self.yamlQuoted(marker.schema))\n"
            + "  state_schema: \(Self.yamlQuoted(marker.stateSchema))\n" + extra
    }

    static func yamlQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Rows of a query on the warehouse, `a|b|c` per row as both CLIs print them, NULL as
    /// an empty field. Write portable SQL: `CAST(flag AS INTEGER)` for an SCD2 flag.
    func query(_ sql: String) throws -> [String] {
        guard let marker, let dsn = marker.dsn else { return try sqlite("warehouse.sqlite", sql) }
        return try psqlRows(dsn: dsn, schema: marker.schema, sql)
    }

    /// Rows of a query on the tracker.
    func trackerQuery(_ sql: String) throws -> [String] {
        guard let marker, let dsn = marker.dsn else { return try sqlite("state/tracker.sqlite", sql) }
        return try psqlRows(dsn: dsn, schema: marker.stateSchema, sql)
    }

    /// Runs statements that change the warehouse (`warehouse.sqlite`) or the tracker
    /// (`state/tracker.sqlite`): a test damaging them on purpose. On PostgreSQL the
    /// SQLite file names stand for the two schemas.
    func change(_ database: String, _ statements: String) throws -> Bool {
        guard let marker, let dsn = marker.dsn else {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = [url(database), statements]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        _ = try psqlRows(dsn: dsn, schema: database.contains("tracker") ? marker.stateSchema : marker.schema, statements)
        return true
    }

    /// The physical row id, for statements that pick some rows of a table.
    var rowid: String { backend == .sqlite ? "rowid" : "ctid" }

    private func psqlRows(dsn: String, schema: String, _ sql: String) throws -> [String] {
        // Any cluster's psql reaches any of them: the DSN names the socket and port.
        let text = try PostgresServer.shared().psql(dsn: dsn, sql: "SET search_path TO \(PostgresServer.quoteIdentifier(schema)); " + sql)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }
}

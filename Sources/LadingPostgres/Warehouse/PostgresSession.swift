import LadingStore

/// What every lading connection to PostgreSQL shares: its session settings, schema
/// creation, and the conversions between lading's records and text parameters.
enum PostgresSession {
    /// UTC, so `timestamptz` values read back as UTC text whatever the server's zone;
    /// read-only for the commands that only look. Applied again after a reconnect.
    static func prepare(_ db: PGConnection, readOnly: Bool) throws {
        let setup = { (db: PGConnection) throws in
            try db.execute("SET TimeZone = 'UTC'; SET client_min_messages = warning" + (readOnly ? "; SET default_transaction_read_only = on" : ""))
        }
        try setup(db)
        db.onReconnect = setup
    }

    /// Creates a schema and lading's tables in it when missing. Several processes may
    /// start at once (issue 15: workers), and `CREATE … IF NOT EXISTS` can still collide
    /// on the catalog; one transaction-scoped advisory lock per schema serialises it.
    /// Serialises lading's DDL on one schema across sessions (several workers starting
    /// at once): `CREATE … IF NOT EXISTS` alone still fails when two sessions race.
    static func lockSchemaDefinition(_ schema: String, on db: PGConnection) throws {
        try db.run("SELECT pg_advisory_xact_lock(hashtext($1))", ["lading schema " + schema])
    }

    static func createSchema(_ schema: String, on db: PGConnection, statements: [String]) throws {
        try db.transaction {
            try lockSchemaDefinition(schema, on: db)
            // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema
            // exists: a role given only a prepared schema must not need it.
            if try db.rows("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", [schema]).first?.first != "t" {
                try db.execute("CREATE SCHEMA \(PGName.quote(schema))")
            }
            for statement in statements { try db.execute(statement) }
        }
    }

    /// PostgreSQL `text` cannot hold a NUL byte; lading's messages and raw records keep
    /// every other character, with NUL shown as U+2400 (␀).
    static func storable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{2400}") : text
    }

    /// A `timestamptz` expression as lading's UTC text (`2026-01-01T00:00:00.000000Z`),
    /// for messages that name SCD2 dates as they read on SQLite.
    static func isoText(_ expression: String) -> String {
        "to_char((\(expression)) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    static func values(of run: RunRecord) -> [String?] {
        [run.runID, run.startedAt, run.finishedAt, run.status, String(run.pid), run.hostname, String(run.filesDiscovered),
         String(run.filesLoaded), String(run.filesFailed), String(run.rowsLoaded), String(run.rowsQuarantined), run.errorMessage.map(storable)]
    }

    static func runRecord(_ row: [String?]) -> RunRecord {
        RunRecord(runID: row[0] ?? "", startedAt: row[1] ?? "", finishedAt: row[2], status: row[3] ?? "", pid: Int32(row[4] ?? "") ?? 0,
                  hostname: row[5] ?? "", filesDiscovered: Int(row[6] ?? "") ?? 0, filesLoaded: Int(row[7] ?? "") ?? 0,
                  filesFailed: Int(row[8] ?? "") ?? 0, rowsLoaded: Int64(row[9] ?? "") ?? 0, rowsQuarantined: Int64(row[10] ?? "") ?? 0,
                  errorMessage: row[11])
    }
}

import Foundation

/// The tracker's tables in `state_schema` (SPEC §9), the columns of the SQLite tracker's
/// schema version 3. A `schema_version` row lets later versions migrate.
enum PostgresTrackerSchema {
    static let currentVersion = 3

    /// The columns each table must have, with their types (`information_schema`'s
    /// `data_type`), for the tracker to be usable: a column dropped, renamed or retyped
    /// by hand makes it damaged.
    static let requiredColumns: [String: [String: String]] = [
        "file_processing_tracker": [
            "table_name": "text", "file_path": "text", "file_size": "bigint", "file_modified_time": "text", "content_sha256": "text",
            "status": "text", "processing_start_time": "text", "processing_end_time": "text", "error_message": "text",
            "error_type": "text", "retry_count": "integer", "records_read": "bigint", "rows_loaded": "bigint",
            "rows_quarantined": "bigint", "batch_id": "text", "run_id": "text", "change_detected": "text", "created_at": "text",
            "updated_at": "text",
        ],
        "runs": [
            "seq": "bigint", "run_id": "text", "started_at": "text", "finished_at": "text", "status": "text", "pid": "integer",
            "hostname": "text", "files_discovered": "integer", "files_loaded": "integer", "files_failed": "integer",
            "rows_loaded": "bigint", "rows_quarantined": "bigint", "error_message": "text",
        ],
        "run_files": [
            "run_id": "text", "table_name": "text", "file_path": "text", "status": "text", "records_read": "bigint",
            "rows_loaded": "bigint", "rows_quarantined": "bigint", "error_type": "text", "error_message": "text", "scd2": "text",
        ],
        "circuit_breakers": ["table_name": "text", "opened_at": "text", "consecutive_failures": "integer", "run_id": "text"],
        "schema_version": ["version": "integer"],
    ]

    /// Indexes, created once the tables passed their integrity check (an index over a
    /// column someone dropped cannot be created, and must not stop the rebuild).
    static func indexes(_ schema: String) -> [String] {
        [
            createIndexIfMissing(schema, "file_processing_tracker_status",
                                 "CREATE INDEX file_processing_tracker_status ON \(PGName.qualified(schema, "file_processing_tracker")) (status, table_name)"),
            createIndexIfMissing(schema, "runs_started", "CREATE INDEX runs_started ON \(PGName.qualified(schema, "runs")) (started_at)"),
        ]
    }

    /// A SQL string literal (quotes doubled): the DO blocks below take no parameters.
    private static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// `ADD COLUMN IF NOT EXISTS` takes an ACCESS EXCLUSIVE lock on the table even when
    /// the column is there: behind any open transaction that read the tracker (an
    /// operator's psql session) every worker would queue. The lock is taken only when
    /// the column is really missing.
    static func addColumnIfMissing(_ schema: String, _ table: String, _ column: String, _ type: String) -> String {
        return """
            DO $lading$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = \(literal(schema))
                               AND table_name = \(literal(table)) AND column_name = \(literal(column))) THEN
                    ALTER TABLE \(PGName.qualified(schema, table)) ADD COLUMN \(PGName.quote(column)) \(type);
                END IF;
            END $lading$
            """
    }

    /// `CREATE INDEX IF NOT EXISTS` takes a SHARE lock on the table before it looks for the
    /// index, waiting behind every writer: created only when missing.
    static func createIndexIfMissing(_ schema: String, _ name: String, _ definition: String) -> String {
        return """
            DO $lading$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = \(literal(schema)) AND indexname = \(literal(name))) THEN
                    \(definition);
                END IF;
            END $lading$
            """
    }

    static func create(_ schema: String) -> [String] {
        let q = { PGName.qualified(schema, $0) }
        return [
            "CREATE TABLE IF NOT EXISTS \(q("schema_version")) (version integer NOT NULL)",
            // The warehouse schema this tracker belongs to: two pipelines in one database
            // must not share a tracker (their table names would mix).
            "CREATE TABLE IF NOT EXISTS \(q("owner")) (warehouse_schema text NOT NULL)",
            """
            CREATE TABLE IF NOT EXISTS \(q("file_processing_tracker")) (
                table_name text NOT NULL,
                file_path text NOT NULL,
                file_size bigint NOT NULL DEFAULT 0,
                file_modified_time text NOT NULL DEFAULT '',
                content_sha256 text,
                status text NOT NULL CHECK (status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')),
                processing_start_time text,
                processing_end_time text,
                error_message text,
                error_type text,
                retry_count integer NOT NULL DEFAULT 0,
                records_read bigint NOT NULL DEFAULT 0,
                rows_loaded bigint NOT NULL DEFAULT 0,
                rows_quarantined bigint NOT NULL DEFAULT 0,
                batch_id text,
                run_id text,
                change_detected text,
                created_at text NOT NULL,
                updated_at text NOT NULL,
                PRIMARY KEY (table_name, file_path)
            )
            """,
            // Leases (SPEC §9, several workers): added in place to a tracker made before them.
            addColumnIfMissing(schema, "file_processing_tracker", "lease_until", "timestamptz"),
            // SPEC §4 after_load: where a COMPLETED file was archived ("" when deleted).
            addColumnIfMissing(schema, "file_processing_tracker", "archived_path", "text"),
            PostgresRunLock.workersTable(schema),
            """
            CREATE TABLE IF NOT EXISTS \(q("runs")) (
                seq bigserial,
                run_id text PRIMARY KEY,
                started_at text NOT NULL,
                finished_at text,
                status text NOT NULL,
                pid integer NOT NULL,
                hostname text NOT NULL,
                files_discovered integer NOT NULL DEFAULT 0,
                files_loaded integer NOT NULL DEFAULT 0,
                files_failed integer NOT NULL DEFAULT 0,
                rows_loaded bigint NOT NULL DEFAULT 0,
                rows_quarantined bigint NOT NULL DEFAULT 0,
                error_message text
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(q("circuit_breakers")) (
                table_name text PRIMARY KEY,
                opened_at text NOT NULL,
                consecutive_failures integer NOT NULL,
                run_id text
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(q("run_files")) (
                run_id text NOT NULL,
                table_name text NOT NULL,
                file_path text NOT NULL,
                status text NOT NULL,
                records_read bigint NOT NULL DEFAULT 0,
                rows_loaded bigint NOT NULL DEFAULT 0,
                rows_quarantined bigint NOT NULL DEFAULT 0,
                error_type text,
                error_message text,
                scd2 text,
                PRIMARY KEY (run_id, table_name, file_path)
            )
            """,
        ]
    }
}

/// lading's own tables in the PostgreSQL warehouse schema (SPEC §5, §9): the same
/// columns as on SQLite, so both backends report alike.
enum PostgresWarehouseSchema {
    static func create(_ schema: String) -> [String] {
        let q = { PGName.qualified(schema, $0) }
        return [
            """
            CREATE TABLE IF NOT EXISTS \(q("_lading_loads")) (
                table_name text NOT NULL,
                source_file text NOT NULL,
                batch_id text NOT NULL,
                content_sha256 text,
                status text NOT NULL CHECK (status IN ('partial', 'complete')),
                checkpoint bigint NOT NULL DEFAULT 0,
                checkpoint_line bigint NOT NULL DEFAULT 0,
                staging_table text,
                records_read bigint NOT NULL DEFAULT 0,
                rows_loaded bigint NOT NULL DEFAULT 0,
                rows_quarantined bigint NOT NULL DEFAULT 0,
                file_size bigint,
                file_modified_time text,
                boundary text,
                committed_at text NOT NULL,
                PRIMARY KEY (table_name, source_file)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(q("_lading_quarantine")) (
                id bigserial PRIMARY KEY,
                table_name text NOT NULL,
                source_file text NOT NULL,
                record_number bigint NOT NULL,
                line_number bigint NOT NULL,
                raw_record text,
                error_type text NOT NULL,
                error_message text NOT NULL,
                batch_id text NOT NULL,
                quarantined_at text NOT NULL,
                reprocessed_at text
            )
            """,
            PostgresTrackerSchema.createIndexIfMissing(schema, "_lading_quarantine_file",
                                                       "CREATE INDEX _lading_quarantine_file ON \(q("_lading_quarantine")) (table_name, source_file)"),
            """
            CREATE TABLE IF NOT EXISTS \(q("_lading_columns")) (
                table_name text NOT NULL,
                column_name text NOT NULL,
                column_type text NOT NULL,
                position integer NOT NULL,
                PRIMARY KEY (table_name, column_name)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(q("_lading_runs")) (
                run_id text PRIMARY KEY,
                started_at text NOT NULL,
                finished_at text,
                status text NOT NULL,
                pid integer,
                hostname text,
                files_discovered integer NOT NULL DEFAULT 0,
                files_loaded integer NOT NULL DEFAULT 0,
                files_failed integer NOT NULL DEFAULT 0,
                rows_loaded bigint NOT NULL DEFAULT 0,
                rows_quarantined bigint NOT NULL DEFAULT 0,
                error_message text
            )
            """,
        ]
    }
}

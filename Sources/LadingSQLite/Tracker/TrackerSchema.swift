import LadingSupport
import LadingConfiguration
import LadingReaders
import LadingStore

/// The tracker's schema and its migrations, versioned with `PRAGMA user_version`.
/// Each migration runs in the transaction that bumps the version, so a crash leaves
/// either the old schema or the new one.
enum TrackerSchema {
    static let currentVersion = 5

    static let migrations: [Int: String] = [
        1: """
        CREATE TABLE IF NOT EXISTS file_processing_tracker (
            table_name TEXT NOT NULL,
            file_path TEXT NOT NULL,
            file_size INTEGER NOT NULL DEFAULT 0,
            file_modified_time TEXT NOT NULL DEFAULT '',
            content_sha256 TEXT,
            status TEXT NOT NULL CHECK (status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED')),
            processing_start_time TEXT,
            processing_end_time TEXT,
            error_message TEXT,
            error_type TEXT,
            retry_count INTEGER NOT NULL DEFAULT 0,
            records_read INTEGER NOT NULL DEFAULT 0,
            rows_loaded INTEGER NOT NULL DEFAULT 0,
            rows_quarantined INTEGER NOT NULL DEFAULT 0,
            batch_id TEXT,
            run_id TEXT,
            change_detected TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (table_name, file_path)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS file_processing_tracker_status ON file_processing_tracker (status, table_name);
        CREATE TABLE IF NOT EXISTS runs (
            run_id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            pid INTEGER NOT NULL,
            hostname TEXT NOT NULL,
            files_discovered INTEGER NOT NULL DEFAULT 0,
            files_loaded INTEGER NOT NULL DEFAULT 0,
            files_failed INTEGER NOT NULL DEFAULT 0,
            rows_loaded INTEGER NOT NULL DEFAULT 0,
            rows_quarantined INTEGER NOT NULL DEFAULT 0,
            error_message TEXT
        );
        CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);
        """,
        // Circuit breakers outlive a run: the next run half-opens an open one.
        2: """
        CREATE TABLE IF NOT EXISTS circuit_breakers (
            table_name TEXT PRIMARY KEY,
            opened_at TEXT NOT NULL,
            consecutive_failures INTEGER NOT NULL,
            run_id TEXT
        );
        """,
        // What each run did per file (SPEC §8: `history --json` gives the per-file counts).
        3: """
        CREATE TABLE IF NOT EXISTS run_files (
            run_id TEXT NOT NULL,
            table_name TEXT NOT NULL,
            file_path TEXT NOT NULL,
            status TEXT NOT NULL,
            records_read INTEGER NOT NULL DEFAULT 0,
            rows_loaded INTEGER NOT NULL DEFAULT 0,
            rows_quarantined INTEGER NOT NULL DEFAULT 0,
            error_type TEXT,
            error_message TEXT,
            scd2 TEXT,
            PRIMARY KEY (run_id, table_name, file_path)
        ) WITHOUT ROWID;
        """,
        // SPEC §4 after_load: where a COMPLETED file was archived ("" when deleted).
        4: """
        ALTER TABLE file_processing_tracker ADD COLUMN archived_path TEXT;
        """,
        // Every run reads, per table, the COMPLETED files' keys, sizes and modified times
        // (reconcile, registration): the status index carries them, in key order, so a
        // rerun over thousands of files reads a narrow index instead of every wide row.
        5: """
        DROP INDEX IF EXISTS file_processing_tracker_status;
        CREATE INDEX IF NOT EXISTS file_processing_tracker_status_stamp
            ON file_processing_tracker (status, table_name, file_path, file_size, file_modified_time);
        """,
    ]
}

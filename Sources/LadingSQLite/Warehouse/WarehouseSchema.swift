import LadingSupport
import LadingConfiguration
import LadingStore

/// lading's own tables in the warehouse (SPEC §5).
enum WarehouseSchema {
    static let ledger = WarehouseNames.ledger
    static let quarantine = WarehouseNames.quarantine
    static let columns = WarehouseNames.columns
    static let stagingPrefix = WarehouseNames.stagingPrefix
    static let auditColumns = WarehouseNames.auditColumns

    static let create = """
        CREATE TABLE IF NOT EXISTS _lading_loads (
            table_name TEXT NOT NULL,
            source_file TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            content_sha256 TEXT,
            status TEXT NOT NULL CHECK (status IN ('partial', 'complete')),
            checkpoint INTEGER NOT NULL DEFAULT 0,
            checkpoint_line INTEGER NOT NULL DEFAULT 0,
            staging_table TEXT,
            records_read INTEGER NOT NULL DEFAULT 0,
            rows_loaded INTEGER NOT NULL DEFAULT 0,
            rows_quarantined INTEGER NOT NULL DEFAULT 0,
            file_size INTEGER,
            file_modified_time TEXT,
            boundary TEXT,
            committed_at TEXT NOT NULL,
            PRIMARY KEY (table_name, source_file)
        );
        CREATE TABLE IF NOT EXISTS _lading_quarantine (
            id INTEGER PRIMARY KEY,
            table_name TEXT NOT NULL,
            source_file TEXT NOT NULL,
            record_number INTEGER NOT NULL,
            line_number INTEGER NOT NULL,
            raw_record TEXT,
            error_type TEXT NOT NULL,
            error_message TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            quarantined_at TEXT NOT NULL,
            reprocessed_at TEXT
        );
        CREATE INDEX IF NOT EXISTS _lading_quarantine_file ON _lading_quarantine (table_name, source_file);
        CREATE TABLE IF NOT EXISTS _lading_columns (
            table_name TEXT NOT NULL,
            column_name TEXT NOT NULL,
            column_type TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (table_name, column_name)
        );
        CREATE TABLE IF NOT EXISTS _lading_runs (
            run_id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            pid INTEGER,
            hostname TEXT,
            files_discovered INTEGER NOT NULL DEFAULT 0,
            files_loaded INTEGER NOT NULL DEFAULT 0,
            files_failed INTEGER NOT NULL DEFAULT 0,
            rows_loaded INTEGER NOT NULL DEFAULT 0,
            rows_quarantined INTEGER NOT NULL DEFAULT 0,
            error_message TEXT
        );
        """
}

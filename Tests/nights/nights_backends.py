"""The warehouse backends of the random operator nights (random_nights.py).

A backend writes a night's `warehouse:` config, reads the warehouse and the tracker for
the model, damages them by hand, and says what a kill may be timed on. SQLite reads
through Python's `sqlite3`; PostgreSQL through `psql` against one private cluster for
the whole process, with one database per night. Standard library only.

Reads on PostgreSQL go through `psql` as `SELECT coalesce(json_agg(q), '[]') FROM
(<query>) q`: JSON keeps NULL apart from '' and gives numbers, booleans and text back
as Python values (a `double precision` 5 comes back as 5, which equals 5.0 in a tuple
and a Counter), so no separator can clash with a value. Timestamps are compared as
text, so queries that read them format them in SQL (`to_char`, UTC).
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile


class IntegrityError(Exception):
    """A constraint refused a hand-made change (SQLite's IntegrityError, PostgreSQL's 23505)."""


class DBError(Exception):
    """Any other failure of a hand-made query."""


# ------------------------------------------------------------------ SQLite

class SqliteDB:
    rowid = "rowid"

    def __init__(self, path):
        self.con = sqlite3.connect(path, timeout=30)

    def query(self, sql, params=()):
        return [tuple(r) for r in self.con.execute(sql, params).fetchall()]

    def query_dicts(self, sql, params=()):
        cur = self.con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def execute(self, sql, params=()):
        try:
            self.con.execute(sql, params)
            self.con.commit()
        except sqlite3.IntegrityError as e:
            self.con.rollback()
            raise IntegrityError(str(e)) from e

    def table_exists(self, name):
        return self.con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None

    def close(self):
        self.con.close()


class SqliteBackend:
    name = "sqlite"

    def start(self):
        pass

    def stop(self):
        pass

    def setup(self, night):
        return ["  driver: sqlite", "  path: ./warehouse.sqlite", "  busy_timeout_seconds: 5"]

    def teardown(self, night, failed):
        pass

    def wh_path(self, night):
        return os.path.join(night.dir, "warehouse.sqlite")

    def connect(self, night):
        p = self.wh_path(night)
        return SqliteDB(p) if os.path.exists(p) else None

    def scd_select(self, table):
        return f'SELECT k, v, w, note, effective_date, end_date, is_current, _source_file FROM "{table}"'

    def tracker_paths(self, night):
        p = os.path.join(night.state, "tracker.sqlite")
        return [p, p + "-wal", p + "-shm"]

    def signature(self, night):
        """Something that changes when lading writes (kills are timed on it): stat only, no lock."""
        wh = self.wh_path(night)
        out = []
        for w in [wh, wh + "-journal"] + self.tracker_paths(night)[:2]:
            try:
                st = os.stat(w)
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append(None)
        return out

    def tracker_rows(self, night):
        p = self.tracker_paths(night)[0]
        try:
            con = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10)
            rows = con.execute("SELECT table_name, file_path, status, error_message FROM file_processing_tracker").fetchall()
            con.close()
            return rows
        except sqlite3.Error:
            return []


# -------------------------------------------------------------- PostgreSQL

def _bin_directory():
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.access(os.path.join(d, "initdb"), os.X_OK)]
    if found:
        return max(found, key=lambda d: float(d.split("/")[-2]) if d.split("/")[-2].replace(".", "").isdigit() else 0)
    sys.exit("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
             "(`make deps-test` installs Debian's postgresql package)")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def bind(sql, params):
    """`?` placeholders replaced by literals (the harness's SQL has no other `?`)."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise DBError(f"{len(params)} parameters for {len(parts) - 1} placeholders in {sql}")
    out = [parts[0]]
    for p, rest in zip(params, parts[1:]):
        out += [sql_literal(p), rest]
    return "".join(out)


class PgCluster:
    """One private cluster for the process: the recipe of Tests/LadingTestSupport/PostgresServer.swift.

    Its folder is /tmp/lading-pg-nights-*, with owner.pid, so scripts/pg-test-cleanup
    stops it if this process is killed before it could. Durability is off (fsync,
    full_page_writes) but synchronous_commit stays on: every commit writes the WAL at
    once, and kills are timed on the WAL files' changes."""

    def __init__(self):
        self.bin = _bin_directory()
        self.as_root = os.getuid() == 0
        self.folder = None
        self.port = None

    def start(self):
        self.folder = tempfile.mkdtemp(prefix=f"lading-pg-nights-{os.getpid()}-", dir="/tmp")
        with open(os.path.join(self.folder, "owner.pid"), "w") as f:
            f.write(f"{os.getpid()}\n")
        if self.as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._as_postgres([f"{self.bin}/initdb", "-D", f"{self.folder}/data", "-U", "postgres", "--auth-local=trust",
                           "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
        for attempt in range(3):
            self.port = _free_port()
            opts = (f"-p {self.port} -k {self.folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
                    " -c max_connections=100")
            r = self._as_postgres([f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-l", f"{self.folder}/server.log",
                                   "-w", "-t", "60", "-o", opts, "start"], "pg_ctl start", check=attempt == 2)
            if r.returncode == 0:
                return
        raise SystemExit("pg_ctl start failed")

    def stop(self):
        if self.folder is None:
            return
        if os.path.exists(f"{self.folder}/data/postmaster.pid"):
            self._as_postgres([f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-m", "immediate", "-w", "stop"],
                              "pg_ctl stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def _as_postgres(self, command, what, check=True):
        if self.as_root:
            runuser = next((p for p in ("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser") if os.access(p, os.X_OK)), None)
            if runuser is None:
                raise SystemExit(f"running as root, and runuser (util-linux) is missing: cannot run {what} as postgres")
            command = [runuser, "-u", "postgres", "--"] + command
        r = subprocess.run(command, capture_output=True, text=True, cwd="/")
        if check and r.returncode != 0:
            log = ""
            if self.folder and os.path.exists(f"{self.folder}/server.log"):
                log = "".join(open(f"{self.folder}/server.log").readlines()[-30:])
            raise SystemExit(f"the nights' PostgreSQL could not start: {what} failed ({r.returncode})\n"
                             f"command: {' '.join(command)}\n{r.stdout}{r.stderr}\nserver log:\n{log}")
        return r

    def dsn(self, db):
        return f"host={self.folder} port={self.port} user=postgres dbname={db}"

    def psql(self, db, sql, search_path=None):
        env = dict(os.environ)
        env["PGOPTIONS"] = "-c TimeZone=UTC" + (f" -c search_path={search_path}" if search_path else "")
        r = subprocess.run([f"{self.bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(db), "-c", sql],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            msg = (r.stderr + r.stdout).strip()
            if "duplicate key value violates unique constraint" in msg:
                raise IntegrityError(msg)
            raise DBError(f"psql failed ({r.returncode}) on {sql[:300]}: {msg}")
        return r.stdout

    def wal_signature(self):
        """(mtime, size) of the WAL segments: they change with every commit."""
        out = []
        for p in sorted(glob.glob(f"{self.folder}/data/pg_wal/0*")):
            try:
                st = os.stat(p)
                out.append((p, st.st_mtime_ns, st.st_size))
            except OSError:
                pass
        return out


class PgDB:
    rowid = "ctid"

    def __init__(self, cluster, db, schema):
        self.cluster, self.db, self.schema = cluster, db, schema
        self._tables = None

    def query_dicts(self, sql, params=()):
        out = self.cluster.psql(self.db, f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({bind(sql, params)}) q",
                                search_path=self.schema)
        return json.loads(out)

    def query(self, sql, params=()):
        return [tuple(d.values()) for d in self.query_dicts(sql, params)]

    def execute(self, sql, params=()):
        self._tables = None
        self.cluster.psql(self.db, bind(sql, params), search_path=self.schema)

    def table_exists(self, name):
        if self._tables is None:
            self._tables = {r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = ?", (self.schema,))}
        return name in self._tables

    def close(self):
        pass


class PostgresBackend:
    name = "postgres"
    SCHEMA = "dw"
    STATE = "lading_state"
    # SPEC 9's minimum: a worker paused with SIGSTOP stops being live this long after its
    # last heartbeat, so the steps that pause one wait seconds, not minutes.
    LEASE_SECONDS = 2

    def __init__(self):
        self.cluster = PgCluster()
        self.counter = 0

    def start(self):
        self.cluster.start()

    def stop(self):
        self.cluster.stop()

    def setup(self, night):
        self.counter += 1
        night.pg_db = f"night_{night.seed}_{self.counter}"
        self.cluster.psql("postgres", f'CREATE DATABASE "{night.pg_db}"')
        return ["  driver: postgres", f'  dsn: "{self.cluster.dsn(night.pg_db)}"',
                f"  schema: {self.SCHEMA}", f"  state_schema: {self.STATE}", f"  lease_seconds: {self.LEASE_SECONDS}"]

    def teardown(self, night, failed):
        """A passing night's database is dropped; a failing one is dumped into its kept folder."""
        db = getattr(night, "pg_db", None)
        if db is None:
            return
        if failed:
            r = subprocess.run([f"{self.cluster.bin}/pg_dump", "-d", self.cluster.dsn(db), "-f",
                                os.path.join(night.dir, "warehouse.pg_dump.sql")], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"pg_dump of {db} failed: {r.stderr.strip()}", flush=True)
        try:
            self.cluster.psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        except DBError as e:
            print(f"could not drop {db}: {e}", flush=True)

    def connect(self, night):
        return PgDB(self.cluster, night.pg_db, self.SCHEMA)

    def state_db(self, night):
        return PgDB(self.cluster, night.pg_db, self.STATE)

    def scd_select(self, table):
        ts = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        return (f'SELECT k, v, w, note, {ts.format("effective_date")} AS effective_date, '
                f'{ts.format("end_date")} AS end_date, CAST(is_current AS integer) AS is_current, _source_file FROM "{table}"')

    def signature(self, night):
        return self.cluster.wal_signature()

    def tracker_rows(self, night):
        try:
            return self.state_db(night).query(
                "SELECT table_name, file_path, status, error_message FROM file_processing_tracker")
        except DBError:
            return []

    # The several-workers steps read the workers and the tracker's leases directly (by the
    # database clock, as lading judges them). None when the state schema cannot be read
    # (not created yet, or damaged by hand).
    def workers(self, night):
        """[{run_id, pid, started_epoch, beating}]: beating while heartbeat_until is ahead of now()."""
        try:
            return self.state_db(night).query_dicts(
                "SELECT run_id, pid, extract(epoch FROM started_at)::float8 AS started_epoch, "
                "heartbeat_until > now() AS beating FROM workers")
        except DBError:
            return None

    def tracker_full(self, night):
        """{(table, path): {status, run_id, retry_count, content_sha256, error_message}}, or None."""
        try:
            rows = self.state_db(night).query_dicts(
                "SELECT table_name, file_path, status, run_id, retry_count, content_sha256, error_message "
                "FROM file_processing_tracker")
        except DBError:
            return None
        return {(d["table_name"], d["file_path"]): d for d in rows}

    def activity(self, night):
        """The night database's sessions that wait, and those holding a transaction open (to say
        what a blocked command waits for)."""
        try:
            rows = PgDB(self.cluster, night.pg_db, "public").query_dicts(
                "SELECT pid, state, wait_event_type AS wait_type, wait_event AS wait, "
                "pg_blocking_pids(pid) AS blocked_by, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS query "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND (wait_event_type = 'Lock' OR state LIKE 'idle in transaction%')")
        except DBError as e:
            return f"(pg_stat_activity unreadable: {e})"
        return "; ".join(f"pid {r['pid']} {r['state']}" + (f" waiting on {r['wait_type']}/{r['wait']} behind {r['blocked_by']}"
                                                          if r['wait_type'] == 'Lock' else "") + f": {r['query']}" for r in rows) or "none"

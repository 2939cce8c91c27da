#!/usr/bin/env python3
"""Operator nights: a seeded, stateful, randomised property test of `lading`.

Each night is one seed. `random.Random(seed)` decides every step: files land,
change, move away, get linked; an operator damages the warehouse and the
tracker by hand; runs are `kill -9`ed at random instants; recovery commands
run. A Python model of what SPEC.md promises is checked after every step and,
after a final `run` + `fix-inconsistencies` + `run`, in full.

Only the standard library is used. The real binary is driven through its CLI
in a temporary folder per night (kept on failure, or with --keep).

    python3 Tests/nights/random_nights.py --bin .build/debug/lading --fixed
    python3 Tests/nights/random_nights.py --bin BIN --seeds 1,2,3 [--steps 25]
    python3 Tests/nights/random_nights.py --bin BIN --seed-start 100 --count 50
    python3 Tests/nights/random_nights.py --bin BIN --soak-seconds 600
    python3 Tests/nights/random_nights.py --bin BIN --backend postgres --fixed

With --backend postgres (nights_backends.py) the process starts one private cluster
(initdb/pg_ctl as the postgres user when root, a unix socket in its /tmp/lading-pg-nights-*
folder, fsync off), gives each night its own database (schema dw, state schema
lading_state, lease_seconds 2), and stops the cluster at exit. What differs from SQLite:
the tracker damage is a dropped schema or table, a column dropped, renamed or retyped, or
its rows deleted; kills are timed on changes to the cluster's WAL files; hand damage
addresses rows by ctid; and four more steps exercise several workers (README "Using
PostgreSQL": runs share the run lock as workers, claim files with leases renewed by a
heartbeat, and are fenced when their file or lock was taken from them):

* force_unlock: `force-unlock --yes` beside a live run must exit 75 and change nothing
  (the run is not fenced).
* force_unlock_paused: a run stopped with SIGSTOP until its heartbeat ran out (by the
  database clock) is not live: `force-unlock --yes` exits 0; continued with SIGCONT the
  run must exit 1 saying "lock lost" (or "lease lost"), unless its last write was
  already committed.
* workers: 2-4 `lading run` at once (some with --table subsets), maybe one or two
  `kill -9`ed at random instants: no file loaded by two workers (I5), each loaded file
  COMPLETED in the tracker, agreeing with its ledger row and its rows (exactly one copy,
  I1-I3), no file left PROCESSING by a worker that ended, and a run after the kills
  finishes the killed workers' files.
* pause_takeover: a run stopped past its lease; a second run takes its file over and
  finishes it; continued, the first must exit 1 with "lease lost" (or "lock lost") unless
  that file was committed before the pause, and the file's rows are there once. When the
  stopped run holds row locks (stopped inside a transaction) the second run waits for it
  (README: not built); the step then judges exits and the model only.

Each of these first lands 0-3 files (some of 400-2000 records, so pauses and kills land
inside loads). A command that hangs only until the harness continues a stopped run
(force-unlock waiting for it) is a soft failure: logged, the night goes on, and fails
at its end. A failing night's database is dumped as warehouse.pg_dump.sql into its kept
folder.

Kill timings are wall-clock, so a seed reproduces the same actions but not
always the same interleaving with the killed process; the printed action log
says where each kill landed (the delay and whether the process had already
exited).

How the model reads SPEC (where SPEC is silent or open, the reading is written
next to the check that uses it):

* Append tables (SPEC 1 I1, 5): at any quiet moment the rows of a file are
  either absent or exactly one copy of the good records of one content the file
  has had (never half a file, never twice). Two paths to one file (a symlink in
  source_path) count as one file (SPEC 4). After the final run + fix + run a
  file still on disk holds exactly its current content once; the one exception
  is a completed file changed on disk, which SPEC 4 says is "reported, not
  silently reloaded": it may keep its old content if `file_changed` is reported.
* Files moved out of source_path ("archived" by the operator): their rows stay
  as they were when they left (SPEC 6: "rows of a file no longer on disk are
  never deleted"; README: reset keeps the state of files no longer on disk).
  If the operator damaged them (deleted/duplicated rows, dropped the table)
  the rows cannot come back: the expected result is a finding naming the file
  or table, not the rows returning.
* Bad records (wrong field count, non-integer in an integer column, NULL SCD2
  key) are quarantined with their line number; the ledger keeps
  records_read = rows_loaded + rows_quarantined (I2). A "poison" file (bad
  ratio above max_bad_record_ratio, or a truncated gzip) FAILS and leaves no
  rows (SPEC 3, 5); data errors are not retried (SPEC 7), so
  `failed_retries_exhausted` may be reported for it.
* SCD2 (I4): the table equals replaying, in file name order, the contents the
  ledger says were applied; each file is applied at most once (one ledger path
  per physical file); timestamps are checked for shape only (one boundary per
  file, a closed version ends at its closing file's boundary, never before it
  starts, no overlap, at most one current version with end NULL). A file that
  sorts before an applied one is late: with the default `late_files: fail` it
  FAILS (data error) and holds back the files after it (SPEC 4, 7), so those
  may stay unloaded; a reset replays the table with it in place.
* Hand damage to an SCD2 table is limited to duplicating version rows and
  dropping the table: deleting a version row is not something SPEC's checks
  can see (row counts are checked for append tables only).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter

from nights_backends import DBError, IntegrityError, PostgresBackend, SqliteBackend

FIXED_SEEDS = [1, 2, 3, 5, 8, 13, 21, 34]
STEP_KINDS: Counter = Counter()  # steps drawn in this process, by kind (passing and failing nights)

# --------------------------------------------------------------------------
# tables

APPEND_TABLES = {
    "ta": {"dir": "land/ta", "pattern": "*.csv", "prefix": "a_",
           "cols": [("id", "integer"), ("qty", "integer"), ("name", "text")]},
    "tb": {"dir": "land/tb", "pattern": "*.csv*", "prefix": "b_",
           "cols": [("code", "text"), ("amount", "real"), ("n", "integer"), ("day", "date")]},
}
SCD = "cust"
SCD_DIR = "land/cust"
SCD_COLS = [("k", "integer"), ("v", "text"), ("w", "integer"), ("note", "text")]
TABLES = ["ta", "tb", SCD]

NAME_POOL = ["alpha", "beta", "with,comma", 'say "hi"', "ünïcode", "x y z", "", None, "semi;colon"]
V_POOL = ["red", "green", "blue", "with,comma", None, "amber", "teal"]


class Failure(Exception):
    """A property of SPEC did not hold (the product's fault, if the model is right)."""

    def __init__(self, category: str, detail: str, table: str | None = None):
        super().__init__(f"[{category}] {detail}")
        self.category = category
        self.detail = detail
        self.table = table


class Proc:
    """A `lading` command started by Night.spawn (several run at once in the workers steps)."""

    def __init__(self, p: subprocess.Popen, args: list, base: str):
        self.p = p
        self.args = args
        self.base = base            # logs/NNN-COMMAND: .out and .err
        self.t0 = time.monotonic()
        self.wall0 = time.time()
        self.killed = False         # SIGKILLed by the harness
        self.stopped = False        # SIGSTOPped by the harness and not continued yet
        self.rc = None
        self.dt = None


# --------------------------------------------------------------------------
# CSV rendering (RFC 4180)

def csv_field(value, force_quote=False):
    """Render one field; None is an empty unquoted field (NULL), "" is a quoted empty string."""
    if value is None:
        return ""
    s = str(value)
    if s == "" or force_quote or any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


class Version:
    """One content of a landing file: the bytes on disk and what SPEC says a load gives."""

    def __init__(self, raw: bytes, good: list, bad_lines: list, nrecords: int, text: bytes):
        self.raw = raw
        self.good = good            # typed tuples, in file order
        self.bad_lines = bad_lines  # 1-based line numbers of bad records
        self.nrecords = nrecords
        self.shas = {hashlib.sha256(raw).hexdigest(), hashlib.sha256(text).hexdigest()}

    def once(self):
        return Counter(self.good)


class PFile:
    """A physical landing file (its links are other paths to it)."""

    def __init__(self, table: str, name: str, path: str, kind: str, gz: bool):
        self.table = table
        self.name = name
        self.path = path            # absolute path in source_path (as lading tracks it)
        self.kind = kind            # good | poison | late | dupkey
        self.gz = gz
        self.versions: list[Version] = []
        self.present = True
        self.archived_to = None
        self.links: list[str] = []
        self.flagged = False        # rows damaged by hand and not seen clean since
        self.expected_rows = None   # archived append file: the rows that must stay
        self.archived_complete_sha = None  # archived scd2 file: ledger sha when it left
        self.unreadable = False
        self.records = None         # generator state: the current record list

    @property
    def cur(self) -> Version:
        return self.versions[-1]

    def paths(self):
        return [self.path] + self.links


# --------------------------------------------------------------------------

class Night:
    def __init__(self, seed: int, binary: str, steps: int, keep: bool, verbose: bool = False, without=(),
                 backend=None):
        self.seed = seed
        self.backend = backend or SqliteBackend()
        self.rng = random.Random(seed)
        self.bin = binary
        self.steps = steps
        self.keep = keep
        self.verbose = verbose
        self.dir = tempfile.mkdtemp(prefix=f"nights-{seed}-")
        self.cfg = os.path.join(self.dir, "lading.yaml")
        self.state = os.path.join(self.dir, "state")
        self.log: list[str] = []
        self.files: list[PFile] = []
        self.by_path: dict[str, PFile] = {}
        self.counter = {"a_": 0, "b_": 0, "c_": 0, "id": 0, "link": 0, "scdkey": 0, "badkey": 100000, "cmd": 0}
        self.scd_snapshot: dict[int, tuple] = {}
        self.scd_deletes = self.rng.choice(["close", "ignore"])
        # Half the nights load append files straight into their tables in one transaction
        # (direct_load_max_mb); drawn from a generator of its own so every other step of a
        # seed stays what it was.
        self.direct = random.Random(seed * 7919 + 1).random() < 0.5
        self.scd_flagged = False
        self.scd_unrecoverable = False   # SCD2 damage while a needed file was gone
        self.work_estimate = 0.5  # seconds of the last run that had work to do
        self.steps_done = 0
        self.without = set(without)
        self.dropped: set = set()
        self.last_fix_err = ""
        self.procs: list[Proc] = []      # spawned commands not reaped yet
        self.kinds: Counter = Counter()  # steps drawn, by kind
        self.soft: list = []             # (category, detail) of soft failures

    # ---------------------------------------------------------------- setup
    def setup(self):
        for t in APPEND_TABLES.values():
            os.makedirs(os.path.join(self.dir, t["dir"]))
        os.makedirs(os.path.join(self.dir, SCD_DIR))
        os.makedirs(os.path.join(self.dir, "archive"))
        os.makedirs(os.path.join(self.dir, "logs"))
        lines = [
            "state_dir: ./state",
            "warehouse:",
        ] + self.backend.setup(self) + [
            "retry_attempts: 3",
            "timeout_minutes: 60",
            "batch_size: 50",
        ] + (["direct_load_max_mb: 1"] if self.direct else []) + [
            # Generated files keep bad records at or below 20%; poison files are 90% bad.
            "max_bad_record_ratio: 0.5",
            "retry:",
            "  base_seconds: 0.01",
            "  max_seconds: 0.05",
            "  attempts_in_run: 2",
            # Poison files fail on purpose; the breaker is not what this test is about.
            "circuit_breaker_threshold: 1000",
            "tables:",
        ]
        for name, t in APPEND_TABLES.items():
            lines += [
                f"  - table_name: {name}",
                f"    source_path: ./{t['dir']}",
                f"    file_pattern: \"{t['pattern']}\"",
                "    format: csv",
                "    loading_strategy: append",
                "    columns:",
            ] + [f"      {c}: {ty}" for c, ty in t["cols"]]
        lines += [
            f"  - table_name: {SCD}",
            f"    source_path: ./{SCD_DIR}",
            "    file_pattern: \"c_*.csv\"",
            "    format: csv",
            "    loading_strategy: scd2",
            "    primary_keys: [k]",
            "    tracking_columns: [v, w]",
            "    scd2_effective_from: load_time",
            f"    scd2_deletes: {self.scd_deletes}",
            # SPEC's mass-delete guard is not modelled: allow any share of closes.
            "    scd2_max_delete_ratio: 1.0",
            "    columns:",
        ] + [f"      {c}: {ty}" for c, ty in SCD_COLS]
        with open(self.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.note(f"config: scd2_deletes={self.scd_deletes}" + (", direct_load_max_mb: 1" if self.direct else "")
                  + (f", backend {self.backend.name}" if self.backend.name != "sqlite" else ""))

    def soft_failure(self, category, detail):
        """A broken property the night can continue past (a hang that ended once the harness
        let it): logged now, and the night fails when it ends."""
        self.soft.append((category, detail))
        self.note(f"FAILED [{category}] (the night goes on; it fails at its end): {detail}")

    def note(self, s):
        self.log.append(f"{self.steps_done:>3} {s}")
        if self.verbose:
            print(f"  [{self.seed}] {self.log[-1]}", flush=True)

    # ------------------------------------------------------------ lading CLI
    def spawn(self, args):
        """Start `lading ARGS` without waiting; its output goes to logs/NNN-COMMAND.{out,err}."""
        self.counter["cmd"] += 1
        n = self.counter["cmd"]
        base = os.path.join(self.dir, "logs", f"{n:03d}-{args[0]}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LADING_")}
        with open(base + ".out", "wb") as out, open(base + ".err", "wb") as err:
            p = subprocess.Popen([self.bin] + args + ["--config", self.cfg], cwd=self.dir,
                                 stdout=out, stderr=err, env=env)
        proc = Proc(p, args, base)
        self.procs.append(proc)
        return proc

    def reap(self, proc, timeout=180, allow=(), judge=True):
        """Wait for a spawned command and (unless judge=False: the caller calls judge_proc once
        it logged the step) judge its exit as `lading` does; returns its exit code."""
        try:
            proc.rc = proc.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.end(proc)
            raise Failure("hang", f"`lading {' '.join(proc.args)}` did not finish in {timeout}s (log {proc.base}.err)")
        proc.dt = time.monotonic() - proc.t0
        if proc in self.procs:
            self.procs.remove(proc)
        if judge:
            self.judge_proc(proc, allow)
        return proc.rc

    def judge_proc(self, proc, allow=()):
        self.judge(proc.args, proc.rc, proc.killed, proc.base, allow)

    def end(self, proc):
        """SIGKILL a spawned command (also a stopped one) and wait for it."""
        if proc.p.poll() is None:
            os.kill(proc.p.pid, signal.SIGKILL)
            proc.killed = True
        proc.p.wait()
        proc.stopped = False
        if proc in self.procs:
            self.procs.remove(proc)

    def end_all(self):
        """A failing night leaves no command behind, least of all a stopped one."""
        for proc in list(self.procs):
            self.end(proc)

    def beside_rebuild(self, proc):
        """A run that met a worker rebuilding a damaged tracker alone (SPEC §9: exit 75)."""
        msg = self.tail(proc.base + ".err")
        return self.backend.name == "postgres" and ("rebuilt by a worker alone" in msg or "rebuilding a damaged tracker alone" in msg
                                                   or "(run run-" in msg)

    def judge(self, args, rc, killed, base, allow=()):
        if not killed and rc == 70:
            msg = self.tail(base + ".err")
            sig = next((k for k in ("File exists", "no such table", "not a database", "integrity", "disk I/O",
                                    "UNIQUE constraint", "locked", "duplicate key", "does not exist",
                                    "lock lost", "terminat") if k in msg), "other")
            raise Failure(f"exit-70:{args[0]}:{sig}", f"`lading {' '.join(args)}` exited 70 (internal error): " + msg)
        if not killed and rc == 75 and 75 not in allow:
            msg = self.tail(base + ".err")
            # SPEC §9 with several workers: a worker rebuilding a damaged tracker holds the run
            # lock alone for that time; a run meeting it (or a worker that could not be alone
            # in time) exits 75, which is the contract, not a stuck lock.
            if self.backend.name == "postgres" and ("rebuilt by a worker alone" in msg or "rebuilding a damaged tracker alone" in msg
                                                   or "(run run-" in msg):
                self.log.append(f"      {' '.join(args)}: exit 75 beside a worker rebuilding the tracker alone")
                return
            raise Failure("exit-75", f"`lading {' '.join(args)}` exited 75 (lock held) with no live run: " + msg)

    def lading(self, args, kill_after=None, kill_on_change=None, timeout=180, meanwhile=None, allow=()):
        """Run `lading ARGS`; with kill_after, SIGKILL it after that many seconds; with
        kill_on_change=(n, extra), SIGKILL it `extra` seconds after the n-th change seen in the
        warehouse or tracker files (stat only, no lock taken; on PostgreSQL the WAL files),
        which spreads kills over a load; with meanwhile, call meanwhile(process) once it started.
        Exit codes in `allow` (75) are the caller's to judge."""
        proc = self.spawn(args)
        p, t0, base = proc.p, proc.t0, proc.base
        killed = False
        if meanwhile is not None:
            meanwhile(p)
        if kill_on_change is not None:
            n, extra = kill_on_change
            if self.wait_changes(p, n, t0):
                time.sleep(extra)
                if p.poll() is None:
                    os.kill(p.pid, signal.SIGKILL)
                    killed = True
        if kill_after is not None:
            try:
                p.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                killed = True
        proc.killed = killed
        rc = self.reap(proc, timeout=timeout, allow=allow)
        return rc, killed, proc.dt, base

    def wait_changes(self, p, n, t0):
        """Wait for the n-th change of the backend's signature while `p` runs (at most 60 s
        from t0); True when it was seen."""
        sig = self.backend.signature
        last, seen = sig(self), 0
        while p.poll() is None and time.monotonic() - t0 < 60:
            cur = sig(self)
            if cur != last:
                seen, last = seen + 1, cur
                if seen >= n:
                    return True
            time.sleep(0.0005)
        return False

    @staticmethod
    def tail(path, n=600):
        try:
            with open(path, "rb") as f:
                data = f.read().decode("utf-8", "replace")
            return data[-n:].strip().replace("\n", " | ")
        except OSError:
            return ""

    # ------------------------------------------------------------ generators
    def gen_append_record(self, table, bad_kind=None):
        """Return (fields, typed tuple or None when the record is bad)."""
        r = self.rng
        self.counter["id"] += 1
        i = self.counter["id"]
        if table == "ta":
            qty = r.choice([None] + list(range(-5, 500)))
            name = r.choice(NAME_POOL + [f"n{i}"] * 3)
            fields = [str(i), csv_field(qty), csv_field(name, force_quote=r.random() < 0.1)]
            typed = (i, qty, name)
            int_idx = 1
        else:
            amount = r.randint(-4000, 4000) / 4
            n = r.choice([None, r.randint(0, 10 ** 6)])
            day = f"20{r.randint(10, 29)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
            fields = [f"C{i}", repr(amount), csv_field(n), day]
            typed = (f"C{i}", amount, n, day)
            int_idx = 2
        if bad_kind == "fields-":
            return fields[:-1], None
        if bad_kind == "fields+":
            return fields + ["extra"], None
        if bad_kind == "int":
            fields[int_idx] = r.choice(["x7", "1.5", "abc", "12q"])
            return fields, None
        return fields, typed

    def header(self, table):
        cols = APPEND_TABLES[table]["cols"] if table != SCD else SCD_COLS
        return ",".join(c for c, _ in cols)

    def build_version(self, table, records, gz, truncate_gz=False):
        """records: list of (fields, typed-or-None). Returns a Version."""
        eol = "\r\n" if self.rng.random() < 0.2 else "\n"
        lines = [self.header(table)] + [",".join(f) for f, _ in records]
        text = (eol.join(lines) + eol).encode("utf-8")
        good, bad = [], []
        for idx, (_, typed) in enumerate(records):
            if typed is None:
                bad.append(idx + 2)  # header is line 1, no field spans lines
            else:
                good.append(typed)
        raw = gzip.compress(text, mtime=0) if gz else text
        if truncate_gz:
            raw = raw[: max(10, len(raw) // 2)]
        return Version(raw, good, bad, len(records), text)

    def append_records(self, table, nrows, bad_share):
        recs = []
        for _ in range(nrows):
            bk = None
            if self.rng.random() < bad_share:
                bk = self.rng.choice(["fields-", "fields+", "int"])
            recs.append(self.gen_append_record(table, bk))
        return recs

    def scd_record(self, k, vals, bad_kind=None):
        v, w, note = vals
        fields = [str(k), csv_field(v), csv_field(w), csv_field(note)]
        if bad_kind == "fields":
            return fields[:-1], None
        if bad_kind == "int":
            fields[2] = "zz"
            return fields, None
        if bad_kind == "nullkey":
            fields[0] = ""
            return fields, None
        return fields, (k, v, w, note)

    def scd_mutate(self, snap):
        """A new full snapshot from an old one: changes, note-only changes, deletes, new keys."""
        r = self.rng
        new = dict(snap)
        for k in list(new):
            x = r.random()
            v, w, note = new[k]
            if x < 0.15:
                new[k] = (r.choice(V_POOL), w, note)
            elif x < 0.25:
                new[k] = (v, r.choice([None, r.randint(0, 99)]), note)
            elif x < 0.33:
                new[k] = (v, w, f"note{r.randint(0, 999)}")  # untracked column only
            elif x < 0.40 and self.scd_deletes == "close":
                del new[k]
        for _ in range(r.randint(0 if new else 3, 6)):
            self.counter["scdkey"] += 1
            new[self.counter["scdkey"]] = (r.choice(V_POOL), r.choice([None, r.randint(0, 99)]),
                                           f"note{r.randint(0, 999)}")
        return new

    def scd_records(self, snap, bad=True, dup=False):
        keys = list(snap)
        self.rng.shuffle(keys)
        recs = [self.scd_record(k, snap[k]) for k in keys]
        if bad:
            for _ in range(self.rng.choice([0, 0, 1, 2])):
                self.counter["badkey"] += 1
                bk = self.rng.choice(["fields", "int", "nullkey"])
                recs.insert(self.rng.randint(0, len(recs)),
                            self.scd_record(self.counter["badkey"], ("bad", 1, "bad"), bk))
        if dup and keys:
            k = self.rng.choice(keys)
            vals = snap[k]
            recs.insert(self.rng.randint(0, len(recs)), self.scd_record(k, (vals[0], vals[1], "dup")))
        return recs

    # ---------------------------------------------------------- file helpers
    def write_file(self, pf: PFile, version: Version):
        tmp = pf.path + ".tmpw"
        with open(tmp, "wb") as f:
            f.write(version.raw)
        os.replace(tmp, pf.path)  # the uploader renames into place
        pf.versions.append(version)

    def new_pfile(self, table, kind, name=None, gz=False):
        if table == SCD:
            d = SCD_DIR
            if name is None:
                self.counter["c_"] += 1
                name = f"c_{self.counter['c_'] * 10:05d}.csv"
        else:
            t = APPEND_TABLES[table]
            d = t["dir"]
            self.counter[t["prefix"]] += 1
            name = f"{t['prefix']}{self.counter[t['prefix']]:04d}.csv" + (".gz" if gz else "")
        path = os.path.join(self.dir, d, name)
        pf = PFile(table, name, path, kind, gz)
        self.files.append(pf)
        self.by_path[path] = pf
        return pf

    def present_files(self, table=None, kinds=None):
        return [f for f in self.files if f.present and (table is None or f.table == table)
                and (kinds is None or f.kind in kinds)]

    # ------------------------------------------------------- warehouse reads
    def wh_connect(self):
        """The warehouse through the backend (None while a SQLite warehouse does not exist)."""
        return self.backend.connect(self)

    @staticmethod
    def table_exists(con, name):
        return con.table_exists(name)

    def append_rows(self, con, table):
        """{_source_file: Counter(data tuples)}"""
        out: dict[str, Counter] = {}
        if con is None or not self.table_exists(con, table):
            return out
        cols = ", ".join(f'"{c}"' for c, _ in APPEND_TABLES[table]["cols"])
        for row in con.query(f'SELECT {cols}, _source_file FROM "{table}"'):
            out.setdefault(row[-1], Counter())[tuple(row[:-1])] += 1
        return out

    def ledger(self, con):
        """{(table, source_file): dict}"""
        out = {}
        if con is None or not self.table_exists(con, "_lading_loads"):
            return out
        for d in con.query_dicts("SELECT * FROM _lading_loads"):
            out[(d["table_name"], d["source_file"])] = d
        return out

    def quarantine(self, con):
        """{(table, source_file): Counter(line_number)} of records not reprocessed."""
        out: dict = {}
        if con is None or not self.table_exists(con, "_lading_quarantine"):
            return out
        for t, sf, line in con.query(
                "SELECT table_name, source_file, line_number FROM _lading_quarantine WHERE reprocessed_at IS NULL"):
            out.setdefault((t, sf), Counter())[line] += 1
        return out

    def pfile_rows(self, rows_by_src, pf):
        c = Counter()
        for p in pf.paths():
            c.update(rows_by_src.get(p, Counter()))
        return c

    def classify_rows(self, rows: Counter, pf: PFile):
        """None when absent, else the index of the version the rows are exactly one copy of, else 'dirty'."""
        if not rows:
            return None
        for i in range(len(pf.versions) - 1, -1, -1):
            if rows == pf.versions[i].once():
                return i
        return "dirty"

    def version_by_sha(self, pf: PFile, sha):
        for i in range(len(pf.versions) - 1, -1, -1):
            if sha in pf.versions[i].shas:
                return i
        return None

    # --------------------------------------------------- invariants (always)
    def check_invariants(self, where: str):
        """What must hold at every quiet moment, whatever happened before."""
        con = self.wh_connect()
        try:
            known = set()
            for pf in self.files:
                known.update(pf.paths())
            led = self.ledger(con)
            for (t, sf), d in led.items():
                if sf not in known:
                    raise Failure("ledger-unknown-file", f"{where}: ledger row for {sf} ({t}), a path that never existed")
                if d["status"] == "complete":
                    rr, rl, rq = d["records_read"], d["rows_loaded"], d["rows_quarantined"]
                    if rr != rl + rq:
                        raise Failure("I2-ledger", f"{where}: {sf}: records_read {rr} != rows_loaded {rl} + rows_quarantined {rq}")
            for table in APPEND_TABLES:
                rows = self.append_rows(con, table)
                for sf in rows:
                    if sf not in known:
                        raise Failure("rows-unknown-file", f"{where}: {table} holds rows of {sf}, a path that never existed")
                for pf in self.files:
                    if pf.table != table:
                        continue
                    got = self.pfile_rows(rows, pf)
                    if not pf.present and pf.expected_rows is not None:
                        if got != pf.expected_rows:
                            raise Failure("archived-rows-changed",
                                          f"{where}: {pf.name} is no longer on disk; its rows changed from "
                                          f"{sum(pf.expected_rows.values())} to {sum(got.values())} "
                                          f"({self.diff(pf.expected_rows, got)})", table=pf.table)
                        continue
                    under = [p for p in pf.paths() if rows.get(p)]
                    if len(under) > 1 and not pf.flagged:
                        raise Failure("link-loaded-twice", f"{where}: {pf.name} ({table}) has rows under {len(under)} "
                                      f"paths {[os.path.basename(p) for p in under]} (SPEC 4: two paths to one file "
                                      f"load it once per table)", table=table)
                    cls = self.classify_rows(got, pf)
                    if pf.flagged:
                        if cls != "dirty":
                            pf.flagged = False
                        continue
                    if pf.kind == "poison" and cls is not None:
                        raise Failure("poison-loaded", f"{where}: rows of poison file {pf.name} are in {table}", table=table)
                    if cls == "dirty":
                        raise Failure("I1-append", f"{where}: rows of {pf.name} ({table}) are neither absent nor exactly "
                                      f"one copy of a content it had: {self.describe_rows(got, pf)}", table=table)
            self.check_scd_shape(con, where)
            self.check_scd_replay(con, where)
        finally:
            if con is not None:
                con.close()

    @staticmethod
    def diff(a: Counter, b: Counter):
        missing = a - b
        extra = b - a
        return f"missing {sum(missing.values())}, extra {sum(extra.values())}"

    def describe_rows(self, got: Counter, pf: PFile):
        parts = [f"{sum(got.values())} rows, {len(got)} distinct"]
        for i, v in enumerate(pf.versions):
            parts.append(f"v{i}: {len(v.good)} good ({self.diff(v.once(), got)})")
        dups = sum(1 for c in got.values() if c > 1)
        parts.append(f"{dups} duplicated")
        return "; ".join(parts)

    def scd_rows(self, con):
        if con is None or not self.table_exists(con, SCD):
            return None
        return con.query(self.backend.scd_select(SCD))

    def check_scd_shape(self, con, where):
        rows = self.scd_rows(con)
        if rows is None:
            return
        problems = []
        per_key: dict = {}
        for r in rows:
            per_key.setdefault(r[0], []).append(r)
        for k, vs in per_key.items():
            vs.sort(key=lambda r: (r[4] or "", r[5] is None, r[5] or ""))
            cur = [r for r in vs if r[6] == 1]
            if len(cur) > 1:
                problems.append(f"key {k}: {len(cur)} current versions")
            for r in vs:
                if (r[6] == 1) != (r[5] is None):
                    problems.append(f"key {k}: is_current={r[6]} with end_date={r[5]}")
                if r[5] is not None and r[4] is not None and r[5] < r[4]:
                    problems.append(f"key {k}: version ends {r[5]} before it starts {r[4]}")
            for a, b in zip(vs, vs[1:]):
                if a[5] is None or (b[4] is not None and a[5] > b[4]):
                    problems.append(f"key {k}: versions overlap ({a[4]}..{a[5]} and {b[4]}..{b[5]})")
        if problems:
            if self.scd_flagged:
                return
            raise Failure("I4-scd2-shape", f"{where}: " + "; ".join(problems[:5]), table=SCD)

    # ---------------------------------------------------------------- steps
    def step_add(self):
        r = self.rng
        table = r.choices(TABLES, [35, 30, 35])[0]
        if table == SCD:
            return self.step_add_scd()
        gz = table == "tb" and r.random() < 0.4
        pf = self.new_pfile(table, "good", gz=gz)
        nrows = r.choice([r.randint(5, 40), r.randint(5, 40), r.randint(51, 140), r.randint(120, 300)])
        bad_share = r.choice([0, 0, 0.03, 0.1, 0.2])
        recs = self.append_records(table, nrows, bad_share)
        bad = sum(1 for _, t in recs if t is None)
        if bad > nrows * 0.25:  # stay well below max_bad_record_ratio
            recs = [(f, t) for f, t in recs if t is not None] + [x for x in recs if x[1] is None][: int(nrows * 0.2)]
        pf.records = recs
        self.write_file(pf, self.build_version(table, recs, gz))
        self.note(f"add {table}/{pf.name}: {len(recs)} records, {len(pf.cur.bad_lines)} bad")

    def step_add_big(self):
        """An append file of 400-2000 records (batch_size is 50): loads long enough that a kill
        or a pause of a worker lands inside one (the several-workers steps)."""
        r = self.rng
        table = r.choice(list(APPEND_TABLES))
        gz = table == "tb" and r.random() < 0.3
        pf = self.new_pfile(table, "good", gz=gz)
        recs = self.append_records(table, r.randint(400, 2000), r.choice([0, 0.01, 0.05]))
        pf.records = recs
        self.write_file(pf, self.build_version(table, recs, gz))
        self.note(f"add big {table}/{pf.name}: {len(recs)} records, {len(pf.cur.bad_lines)} bad")

    def land_for_workers(self):
        """0-3 new files before a several-workers step, so the workers have files to share."""
        for _ in range(self.rng.randint(0, 3)):
            if self.rng.random() < 0.5:
                self.step_add()
            else:
                self.step_add_big()

    def step_add_scd(self):
        pf = self.new_pfile(SCD, "good")
        self.scd_snapshot = self.scd_mutate(self.scd_snapshot)
        recs = self.scd_records(self.scd_snapshot)
        pf.records = recs
        self.write_file(pf, self.build_version(SCD, recs, False))
        self.note(f"add {SCD}/{pf.name}: {len(recs)} records, {len(pf.cur.bad_lines)} bad")

    def step_add_poison(self):
        r = self.rng
        table = r.choice(TABLES)
        if table == SCD:
            # duplicate keys within one file fail the file (SPEC 5)
            pf = self.new_pfile(SCD, "dupkey")
            snap = self.scd_mutate(self.scd_snapshot)
            recs = self.scd_records(snap, bad=False, dup=True)
            self.write_file(pf, self.build_version(SCD, recs, False))
            self.note(f"add poison {SCD}/{pf.name}: duplicate key")
            return
        if table == "tb" and r.random() < 0.5:
            pf = self.new_pfile(table, "poison", gz=True)
            recs = self.append_records(table, r.randint(20, 80), 0)
            self.write_file(pf, self.build_version(table, recs, True, truncate_gz=True))
            self.note(f"add poison {table}/{pf.name}: truncated gzip")
            return
        pf = self.new_pfile(table, "poison")
        recs = self.append_records(table, 10, 0)[:1] + [self.gen_append_record(table, "int") for _ in range(9)]
        self.write_file(pf, self.build_version(table, recs, False))
        self.note(f"add poison {table}/{pf.name}: 9 of 10 records bad")

    def step_add_late_scd(self):
        """A file whose name sorts before the last applied one (SPEC 4: late)."""
        con = self.wh_connect()
        try:
            led = self.ledger(con)
        finally:
            if con:
                con.close()
        done = sorted(os.path.basename(sf) for (t, sf), d in led.items() if t == SCD and d["status"] == "complete")
        nums = [int(n[2:7]) for n in done if n[2:7].isdigit()]
        if not nums:
            return self.step_add_scd()
        top = max(nums)
        taken = {f.name for f in self.files if f.table == SCD}
        cands = [m for m in range(1, top) if m % 10 and f"c_{m:05d}.csv" not in taken]
        if not cands:
            return self.step_add_scd()
        m = self.rng.choice(cands)
        pf = self.new_pfile(SCD, "late", name=f"c_{m:05d}.csv")
        snap = self.scd_mutate(self.scd_snapshot)  # not kept as the generator's latest
        recs = self.scd_records(snap)
        pf.records = recs
        self.write_file(pf, self.build_version(SCD, recs, False))
        self.note(f"add late {SCD}/{pf.name} (sorts before applied c_{top:05d}.csv): {len(recs)} records")

    def step_modify(self):
        cands = [f for f in self.present_files() if f.kind in ("good", "late") and f.records is not None]
        if not cands:
            return self.note("modify: nothing to modify")
        pf = self.rng.choice(cands)
        r = self.rng
        recs = list(pf.records)
        if pf.table == SCD:
            snap = {t[0]: t[1:] for _, t in recs if t is not None}
            snap = self.scd_mutate(snap)
            new = self.scd_records(snap)
            what = "new snapshot"
        else:
            ops = []
            for _ in range(r.randint(1, 3)):
                op = r.choice(["append", "remove", "change", "bad"])
                if op == "append" or not recs:
                    recs += self.append_records(pf.table, r.randint(1, 60), 0.05)
                elif op == "remove":
                    del recs[r.randrange(len(recs))]
                elif op == "change":
                    recs[r.randrange(len(recs))] = self.gen_append_record(pf.table)
                else:
                    recs.insert(r.randint(0, len(recs)), self.gen_append_record(pf.table, "int"))
                ops.append(op)
            if sum(1 for _, t in recs if t is None) > len(recs) * 0.3:
                recs = [x for x in recs if x[1] is not None] + self.append_records(pf.table, 3, 0)
            new = recs
            what = "+".join(ops)
        ver = self.build_version(pf.table, new, pf.gz)
        if any(ver.shas & v.shas for v in pf.versions):
            return self.note(f"modify {pf.name}: same content, skipped")
        pf.records = new
        self.write_file(pf, ver)
        self.note(f"modify {pf.table}/{pf.name} ({what}): now {ver.nrecords} records, {len(ver.bad_lines)} bad")

    def step_archive(self):
        cands = self.present_files()
        if not cands:
            return self.note("archive: nothing on disk")
        pf = self.rng.choice(cands)
        if pf.table == SCD and self.rng.random() < 0.6:
            return self.note("archive: skipped (scd2 files are archived less often)")
        con = self.wh_connect()
        try:
            if pf.table != SCD:
                got = self.pfile_rows(self.append_rows(con, pf.table), pf)
                cls = self.classify_rows(got, pf)
                if cls == "dirty" and not pf.flagged:
                    raise Failure("I1-append", f"before archiving {pf.name}: rows neither absent nor exactly once: "
                                  + self.describe_rows(got, pf), table=pf.table)
                pf.expected_rows = got
            else:
                led = self.ledger(con)
                d = led.get((SCD, pf.path))
                if d and d["status"] == "complete":
                    pf.archived_complete_sha = d["content_sha256"]
                    if self.scd_flagged:
                        self.scd_unrecoverable = True
        finally:
            if con:
                con.close()
        dest = os.path.join(self.dir, "archive", f"{pf.table}-{pf.name}")
        os.rename(pf.path, dest)
        pf.present = False
        pf.archived_to = dest
        self.note(f"archive {pf.table}/{pf.name} (moved out of source_path; "
                  f"{sum(pf.expected_rows.values()) if pf.expected_rows is not None else '-'} rows in table)"
                  + (f"; links now dangle: {[os.path.basename(l) for l in pf.links]}" if pf.links else ""))

    def step_link(self):
        cands = [f for f in self.present_files() if f.kind in ("good", "late", "poison", "dupkey")]
        if not cands:
            return self.note("link: nothing on disk")
        pf = self.rng.choice(cands)
        if pf.table == SCD:
            # Only a file already applied: a link is another path to it and must not
            # apply it again (SPEC 4); see the module doc.
            con = self.wh_connect()
            try:
                d = self.ledger(con).get((SCD, pf.path))
            finally:
                if con:
                    con.close()
            if not d or d["status"] != "complete":
                return self.note(f"link: {pf.name} not applied yet, skipped")
        self.counter["link"] += 1
        prefix = {"ta": "a_", "tb": "b_", SCD: "c_"}[pf.table]
        ext = ".csv.gz" if pf.gz else ".csv"
        lname = f"{prefix}link{self.counter['link']:03d}{ext}"
        lpath = os.path.join(os.path.dirname(pf.path), lname)
        os.symlink(pf.name, lpath)
        pf.links.append(lpath)
        self.by_path[lpath] = pf
        self.note(f"link {pf.table}/{lname} -> {pf.name}")

    def step_damage_rows(self):
        r = self.rng
        con = self.wh_connect()
        if con is None:
            return self.note("damage: no warehouse yet")
        try:
            table = r.choice(TABLES)
            if not self.table_exists(con, table):
                return self.note(f"damage: {table} does not exist")
            if table == SCD:
                rows = con.query(f'SELECT {con.rowid} AS rid, k, is_current FROM "{SCD}"')
                if not rows:
                    return self.note("damage: scd2 table empty")
                pick = r.choice(rows)
                try:
                    con.execute(f'INSERT INTO "{SCD}" SELECT * FROM "{SCD}" WHERE {con.rowid} = ?', (pick[0],))
                except IntegrityError:
                    closed = [x for x in rows if x[2] != 1]
                    if not closed:
                        return self.note(f"damage {SCD}: duplicate blocked by unique index, no closed version")
                    pick = r.choice(closed)
                    con.execute(f'INSERT INTO "{SCD}" SELECT * FROM "{SCD}" WHERE {con.rowid} = ?', (pick[0],))
                self.scd_flagged = True
                self.mark_scd_unrecoverable()
                return self.note(f"damage {SCD}: duplicated version row of key {pick[1]} (current={pick[2]}) by hand")
            srcs = [x[0] for x in con.query(f'SELECT DISTINCT _source_file FROM "{table}"')]
            # One hand damage per file until it is repaired: deleting k rows and later
            # duplicating k others keeps the file's row count, and SPEC 6 checks counts
            # (validate-consistency has no content checksum per file; a known limit).
            srcs = [x for x in srcs if not (self.by_path.get(x) is not None and self.by_path[x].flagged)]
            if not srcs:
                return self.note(f"damage: {table} empty")
            src = r.choice(sorted(srcs))
            rowids = [x[0] for x in con.query(f'SELECT {con.rowid} AS rid FROM "{table}" WHERE _source_file = ?', (src,))]
            k = r.randint(1, max(1, min(5, len(rowids))))
            chosen = r.sample(rowids, k)
            marks = ",".join("?" * k)
            if r.random() < 0.5:
                con.execute(f'DELETE FROM "{table}" WHERE {con.rowid} IN ({marks})', chosen)
                what = "deleted"
            else:
                con.execute(f'INSERT INTO "{table}" SELECT * FROM "{table}" WHERE {con.rowid} IN ({marks})', chosen)
                what = "duplicated"
        finally:
            con.close()
        pf = self.by_path.get(src)
        if pf is not None:
            pf.flagged = True
            self.refresh_archived_expectation(pf)
        self.note(f"damage {table}: {what} {k} rows of {os.path.basename(src)} by hand")

    def refresh_archived_expectation(self, pf):
        if not pf.present and pf.table != SCD:
            con = self.wh_connect()
            try:
                pf.expected_rows = self.pfile_rows(self.append_rows(con, pf.table), pf)
            finally:
                if con:
                    con.close()

    def mark_scd_unrecoverable(self):
        """A replay needs every applied file; one gone makes SCD2 damage unfixable."""
        if any(not f.present and f.table == SCD and f.archived_complete_sha for f in self.files):
            self.scd_unrecoverable = True

    def step_drop_table(self):
        table = self.rng.choice(TABLES)
        con = self.wh_connect()
        if con is None:
            return self.note("drop: no warehouse yet")
        try:
            if not self.table_exists(con, table):
                return self.note(f"drop: {table} does not exist")
            con.execute(f'DROP TABLE "{table}"')
            self.dropped.add(table)
        finally:
            con.close()
        if table == SCD:
            self.scd_flagged = True
            self.mark_scd_unrecoverable()
        else:
            for pf in self.files:
                if pf.table == table:
                    pf.flagged = True
                    self.refresh_archived_expectation(pf)
        self.note(f"drop table {table} by hand")

    def tracker_paths(self):
        return self.backend.tracker_paths(self)

    def step_tracker(self):
        if self.backend.name == "postgres":
            return self.step_tracker_pg()
        p = self.tracker_paths()[0]
        if not os.path.exists(p):
            return self.note("tracker: none yet")
        if self.rng.random() < 0.5:
            for x in self.tracker_paths():
                if os.path.exists(x):
                    os.remove(x)
            return self.note("tracker: deleted tracker.sqlite (+ -wal, -shm)")
        size = os.path.getsize(p)
        how = self.rng.choice(["truncate", "garbage-head", "garbage-middle"])
        if how == "truncate":
            with open(p, "r+b") as f:
                f.truncate(self.rng.randint(0, max(1, size // 2)))
        else:
            off = 0 if how == "garbage-head" else self.rng.randint(0, max(0, size - 1))
            junk = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(16, 600)))
            with open(p, "r+b") as f:
                f.seek(off)
                f.write(junk)
        self.note(f"tracker: garbled tracker.sqlite ({how}, was {size} bytes)")

    # PostgreSQL's tracker is a schema of the warehouse database: the hand damage that
    # matches a deleted or garbled tracker file is a dropped schema or table, or a column
    # dropped, renamed or retyped (README: a table dropped or altered by hand makes the
    # tracker damaged; it is set aside and rebuilt from the ledger), or its rows deleted.
    PG_TRACKER_DAMAGE = ["drop-schema", "drop-table", "drop-column", "rename-column", "retype-column", "delete-rows"]
    PG_TRACKER_TABLES = ["file_processing_tracker", "runs", "run_files", "circuit_breakers", "schema_version"]
    PG_TRACKER_COLUMNS = ["status", "content_sha256", "file_path", "updated_at", "retry_count", "error_message"]

    def step_tracker_pg(self):
        st = self.backend.state_db(self)
        if not st.query("SELECT 1 FROM pg_namespace WHERE nspname = ?", (self.backend.STATE,)):
            return self.note("tracker: none yet")
        hows = [h for h in self.PG_TRACKER_DAMAGE if f"tracker:{h}" not in self.without]
        if not hows:
            return self.note("tracker: every damage kind left out (--without)")
        how = self.rng.choice(hows)
        table = "file_processing_tracker"
        if how == "drop-schema":
            sql = f'DROP SCHEMA "{self.backend.STATE}" CASCADE'
        elif how == "drop-table":
            table = self.rng.choice(self.PG_TRACKER_TABLES)
            sql = f'DROP TABLE "{table}"'
        elif how == "delete-rows":
            sql = f'DELETE FROM "{table}"'
        else:
            col = self.rng.choice(self.PG_TRACKER_COLUMNS)
            sql = {"drop-column": f'ALTER TABLE "{table}" DROP COLUMN "{col}" CASCADE',
                   "rename-column": f'ALTER TABLE "{table}" RENAME COLUMN "{col}" TO "{col}_old"',
                   "retype-column": f'ALTER TABLE "{table}" ALTER COLUMN "{col}" TYPE bytea USING convert_to("{col}"::text, \'UTF8\')'}[how]
        try:
            st.execute(sql)
        except DBError as e:
            return self.note(f"tracker: {how} refused by the server ({str(e)[-160:]})")
        self.note(f"tracker: {sql} by hand")

    # ------------------------------------------- several workers (PostgreSQL only)
    # README "Using PostgreSQL": runs share the run lock as workers, claim files with
    # leases renewed by a heartbeat, are fenced per file ("lease lost") when their file
    # was taken over and per run ("lock lost") when force-unlock ended their lock
    # session; force-unlock refuses (75) while any worker is live. These steps start
    # commands with spawn() and judge them with reap(); every random choice of a step is
    # drawn before it starts anything, so a seed replays the same actions whatever the
    # timing.

    @staticmethod
    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def err_of(self, proc):
        return self.read(proc.base + ".err")

    def out_of(self, proc):
        return self.read(proc.base + ".out")

    @staticmethod
    def lost_in(text):
        """"lease lost" or "lock lost" when the run logged that it was fenced, else None."""
        return next((w for w in ("lease lost", "lock lost") if w in text), None)

    @staticmethod
    def run_id_in(text):
        """The run id a run logs (`run_id=`; `interrupted_run_id=` names another run)."""
        return next((w.split("=", 1)[1] for w in text.split() if w.startswith("run_id=")), None)

    @staticmethod
    def loaded_in(text):
        """(table, path) of every "file loaded" log line (written after the tracker's COMPLETED)."""
        out = []
        for line in text.splitlines():
            if " file loaded " not in line:
                continue
            f, t = re.search(r" file=(\S+)", line), re.search(r" table=(\S+)", line)
            if f and t:
                out.append((t.group(1), f.group(1)))
        return out

    def run_finished_in_warehouse(self, run_id):
        """The run's record in _lading_runs (written last, fenced like every write) is finished."""
        con = self.wh_connect()
        return bool(run_id and con is not None and con.table_exists("_lading_runs") and con.query(
            "SELECT 1 FROM _lading_runs WHERE run_id = ? AND finished_at IS NOT NULL", (run_id,)))

    @staticmethod
    def wait_exit(proc, seconds):
        deadline = time.monotonic() + seconds
        while proc.p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return proc.p.poll() is not None

    def draw_pause(self):
        """When to SIGSTOP a run: (delay, None) seconds after its start, or (n, extra) seconds
        after the n-th change of the cluster's WAL files (spread over a load)."""
        if self.rng.random() < 0.5:
            return ("after", round(self.rng.uniform(0, self.work_estimate), 3))
        return ("change", (self.rng.randint(1, 12), round(self.rng.uniform(0, 0.01), 4)))

    def pause(self, proc, when):
        """SIGSTOP `proc` as drawn by draw_pause; returns how (for the log). proc.stopped says
        whether it was still running (a run that already exited is left to reap)."""
        kind, arg = when
        if kind == "after":
            time.sleep(max(0.0, proc.t0 + arg - time.monotonic()))
            how = f"{arg:.3f}s into the run"
        else:
            n, extra = arg
            self.wait_changes(proc.p, n, proc.t0)
            time.sleep(extra)
            how = f"{extra:.4f}s after change #{n} of the WAL"
        if proc.p.poll() is not None:
            return how
        os.kill(proc.p.pid, signal.SIGSTOP)
        proc.stopped = True
        for _ in range(400):  # the stop is asynchronous: wait until the kernel shows it
            try:
                with open(f"/proc/{proc.p.pid}/stat") as f:
                    stat = f.read()
                state = stat[stat.rindex(")") + 2]
            except (OSError, ValueError, IndexError):
                break
            if state in "TtZX":
                break
            time.sleep(0.005)
        return how

    def start_paused_run(self, what):
        """Land 0-3 files, start a run and SIGSTOP it as draw_pause says: (run, how), or (None,
        how) when it had already exited (judged and logged here)."""
        self.land_for_workers()
        when = self.draw_pause()
        run = self.spawn(["run", "--no-progress"])
        how = self.pause(run, when)
        if run.stopped:
            return run, how
        rc = self.reap(run, judge=False)
        self.note(f"{what}: the run had exited {rc} before the pause ({how})")
        self.judge_proc(run)
        if rc not in (0, 1):
            raise Failure(f"run-exit-{rc}", f"`lading run` exited {rc}: " + self.tail(run.base + ".err"))
        return None, how

    def cont(self, proc):
        if proc.stopped:
            os.kill(proc.p.pid, signal.SIGCONT)
            proc.stopped = False

    def worker_of(self, proc):
        """The worker row of a spawned run: by the run id it logged, else by its pid (a row
        started after it); None when it has none (it holds no run lock, or not yet)."""
        rid = self.run_id_in(self.err_of(proc))
        rows = self.backend.workers(self) or []
        for w in rows:
            if rid is not None and w["run_id"] == rid:
                return w
        if rid is None:
            for w in rows:
                if w["pid"] == proc.p.pid and w["started_epoch"] >= proc.wall0 - 2:
                    return w
        return None

    def wait_lease_out(self, proc):
        """Wait until the stopped run's heartbeat ran out by the database clock (SPEC 9: a
        worker is live while its heartbeat is unexpired); returns its worker row or None."""
        deadline = time.monotonic() + self.backend.LEASE_SECONDS + 10
        while True:
            w = self.worker_of(proc)
            if w is None or not w["beating"]:
                return w
            if time.monotonic() > deadline:
                raise Failure("paused-worker-still-beating", f"run {w['run_id']} (pid {proc.p.pid}) was stopped with SIGSTOP "
                              f"more than {self.backend.LEASE_SECONDS + 10}s ago and its heartbeat_until is still ahead of now()")
            time.sleep(0.1)

    def check_worker_row(self, proc, w, how):
        """A run holding files has a worker row: without one, every other worker judges it dead
        at once (README: live = heartbeat unexpired and lock session there)."""
        if w is not None:
            return
        rid = self.run_id_in(self.err_of(proc))
        tr = self.backend.tracker_full(self) or {}
        held = sorted(p for (t, p), d in tr.items() if rid and d["status"] == "PROCESSING" and d["run_id"] == rid)
        if held:
            rows = self.backend.workers(self)
            raise Failure("worker-row-missing", f"run {rid} (stopped {how}) holds {[os.path.basename(p) for p in held]} "
                          f"(PROCESSING under its run id) but has no row in {self.backend.STATE}.workers (rows there: "
                          f"{[r['run_id'] for r in rows or []]}), so any other worker judges it dead at once and takes its "
                          f"files over; its log: " + self.tail(proc.base + ".err", 400))

    def tracker_after_run(self, where):
        tr = self.backend.tracker_full(self)
        if tr is None:
            raise Failure("tracker-unreadable-after-run", f"{where}: the tracker (state schema) cannot be read after a run "
                          "that exited 0 or 1 (a run repairs a damaged tracker first)")
        return tr

    def check_loaded(self, where, keys, tr):
        """Files a worker logged as loaded (or took over): tracker COMPLETED, a complete ledger row
        of a content the file had, agreeing with the tracker (I3), ledger counts and quarantine
        lines of that content (I2), and for append files that content's rows exactly once (I1)."""
        con = self.wh_connect()
        try:
            led = self.ledger(con)
            quar = self.quarantine(con)
            rows = {t: self.append_rows(con, t) for t in APPEND_TABLES}
        finally:
            if con is not None:
                con.close()
        for table, path in sorted(keys):
            pf = self.by_path.get(path)
            if pf is None:
                raise Failure("loaded-unknown-file", f"{where}: a worker loaded {path} ({table}), a path that never existed")
            d = tr.get((table, path))
            if d is None or d["status"] != "COMPLETED":
                raise Failure("I3-worker-tracker", f"{where}: {pf.name} ({table}) was loaded, yet the tracker says "
                              f"{d['status'] if d else 'nothing'}", table=table)
            lrow = led.get((table, path))
            if lrow is None or lrow["status"] != "complete":
                raise Failure("I3-worker-ledger", f"{where}: {pf.name} ({table}) is COMPLETED in the tracker, yet its ledger "
                              f"row is {lrow['status'] if lrow else 'missing'}", table=table)
            vi = self.version_by_sha(pf, lrow["content_sha256"])
            if vi is None:
                raise Failure("ledger-sha", f"{where}: {pf.name}: ledger sha matches no content the file ever had", table=table)
            if d["content_sha256"] and self.version_by_sha(pf, d["content_sha256"]) != vi:
                raise Failure("I3-worker-sha", f"{where}: {pf.name}: tracker and ledger name different contents", table=table)
            if pf.flagged:
                continue
            self.check_ledger_counts(pf, pf.versions[vi], lrow, quar)
            if table != SCD:
                got = self.pfile_rows(rows[table], pf)
                if got != pf.versions[vi].once():
                    raise Failure("I1-worker", f"{where}: {pf.name} ({table}) is COMPLETED with content v{vi}, yet its rows "
                                  f"are not one copy of it: {self.describe_rows(got, pf)}", table=table)

    def must_finish(self, table, path):
        """An append file (its own path, not a link) that a take-over must finish: on disk,
        readable, a good file, not damaged by hand."""
        pf = self.by_path.get(path)
        return (table != SCD and pf is not None and path == pf.path and pf.present and pf.kind == "good"
                and not pf.unreadable and not pf.flagged)

    def finished_ok(self, d):
        """COMPLETED, or FAILED because its attempts ran out (a kill or a take-over counts one)."""
        return d is not None and (d["status"] == "COMPLETED" or (d["status"] == "FAILED" and (d["retry_count"] or 0) >= 3))

    def step_force_unlock(self):
        """PostgreSQL only: `force-unlock --yes` beside a live run. README: it refuses with 75
        while a worker is live and changes nothing: the run goes on unfenced (no "lock lost",
        no "lease lost") and ends with its own outcome. "No lock held" is fine before the run
        took its lock or after it gave it back; "Lock removed" only as the run was ending
        (this run is never paused, so it is never not live while it works)."""
        delay = round(self.rng.uniform(0, self.work_estimate), 3)
        run = self.spawn(["run", "--no-progress"])
        fu, tries = None, 0
        time.sleep(delay)
        # Again while the run lives and holds no lock yet (it may not have taken it yet).
        while run.p.poll() is None and tries < 5:
            tries += 1
            fu = self.spawn(["force-unlock", "--yes"])
            self.reap(fu, timeout=60, allow=(75,), judge=False)
            if fu.rc != 0 or "No lock held" not in self.out_of(fu):
                break
        rc = self.reap(run, judge=False)
        err = self.err_of(run)
        lost = self.lost_in(err)
        fout = self.out_of(fu).strip() if fu else ""
        what = ("none: the run had already exited" if fu is None else
                f"exit {fu.rc}" + (" (refused: a live worker)" if fu.rc == 75 else " (no lock held)" if "No lock held" in fout
                                   else " (lock removed)" if "Lock removed" in fout else ""))
        self.note(f"force-unlock --yes {delay:.3f}s into a run (x{tries}): {what}; the run exited {rc} ({run.dt:.2f}s)"
                  + (f", {lost}" if lost else "") + f" ({os.path.basename(run.base)})")
        if fu is not None:
            self.judge_proc(fu, allow=(75,))
        self.judge_proc(run)
        if rc not in (0, 1):
            raise Failure(f"run-exit-{rc}", f"`lading run` exited {rc}: " + self.tail(run.base + ".err"))
        if lost and rc != 1:
            raise Failure("lost-exit", f"the run logged \"{lost}\" and exited {rc}, not 1: " + self.tail(run.base + ".err"))
        if fu is None:
            return
        said = f"`force-unlock --yes` {delay:.3f}s into a run (try {tries}) exited {fu.rc} saying {fout!r}"
        if fu.rc not in (0, 75):
            raise Failure(f"force-unlock-exit-{fu.rc}", said + ": " + self.tail(fu.base + ".err"))
        if fu.rc == 75 or "No lock held" in fout:
            if lost:
                raise Failure("force-unlock-fenced-live-run", f"{said}, yet the run logged \"{lost}\" and exited {rc} "
                              f"(README: beside a live worker force-unlock refuses with 75 and changes nothing): "
                              + self.tail(run.base + ".err"))
            return
        if lost:
            raise Failure("force-unlock-ended-unpaused-run", f"{said}; the run was never paused, yet it logged \"{lost}\" and "
                          f"exited {rc} (README: a worker is live while its heartbeat is unexpired and its lock session "
                          f"exists; force-unlock refuses with 75 beside a live worker): " + self.tail(run.base + ".err"))
        run_id = self.run_id_in(err)
        if not self.run_finished_in_warehouse(run_id):
            raise Failure("force-unlock-not-fenced", f"{said}; the run exited {rc} without \"lock lost\" and its run record "
                          f"{run_id} in _lading_runs is not finished: " + self.tail(run.base + ".err"))

    def step_force_unlock_paused(self):
        """PostgreSQL only: a run stopped with SIGSTOP until its heartbeat ran out is not live:
        `force-unlock --yes` exits 0, ends its lock session and releases its leases. Continued
        with SIGCONT, the run must log "lock lost" (or "lease lost") and exit 1, unless it had
        already committed its last write (its run record is finished)."""
        run, how = self.start_paused_run("force-unlock beside a paused run")
        if run is None:
            return
        try:
            w = self.wait_lease_out(run)
            self.check_worker_row(run, w, how)
            t_out = time.monotonic()
            fu = self.spawn(["force-unlock", "--yes"])
            if not self.wait_exit(fu, 20):
                # A hang the night can get past: the run is continued, force-unlock then ends,
                # and the step is judged as usual; the night fails at its end (a soft failure).
                waits = self.backend.activity(self)
                self.cont(run)
                self.reap(fu, timeout=120, allow=(75,), judge=False)
                self.soft_failure("force-unlock-waits-for-paused-worker",
                                  f"`force-unlock --yes` beside a run stopped {how} past its lease (worker "
                                  f"{w['run_id'] if w else '-'}) did not finish in 20s; it finished only after the run was "
                                  f"continued ({fu.dt:.1f}s in all, exit {fu.rc}). Sessions waiting or in a transaction "
                                  f"after 20s: {waits}")
            self.reap(fu, timeout=120, allow=(75,), judge=False)
        finally:
            self.cont(run)
        stopped_for = time.monotonic() - t_out
        rc = self.reap(run, judge=False)
        err = self.err_of(run)
        lost = self.lost_in(err)
        fout = self.out_of(fu).strip()
        removed = "Lock removed" in fout
        self.note(f"force-unlock --yes beside a run stopped {how} past its lease (worker {w['run_id'] if w else 'none'}): "
                  f"exit {fu.rc}" + (" (lock removed)" if removed else " (no lock held)" if "No lock held" in fout else "")
                  + f"; continued {stopped_for:.1f}s later, the run exited {rc}" + (f", {lost}" if lost else "")
                  + f" ({os.path.basename(run.base)})")
        self.judge_proc(fu, allow=(75,))
        self.judge_proc(run)
        said = f"`force-unlock --yes` beside a run stopped {how} (worker {w['run_id'] if w else 'none'}) exited {fu.rc} saying {fout!r}"
        if fu.rc != 0:
            raise Failure(f"force-unlock-exit-{fu.rc}", said + " (README: a worker whose heartbeat ran out is not live; "
                          "force-unlock then ends its lock session, exit 0): " + self.tail(fu.base + ".err"))
        if rc not in (0, 1):
            raise Failure(f"run-exit-{rc}", f"{said}; the continued run exited {rc}: " + self.tail(run.base + ".err"))
        if lost and rc != 1:
            raise Failure("lost-exit", f"{said}; the run logged \"{lost}\" and exited {rc}, not 1: " + self.tail(run.base + ".err"))
        if not removed:
            if w is not None:
                raise Failure("force-unlock-missed-paused-worker", f"{said}, though the stopped run has a worker row and "
                              f"so holds the run lock")
            if lost:
                raise Failure("fenced-without-force-unlock", f"{said}; yet the run logged \"{lost}\": "
                              + self.tail(run.base + ".err"))
            return
        if not lost:
            run_id = self.run_id_in(err) or (w["run_id"] if w else None)
            if not self.run_finished_in_warehouse(run_id):
                raise Failure("force-unlock-not-fenced", f"{said}; continued, the run exited {rc} without \"lock lost\" or "
                              f"\"lease lost\" and its run record {run_id} is not finished (README: those runs are fenced: "
                              f"they commit nothing more and exit 1): " + self.tail(run.base + ".err"))

    def step_pause_takeover(self):
        """PostgreSQL only: a run stopped with SIGSTOP past its lease; a second run takes its file
        over (reconcile releases files whose owner is not live) and finishes it; continued, the
        first is fenced: "lease lost" (or "lock lost"), exit 1, unless the file was committed
        before the pause. The file's rows are there once. README ("Not built"): a worker
        stopped inside a transaction keeps its row locks, so the second run may wait for it;
        then both are only judged on their exits and the model."""
        block_wait = max(8.0, 4 * self.work_estimate)
        run1, how = self.start_paused_run("take-over of a paused run")
        if run1 is None:
            return
        run2 = None
        try:
            w = self.wait_lease_out(run1)
            self.check_worker_row(run1, w, how)
            rid = w["run_id"] if w else None
            tr = self.backend.tracker_full(self) or {}
            held = sorted(k for k, d in tr.items() if rid and d["status"] == "PROCESSING" and d["run_id"] == rid)
            con = self.wh_connect()
            try:
                led = self.ledger(con)
            finally:
                if con is not None:
                    con.close()
            committed = {k for k in held if (led.get(k) or {}).get("status") == "complete"}
            run2 = self.spawn(["run", "--no-progress"])
            finished = self.wait_exit(run2, block_wait)
            waits = None if finished else self.backend.activity(self)
            after2, rows2 = None, {}
            if finished:
                after2 = self.tracker_after_run("after the run beside the paused one")
                done = [k for k in held if (after2.get(k) or {}).get("status") == "COMPLETED"]
                if done:
                    self.check_loaded("after the run that took the paused run's file over", done, after2)
                    con = self.wh_connect()
                    try:
                        for table, path in done:
                            if table != SCD:
                                rows2[(table, path)] = self.pfile_rows(self.append_rows(con, table), self.by_path[path])
                    finally:
                        if con is not None:
                            con.close()
        finally:
            self.cont(run1)
        rc2 = self.reap(run2, judge=False)
        rc1 = self.reap(run1, judge=False)
        err1, err2 = self.err_of(run1), self.err_of(run2)
        lost1, lost2 = self.lost_in(err1), self.lost_in(err2)
        names = ", ".join(f"{t}/{os.path.basename(p)}" for t, p in held) or "no file"
        desc = f"run stopped {how} past its lease holding {names}"
        if after2 is None:
            second = (f"waited for it until it was continued (README: a stopped worker keeps its row locks; waiting after "
                      f"{block_wait:.0f}s: {waits})")
        else:
            second = f"finished in {run2.dt:.2f}s" + ("".join(f", {os.path.basename(p)} {(after2.get((t, p)) or {}).get('status')}"
                                                             for t, p in held))
        self.note(f"{desc}; a second run {second}: exit {rc2} ({os.path.basename(run2.base)}); continued, the paused run "
                  f"exited {rc1} ({os.path.basename(run1.base)})" + (f", {lost1}" if lost1 else ""))
        self.judge_proc(run1)
        self.judge_proc(run2)
        for rc, proc, who in ((rc1, run1, "the paused run"), (rc2, run2, "the run beside it")):
            if rc not in (0, 1) and not (rc == 75 and self.beside_rebuild(proc)):
                raise Failure(f"run-exit-{rc}", f"{desc}: {who} exited {rc}: " + self.tail(proc.base + ".err"))
        if lost2:
            raise Failure("lease-lost-unpaused", f"{desc}: the second run, never paused, logged \"{lost2}\" and exited "
                          f"{rc2}: " + self.tail(run2.base + ".err"))
        if lost1 and rc1 != 1:
            raise Failure("lost-exit", f"{desc}: the paused run logged \"{lost1}\" and exited {rc1}, not 1")
        if after2 is None:
            return
        if not held:
            if lost1 == "lease lost":
                raise Failure("lease-lost-without-lease", f"{desc}: the paused run held no file, yet logged \"lease lost\": "
                              + self.tail(run1.base + ".err"))
            return
        taken = []
        for k in held:
            d = after2.get(k)
            if d is not None and d["status"] == "PROCESSING" and d["run_id"] == rid:
                raise Failure("expired-lease-not-taken-over", f"{desc}: after a second run (exit {rc2}) "
                              f"{os.path.basename(k[1])} is still PROCESSING under the paused run, whose heartbeat ran out "
                              f"(README: a worker's reconcile releases PROCESSING files whose owner is not live)")
            taken.append(k)
            if self.must_finish(*k) and not self.finished_ok(d):
                raise Failure("takeover-not-finished", f"{desc}: the second run (exit {rc2}) took {os.path.basename(k[1])} "
                              f"over but left it {d['status'] if d else 'untracked'} ({(d or {}).get('error_message')}): "
                              + self.tail(run2.base + ".err"))
        if taken and not set(taken) <= committed and not lost1:
            raise Failure("paused-worker-not-fenced", f"{desc}: its file was taken over by a second run, yet continued it "
                          f"exited {rc1} without \"lease lost\" or \"lock lost\" (README: a worker whose file was taken over "
                          f"commits nothing, logs \"lease lost\" and exits 1): " + self.tail(run1.base + ".err"))
        if rows2:
            con = self.wh_connect()
            try:
                for (table, path), before in rows2.items():
                    now = self.pfile_rows(self.append_rows(con, table), self.by_path[path])
                    if now != before:
                        raise Failure("I1-fenced-write", f"{desc}: {os.path.basename(path)}'s rows changed after the paused "
                                      f"run continued: {self.diff(before, now)}", table=table)
            finally:
                if con is not None:
                    con.close()

    def step_workers(self):
        """PostgreSQL only: 2-4 `lading run` workers at once, some with a --table subset, and
        maybe one or two SIGKILLed at random instants. Workers that meet a file another one
        holds skip it: no file is loaded by two of them (I5), each file they loaded is
        COMPLETED and agrees with the ledger and its rows (I1-I3), no worker that ended left
        a file PROCESSING, and a run after the kills finishes the killed workers' files."""
        self.land_for_workers()
        r = self.rng
        argsets = []
        for _ in range(r.randint(2, 4)):
            a = ["run", "--no-progress"]
            if r.random() < 0.35:
                for t in sorted(r.sample(TABLES, r.randint(1, 2))):
                    a += ["--table", t]
            argsets.append(a)
        victims = r.sample(range(len(argsets)), min(len(argsets), r.choice([0, 0, 1, 1, 2])))
        kills = sorted((round(r.uniform(0, 1.5 * self.work_estimate), 3), i) for i in victims)
        procs = [self.spawn(a) for a in argsets]
        t0 = time.monotonic()
        for delay, i in kills:
            time.sleep(max(0.0, t0 + delay - time.monotonic()))
            if procs[i].p.poll() is None:
                os.kill(procs[i].p.pid, signal.SIGKILL)
                procs[i].killed = True
        for proc in procs:
            self.reap(proc, judge=False)
        spans = [proc.dt for proc in procs if not proc.killed and proc.dt > 0.1]
        if spans:
            self.work_estimate = max(spans)
        texts = [self.err_of(proc) for proc in procs]
        parts = []
        for i, (proc, text) in enumerate(zip(procs, texts)):
            tables = ",".join(proc.args[3::2]) or "all"
            skipped = text.count("file taken by another worker") + text.count("another worker is applying")
            parts.append(f"w{i}[{tables}]: " + ("killed" if proc.killed else f"exit {proc.rc}")
                         + f" {len(self.loaded_in(text))} loaded {skipped} skipped ({os.path.basename(proc.base)})")
        desc = f"{len(procs)} workers at once" + (f", kill -9 of {len(kills)} at {[d for d, _ in kills]}s" if kills else "")
        self.note(desc + ": " + "; ".join(parts))
        try:
            self.judge_workers(procs, texts, kills, desc)
        except Failure as e:
            # Workers meeting a damaged tracker each try to set it aside: name that, so such
            # failures group together.
            if any("the tracker was not usable" in t for t in texts):
                e.category += "[a worker rebuilt the tracker]"
            raise

    def judge_workers(self, procs, texts, kills, desc):
        for i, (proc, text) in enumerate(zip(procs, texts)):
            if proc.killed:
                continue
            self.judge_proc(proc)
            if proc.rc not in (0, 1) and not (proc.rc == 75 and self.beside_rebuild(proc)):
                raise Failure(f"worker-exit-{proc.rc}", f"worker {i} (`{' '.join(proc.args)}`) exited {proc.rc}: "
                              + self.tail(proc.base + ".err"))
            lost = self.lost_in(text)
            if lost:
                raise Failure("lease-lost-unpaused", f"worker {i} (`{' '.join(proc.args)}`), never paused, logged \"{lost}\" "
                              f"and exited {proc.rc}: " + self.tail(proc.base + ".err"))
        writers: dict = {}
        for i, text in enumerate(texts):
            for k in set(self.loaded_in(text)):
                writers.setdefault(k, []).append(i)
        twice = {k: v for k, v in writers.items() if len(v) > 1}
        if twice:
            (t, p), who = next(iter(twice.items()))
            raise Failure("I5-two-writers", f"{desc}: {os.path.basename(p)} ({t}) was loaded by workers {who} "
                          f"(SPEC 9: at most one writer per file)", table=t)
        where = f"after {desc}"
        tr = self.tracker_after_run(where)
        survivors = {self.run_id_in(text) for proc, text in zip(procs, texts) if not proc.killed} - {None}
        stuck = sorted(k for k, d in tr.items() if d["status"] == "PROCESSING" and d["run_id"] in survivors)
        if stuck:
            raise Failure("worker-left-processing", f"{where}: {[os.path.basename(p) for _, p in stuck]} stay PROCESSING "
                          f"under a worker that ended")
        self.check_loaded(where, writers.keys(), tr)
        if not kills:
            return
        orphans = sorted(k for k, d in tr.items() if d["status"] == "PROCESSING")
        rc, _, dt, base = self.lading(["run", "--no-progress"])
        if rc not in (0, 1):
            raise Failure(f"run-exit-{rc}", f"the run after the kills exited {rc}: " + self.tail(base + ".err"))
        text = self.read(base + ".err")
        lost = self.lost_in(text)
        if lost:
            raise Failure("lease-lost-unpaused", f"the run after the kills, alone, logged \"{lost}\": " + self.tail(base + ".err"))
        tr2 = self.tracker_after_run("after the run after the kills")
        left = sorted(k for k, d in tr2.items() if d["status"] == "PROCESSING")
        if left:
            raise Failure("killed-worker-file-left", f"after the kills and a run alone (exit {rc}), "
                          f"{[os.path.basename(p) for _, p in left]} stay PROCESSING (README: a killed worker's file is "
                          f"taken over by the next run)")
        for k in orphans:
            if self.must_finish(*k) and not self.finished_ok(tr2.get(k)):
                d = tr2.get(k) or {}
                raise Failure("killed-worker-file-not-finished", f"after the kills, the run alone (exit {rc}) left "
                              f"{os.path.basename(k[1])} {d.get('status')} ({d.get('error_message')}): "
                              + self.tail(base + ".err"), table=k[0])
        self.check_loaded("after the run after the kills",
                          [k for k in orphans + self.loaded_in(text) if (tr2.get(k) or {}).get("status") == "COMPLETED"], tr2)
        self.note(f"run after the kills: exit {rc} ({dt:.2f}s); the killed workers' files "
                  + (", ".join(f"{os.path.basename(p)} {tr2[(t, p)]['status']}" for t, p in orphans if (t, p) in tr2) or "none"))

    def step_chmod(self):
        cands = self.present_files()
        if not cands:
            return self.note("chmod: nothing on disk")
        pf = self.rng.choice(cands)
        os.chmod(pf.path, 0)
        try:
            with open(pf.path, "rb"):
                pass
            os.chmod(pf.path, 0o644)
            return self.note(f"chmod 000 {pf.name}: skipped (still readable, running as root)")
        except PermissionError:
            pf.unreadable = True
            self.note(f"chmod 000 {pf.table}/{pf.name}")

    def step_run(self):
        rc, _, dt, base = self.lading(["run", "--no-progress"])
        if rc not in (0, 1):
            raise Failure(f"run-exit-{rc}", f"`lading run` exited {rc}: " + self.tail(base + ".err"))
        if dt > 0.1:
            self.work_estimate = dt
        self.note(f"run: exit {rc} ({dt:.2f}s)")

    def step_kill(self, cmd):
        args = {"run": ["run", "--no-progress"], "fix": ["fix-inconsistencies"],
                "reset": ["reset-state", "--table", self.rng.choice(TABLES), "--yes"]}[cmd]
        if self.rng.random() < 0.5:
            delay = round(self.rng.uniform(0, self.work_estimate), 3)
            how = f"after {delay:.3f}s"
            rc, killed, dt, base = self.lading(args, kill_after=delay)
        else:
            n, extra = self.rng.randint(1, 12), round(self.rng.uniform(0, 0.01), 4)
            how = f"{extra:.4f}s after change #{n} of the state files"
            rc, killed, dt, base = self.lading(args, kill_on_change=(n, extra))
        if not killed and rc not in (0, 1):
            raise Failure(f"{cmd}-exit-{rc}", f"`lading {' '.join(args)}` exited {rc}: " + self.tail(base + ".err"))
        self.note(f"kill -9 `{' '.join(args)}` {how}: "
                  + (f"killed at {dt:.3f}s" if killed else f"had already exited {rc}"))

    def step_fix(self):
        rc, _, dt, base = self.lading(["fix-inconsistencies", "--json"])
        if rc not in (0, 1):
            raise Failure(f"fix-exit-{rc}", f"`lading fix-inconsistencies` exited {rc}: " + self.tail(base + ".err"))
        self.last_fix_err = self.tail(base + ".err", 400)
        self.note(f"fix-inconsistencies: exit {rc}" + (" (refused as a whole: nothing was changed)"
                                                       if "Nothing was changed" in self.last_fix_err else ""))

    def step_validate(self):
        rc, _, dt, base = self.lading(["validate-consistency", "--json"])
        if rc not in (0, 1):
            raise Failure(f"validate-exit-{rc}", f"`lading validate-consistency` exited {rc}: " + self.tail(base + ".err"))
        self.note(f"validate-consistency: exit {rc}")

    def step_reset_table(self):
        table = self.rng.choice(TABLES)
        rc, _, dt, base = self.lading(["reset-state", "--table", table, "--yes"])
        if rc not in (0, 1):
            raise Failure(f"reset-exit-{rc}", f"`lading reset-state --table {table}` exited {rc}: " + self.tail(base + ".err"))
        self.note(f"reset-state --table {table}: exit {rc}")

    def step_reset_file(self):
        cands = [p for f in self.files for p in f.paths()]
        if not cands:
            return self.note("reset --file: no files")
        p = self.rng.choice(cands)
        pf = self.by_path[p]
        arg = p if self.rng.random() < 0.5 else os.path.relpath(p, self.dir)
        before = None
        rc, _, dt, base = self.lading(["reset-state", "--file", arg, "--yes"])
        if rc not in (0, 1, 64):
            raise Failure(f"reset-exit-{rc}", f"`lading reset-state --file {arg}` exited {rc}: " + self.tail(base + ".err"))
        state = "on disk" if pf.present and p == pf.path else ("gone" if not pf.present else "link")
        self.note(f"reset-state --file {arg} ({state}): exit {rc}")

    # ------------------------------------------------------------- the night
    STEP_WEIGHTS = [
        ("add", 22), ("add_poison", 2), ("add_late", 4), ("modify", 6), ("archive", 5), ("link", 4),
        ("damage", 6), ("drop", 2), ("tracker", 4), ("chmod", 1), ("run", 15), ("kill_run", 12),
        ("fix", 5), ("kill_fix", 2), ("kill_reset", 1), ("reset_table", 3), ("reset_file", 4), ("validate", 2),
    ]

    # Steps only PostgreSQL has (appended, so SQLite nights draw as before).
    PG_STEP_WEIGHTS = [("force_unlock", 2), ("force_unlock_paused", 2), ("workers", 6), ("pause_takeover", 3)]

    def do_step(self, name):
        {
            "add": self.step_add, "add_poison": self.step_add_poison, "add_late": self.step_add_late_scd,
            "modify": self.step_modify, "archive": self.step_archive, "link": self.step_link,
            "damage": self.step_damage_rows, "drop": self.step_drop_table, "tracker": self.step_tracker,
            "chmod": self.step_chmod, "run": self.step_run, "kill_run": lambda: self.step_kill("run"),
            "fix": self.step_fix, "kill_fix": lambda: self.step_kill("fix"),
            "kill_reset": lambda: self.step_kill("reset"),
            "reset_table": self.step_reset_table, "reset_file": self.step_reset_file,
            "validate": self.step_validate, "force_unlock": self.step_force_unlock,
            "force_unlock_paused": self.step_force_unlock_paused, "workers": self.step_workers,
            "pause_takeover": self.step_pause_takeover,
        }[name]()

    def play(self):
        self.setup()
        for _ in range(self.rng.randint(2, 4)):
            self.step_add()
        kinds = self.STEP_WEIGHTS + (self.PG_STEP_WEIGHTS if self.backend.name == "postgres" else [])
        names = [n for n, _ in kinds if n not in self.without]
        weights = [w for n, w in kinds if n not in self.without]
        for i in range(self.steps):
            self.steps_done = i + 1
            kind = self.rng.choices(names, weights)[0]
            self.kinds[kind] += 1
            self.do_step(kind)
            try:
                self.check_invariants(f"after step {i + 1} ({kind})")
            except Failure as e:
                # The step after which a property broke says most about the cause.
                e.category = f"{e.category}@{kind}"
                raise
        self.steps_done += 1
        self.final()

    def reset_killed_files(self):
        # Kills count as attempts (a poison file must stop being retried, issue 12), so a
        # file whose loads were killed retry_attempts times ends FAILED, as SPEC says; the
        # operator then follows the advice validation gives for it. Model that, and only
        # that: files that died while loading get a fresh budget; data errors do not.
        rc, _, _, base = self.lading(["validate-consistency", "--json"])
        try:
            with open(base + ".out") as f:
                report = json.load(f)
        except (OSError, ValueError):
            report = {}
        killed_tables = sorted({f.get("table") for key in ("inconsistencies", "warnings", "unfixed") for f in report.get(key) or []
                                if f.get("kind") == "failed_retries_exhausted" and "died while loading" in (f.get("message") or "")
                                and f.get("table")})
        for table in killed_tables:
            rc, _, _, _ = self.lading(["reset-state", "--failed-only", "--table", table, "--yes"])
            self.note(f"final: reset-state --failed-only --table {table} (files killed retry_attempts times): exit {rc}")

    # ------------------------------------------------------------ the final
    def final(self):
        for pf in self.files:
            if pf.present and pf.unreadable:
                os.chmod(pf.path, 0o644)
        self.note("final: run, fix-inconsistencies, run")
        for kind, where in (("run", "the final run (1)"), ("fix", "the final fix-inconsistencies"),
                            ("run", "the final run (2)")):
            self.do_step(kind)
            if where == "the final run (1)":
                # The first run counts the last kill (reconcile), so look after it.
                self.reset_killed_files()
            try:
                self.check_invariants(f"after {where}")
            except Failure as e:
                e.category = f"{e.category}@final-{kind}"
                raise
        rc, _, _, base = self.lading(["validate-consistency", "--json"])
        try:
            with open(base + ".out") as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            raise Failure("validate-json", f"validate-consistency --json printed no JSON ({e}): {self.tail(base + '.out')}")
        if rc not in (0, 1):
            raise Failure(f"validate-exit-{rc}", f"validate-consistency exited {rc}")
        self.note(f"final validate-consistency: exit {rc}")
        findings = []
        for key in ("inconsistencies", "warnings", "unfixed"):
            for f in report.get(key) or []:
                if f not in findings:
                    findings.append(f)
        self.final_checks(findings, rc)

    def tracker_status(self):
        return {(t, fp): (st, err) for t, fp, st, err in self.backend.tracker_rows(self)}

    def final_checks(self, findings, vrc):
        con = self.wh_connect()
        try:
            led = self.ledger(con)
            quar = self.quarantine(con)
            rows = {t: self.append_rows(con, t) for t in APPEND_TABLES}
            scd_rows = self.scd_rows(con)
        finally:
            if con:
                con.close()
        tracker = self.tracker_status()
        # Findings the model allows, as (kind, path-or-table) pairs, and findings it requires.
        allowed: set = set()
        required: list = []   # (set of acceptable (kind, subject)), reason
        gone_paths = set()
        for pf in self.files:
            if not pf.present:
                gone_paths.update(pf.paths())

        def ledger_paths(pf):
            return [(p, led[(pf.table, p)]) for p in pf.paths()
                    if (pf.table, p) in led and led[(pf.table, p)]["status"] == "complete"]

        # ---- append tables
        for pf in self.files:
            if pf.table == SCD:
                continue
            got = self.pfile_rows(rows[pf.table], pf)
            lp = ledger_paths(pf)
            if len(lp) > 1:
                raise Failure("I1-link-twice", f"{pf.name}: loaded under {len(lp)} paths {[os.path.basename(p) for p, _ in lp]} "
                              f"(SPEC 4: two paths to one file load it once per table)", table=pf.table)
            if not pf.present:
                # Rows of a file gone from disk stay as they were (checked every step);
                # if they are not one clean copy while the ledger says complete, a finding
                # must name the file or its table (the damage cannot be repaired).
                cls = self.classify_rows(got, pf)
                for p in pf.paths():
                    allowed.update({("file_missing", p), ("reload_pending", p), ("row_count_mismatch", p),
                                    ("failed_retries_exhausted", p)})
                allowed.add(("table_missing", pf.table))
                if lp and (cls is None or cls == "dirty"):
                    required.append(({("row_count_mismatch", p) for p in pf.paths()} | {("table_missing", pf.table)},
                                     f"{pf.name} is gone from disk and its rows are damaged"))
                continue
            for p in pf.links:
                allowed.add(("file_missing", p))  # never expected, but a gone link is harmless
            if pf.kind == "poison":
                if got:
                    raise Failure("poison-loaded", f"{pf.name}: a file that must fail has rows in {pf.table}", table=pf.table)
                if lp:
                    raise Failure("poison-ledger", f"{pf.name}: a file that must fail has a complete ledger row")
                for p in pf.paths():
                    allowed.add(("failed_retries_exhausted", p))
                continue
            cls = self.classify_rows(got, pf)
            if pf.unreadable:
                for p in pf.paths():
                    allowed.add(("failed_retries_exhausted", p))
                if cls is None:
                    continue
            if cls is None or cls == "dirty":
                aborted = "Nothing was changed" in self.last_fix_err
                raise Failure("I1-final" + ("[fix-inconsistencies refused every repair]" if aborted else ""), f"{pf.table}/{pf.name} is on disk, yet after run + fix + run its rows are "
                              f"{'absent' if cls is None else 'not one copy of any content'}: {self.describe_rows(got, pf)}", table=pf.table)
            if not lp:
                raise Failure("I3-no-ledger", f"{pf.name}: rows loaded but no complete ledger row", table=pf.table)
            p, d = lp[0]
            vi = self.version_by_sha(pf, d["content_sha256"])
            if vi is None:
                raise Failure("ledger-sha", f"{pf.name}: ledger sha matches no content the file ever had", table=pf.table)
            if got != pf.versions[vi].once():
                raise Failure("ledger-sha", f"{pf.name}: ledger names content v{vi}, rows are one copy of v{cls}", table=pf.table)
            if vi != len(pf.versions) - 1:
                # SPEC 4: a completed file whose content changed is reported, not reloaded.
                required.append(({("file_changed", p) for p in pf.paths()},
                                 f"{pf.name} holds content v{vi} of {len(pf.versions)} and is not reported changed"))
                for p in pf.paths():
                    allowed.add(("file_changed", p))
            self.check_ledger_counts(pf, pf.versions[vi], d, quar)

        # ---- scd2
        self.final_scd(led, quar, scd_rows, tracker, allowed, required)

        # ---- validate-consistency's findings
        present = {(f.get("kind"), f.get("file") or f.get("table")) for f in findings}
        present |= {(f.get("kind"), f.get("table")) for f in findings}
        for f in findings:
            kind, path, table = f.get("kind"), f.get("file"), f.get("table")
            if (kind, path) in allowed or (kind, table) in allowed:
                continue
            if f.get("severity") == "warning" and path in gone_paths:
                continue
            raise Failure(f"finding-{kind}", f"validate-consistency reports {kind} for "
                          f"{os.path.basename(path) if path else table}: {f.get('message')} "
                          f"(fixable={f.get('fixable')}) after run + fix + run")
        for options, why in required:
            if not (options & present):
                raise Failure("finding-missing", f"{why}; expected one of "
                              f"{sorted({k for k, _ in options})} from validate-consistency")
        has_error = any(f.get("severity") != "warning" for f in findings)
        if has_error != (vrc == 1):
            raise Failure("validate-exit", f"validate-consistency exit {vrc} with error findings={has_error}")

    def check_ledger_counts(self, pf, ver, d, quar):
        if (d["records_read"], d["rows_loaded"], d["rows_quarantined"]) != (ver.nrecords, len(ver.good), len(ver.bad_lines)):
            raise Failure("I2-counts", f"{pf.name}: ledger read/loaded/quarantined = {d['records_read']}/"
                          f"{d['rows_loaded']}/{d['rows_quarantined']}, file has {ver.nrecords}/{len(ver.good)}/{len(ver.bad_lines)}", table=pf.table)
        q = Counter()
        for p in pf.paths():
            q.update(quar.get((pf.table, p), Counter()))
        if q != Counter(ver.bad_lines):
            raise Failure("I2-quarantine", f"{pf.name}: quarantine lines {sorted(q.elements())} != bad lines {ver.bad_lines}", table=pf.table)

    def final_scd(self, led, quar, scd_rows, tracker, allowed, required):
        scd_files = [f for f in self.files if f.table == SCD]
        applied = []  # (ledger path, pf, version index)
        for pf in scd_files:
            lps = [p for p in pf.paths() if (SCD, p) in led and led[(SCD, p)]["status"] == "complete"]
            if len(lps) > 1:
                raise Failure("I1-link-twice", f"{SCD}: {pf.name} applied under {len(lps)} paths "
                              f"{[os.path.basename(p) for p in lps]} (SPEC 4: once per table)", table=SCD)
            if pf.kind == "dupkey":
                if lps:
                    raise Failure("dupkey-applied", f"{pf.name} has a duplicate key yet was applied")
                for p in pf.paths():
                    allowed.add(("failed_retries_exhausted", p))
                continue
            if not lps:
                if not pf.present and pf.archived_complete_sha:
                    raise Failure("scd2-archived-ledger-lost", f"{pf.name} was applied and is gone from disk, "
                                  f"but its ledger row is no longer complete", table=SCD)
                continue
            p = lps[0]
            vi = self.version_by_sha(pf, led[(SCD, p)]["content_sha256"])
            if vi is None:
                raise Failure("ledger-sha", f"{pf.name}: ledger sha matches no content the file ever had")
            applied.append((p, pf, vi))
            self.check_ledger_counts(pf, pf.versions[vi], led[(SCD, p)], quar)
            if not pf.present:
                for q in pf.paths():
                    allowed.update({("file_missing", q), ("reload_pending", q)})
            elif vi != len(pf.versions) - 1:
                required.append(({("file_changed", q) for q in pf.paths()} ,
                                 f"{pf.name} applied as content v{vi} of {len(pf.versions)}, not reported changed"))
                for q in pf.paths():
                    allowed.add(("file_changed", q))
        applied.sort(key=lambda x: os.path.basename(x[0]))
        last = os.path.basename(applied[-1][0]) if applied else ""
        # Files on disk that were not applied must be excused by SPEC: late (sorts before an
        # applied file; fails as a data error), a failed file, or held back behind one.
        blockers = []
        applied_pfs = {id(pf) for _, pf, _ in applied}
        for pf in scd_files:
            if not pf.present or id(pf) in applied_pfs:
                continue
            # A table dropped (or damaged) while one of its applied files was gone cannot be
            # replayed, so a new snapshot cannot be applied either: it FAILS naming the
            # missing file (SPEC 6: say plainly what cannot be fixed).
            if pf.kind == "dupkey" or pf.unreadable or pf.name < last or (self.scd_unrecoverable and SCD in self.dropped):
                blockers.append(pf.name)
                for q in pf.paths():
                    allowed.add(("failed_retries_exhausted", q))
        for pf in scd_files:
            if not pf.present or id(pf) in applied_pfs:
                continue
            if pf.name in blockers and pf.kind != "dupkey" and not pf.unreadable:
                st = tracker.get((SCD, pf.path))
                if st is not None and st[0] != "FAILED" and not any(b < pf.name for b in blockers):
                    raise Failure("scd2-late-not-failed", f"late file {pf.name} (sorts before applied {last}) "
                                  f"is {st[0]}, not FAILED (SPEC 4: late_files: fail)", table=SCD)
            elif pf.name not in blockers and not any(b < pf.name for b in blockers):
                raise Failure("scd2-not-applied", f"{pf.name} is on disk and after run + fix + run is not applied, "
                              f"and no failed file before it holds it back (tracker: {tracker.get((SCD, pf.path))})", table=SCD)
        problems, order = self.scd_replay_problems(applied, scd_rows)
        if problems:
            if self.scd_unrecoverable:
                required.append(({("scd2_overlapping_versions", SCD), ("scd2_multiple_current", SCD), ("table_missing", SCD)},
                                 f"{SCD} was damaged while an applied file was gone; table differs from the replay"))
                allowed.update({("scd2_overlapping_versions", SCD), ("scd2_multiple_current", SCD), ("table_missing", SCD)})
                return
            raise Failure("I4-replay", f"{SCD} differs from replaying the applied files in name order [{order}]: "
                          + "; ".join(problems[:4]) + (f" (+{len(problems) - 4} more)" if len(problems) > 4 else ""), table=SCD)

    def scd_applied(self, led):
        """[(ledger path, pfile, version index)] of complete ledger rows, in name order."""
        applied = []
        for (t, p), d in led.items():
            if t != SCD or d["status"] != "complete":
                continue
            pf = self.by_path.get(p)
            if pf is None:
                raise Failure("ledger-unknown-file", f"{SCD}: ledger row for {p}, a path that never existed")
            vi = self.version_by_sha(pf, d["content_sha256"])
            if vi is None:
                raise Failure("ledger-sha", f"{pf.name}: ledger sha matches no content the file ever had")
            applied.append((p, pf, vi))
        applied.sort(key=lambda x: os.path.basename(x[0]))
        return applied

    def scd_replay_problems(self, applied, scd_rows):
        """Compare the table with replaying `applied` (SPEC 5 scd2 rules). Returns (problems, order text)."""
        model: dict = {}
        for p, pf, vi in applied:
            ver = pf.versions[vi]
            seen = set()
            for k, v, w, note in ver.good:
                seen.add(k)
                vs = model.setdefault(k, [])
                if vs and vs[-1][4] is None:
                    if (vs[-1][0], vs[-1][1]) == (v, w):
                        continue  # unchanged tracked values: nothing changes (note is not tracked)
                    vs[-1][4] = p
                vs.append([v, w, note, p, None])
            if self.scd_deletes == "close":
                for k, vs in model.items():
                    if k not in seen and vs[-1][4] is None:
                        vs[-1][4] = p
        actual: dict = {}
        for r in scd_rows or []:
            actual.setdefault(r[0], []).append(r)
        problems = []
        boundary: dict = {}
        for k in sorted(set(model) | set(actual)):
            m = model.get(k, [])
            a = sorted(actual.get(k, []), key=lambda r: (r[4] or "", r[5] is None, r[5] or ""))
            ms = [(x[0], x[1], x[2], x[4] is None) for x in m]
            as_ = [(r[1], r[2], r[3], r[6] == 1) for r in a]
            if ms != as_:
                problems.append(f"key {k}: expected {ms}, table has {as_}")
                continue
            for x, r in zip(m, a):
                if r[7] != x[3]:
                    problems.append(f"key {k}: version {x[:3]} opened by {os.path.basename(x[3])}, _source_file {r[7]}")
                boundary.setdefault(("open", x[3]), set()).add(r[4])
                if x[4] is not None:
                    boundary.setdefault(("close", x[4]), set()).add(r[5])
        for (what, p), vals in boundary.items():
            if len(vals) != 1:
                problems.append(f"{os.path.basename(p)}: {len(vals)} different {what} timestamps {sorted(vals)[:3]} (one boundary per file)")
        for p, _, _ in applied:
            o, c = boundary.get(("open", p)), boundary.get(("close", p))
            if o and c and len(o) == 1 and len(c) == 1 and o != c:
                problems.append(f"{os.path.basename(p)}: versions it closes end {next(iter(c))}, versions it opens start {next(iter(o))}")
        order = ", ".join(f"{os.path.basename(p)}(v{vi})" for p, _, vi in applied)
        return problems, order

    def check_scd_replay(self, con, where):
        """At a quiet moment with every ledger row of the table complete, the table is the replay."""
        led = self.ledger(con)
        rows = [d for (t, _), d in led.items() if t == SCD]
        if any(d["status"] != "complete" for d in rows):
            return  # a reload marker: the table is between a reset and its replay
        applied = self.scd_applied(led)
        seen = {}
        for p, pf, _ in applied:
            if id(pf) in seen:
                raise Failure("link-loaded-twice", f"{where}: {SCD}: {pf.name} applied under two paths "
                              f"{os.path.basename(seen[id(pf)])} and {os.path.basename(p)} (SPEC 4: once per table)", table=SCD)
            seen[id(pf)] = p
        problems, order = self.scd_replay_problems(applied, self.scd_rows(con))
        if self.scd_flagged:
            # hand damage: wait until a repair makes the table the replay again
            if not problems:
                self.scd_flagged = False
            return
        if problems:
            by_commit = sorted(applied, key=lambda x: led[(SCD, x[0])]["committed_at"] or "")
            hint = ""
            if [x[0] for x in by_commit] != [x[0] for x in applied]:
                hint = (" (ledger commit order: " + ", ".join(os.path.basename(x[0]) for x in by_commit)
                        + ": a file was applied after one that sorts after it)")
            raise Failure("scd2-applied-out-of-order" if hint else "I4-replay-midnight", f"{where}: {SCD} differs from replaying the applied files in name "
                          f"order [{order}]{hint}: " + "; ".join(problems[:3])
                          + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""), table=SCD)


# --------------------------------------------------------------------------

def run_night(seed, args, backend):
    night = Night(seed, args.bin, args.steps, args.keep, args.verbose, args.without, backend)
    t0 = time.monotonic()
    try:
        try:
            night.play()
        finally:
            night.end_all()  # a failing night leaves no command running, least of all a stopped one
            STEP_KINDS.update(night.kinds)
    except Failure as e:
        # Name the hand damage a failure may come from, so causes group together.
        if e.table is not None and e.table in night.dropped and not e.category.startswith("link"):
            e.category += "[a table was dropped]"
        backend.teardown(night, failed=True)
        report_failure(night, e.category, e.detail)
        return False, night, e.category
    except Exception as e:  # a harness error is a failure too, loudly labelled
        backend.teardown(night, failed=True)
        report_failure(night, "harness-error", traceback.format_exc())
        return False, night, "harness-error"
    if night.soft:
        backend.teardown(night, failed=True)
        category = "+".join(sorted({c for c, _ in night.soft}))
        report_failure(night, category, "\n       ".join(f"[{c}] {d}" for c, d in night.soft))
        return False, night, category
    backend.teardown(night, failed=False)
    dt = time.monotonic() - t0
    print(f"night {seed}: ok ({night.steps_done} steps, {dt:.1f}s)", flush=True)
    if not args.keep:
        shutil.rmtree(night.dir, ignore_errors=True)
    return True, night, None


def report_failure(night, category, message):
    print(f"\n=== night {night.seed} FAILED [{category}] at step {night.steps_done} ===", flush=True)
    print(f"check: {message}")
    print(f"folder (kept): {night.dir}" + (" (the database as warehouse.pg_dump.sql)" if night.backend.name == "postgres" else ""))
    print("action log:")
    for line in night.log:
        print(f"  {line}")
    extra = f" --without {','.join(sorted(night.without))}" if night.without else ""
    if night.backend.name != "sqlite":
        extra += f" --backend {night.backend.name}"
    print(f"reproduce: python3 {sys.argv[0]} --bin {night.bin} --seeds {night.seed} --steps {night.steps}{extra}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the lading binary")
    ap.add_argument("--seeds", help="comma-separated seeds")
    ap.add_argument("--seed-start", type=int)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--soak-seconds", type=float)
    ap.add_argument("--fixed", action="store_true", help=f"the fixed seeds {FIXED_SEEDS} (make test)")
    ap.add_argument("--steps", type=int, help="random steps per night (default 25; 60 with --fixed)")
    ap.add_argument("--keep", action="store_true", help="keep every night's folder")
    ap.add_argument("--without", type=lambda s: [x for x in s.split(",") if x], default=[],
                    help="step kinds never drawn, e.g. link,kill_run (to look past a known failure); "
                         "kinds: " + ",".join(n for n, _ in Night.STEP_WEIGHTS + Night.PG_STEP_WEIGHTS)
                         + "; on postgres also a kind of tracker damage: "
                         + ",".join("tracker:" + h for h in Night.PG_TRACKER_DAMAGE))
    ap.add_argument("--verbose", action="store_true", help="print each action as it happens")
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                    help="the warehouse: sqlite (default), or postgres on one private cluster this process "
                         "starts (a database per night) and stops at exit")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if args.steps is None:
        args.steps = 60 if args.fixed else 25
    if not os.access(args.bin, os.X_OK):
        ap.error(f"--bin {args.bin} is not an executable")
    backend = PostgresBackend() if args.backend == "postgres" else SqliteBackend()

    def terminated(number, _frame):
        raise KeyboardInterrupt(f"signal {number}")
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, terminated)
    try:
        backend.start()
        run_nights(args, backend)
    finally:
        backend.stop()


def run_nights(args, backend):
    failures = []
    nights = steps = 0
    t0 = time.monotonic()
    if args.soak_seconds:
        deadline = time.monotonic() + args.soak_seconds
        seed = args.seed_start if args.seed_start is not None else int(time.time()) % 1_000_000
        while time.monotonic() < deadline:
            ok, night, cat = run_night(seed, args, backend)
            nights += 1
            if ok:
                steps += night.steps_done
            else:
                failures.append((seed, cat))
            seed += 1
    else:
        if args.fixed:
            seeds = FIXED_SEEDS
        elif args.seeds:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        elif args.seed_start is not None:
            seeds = list(range(args.seed_start, args.seed_start + args.count))
        else:
            seeds = FIXED_SEEDS
        for seed in seeds:
            ok, night, cat = run_night(seed, args, backend)
            nights += 1
            if ok:
                steps += night.steps_done
            else:
                failures.append((seed, cat))
    print(f"\n{nights - len(failures)} of {nights} nights passed ({steps} steps in passing nights; "
          f"backend {backend.name}, {time.monotonic() - t0:.0f}s)")
    print("steps drawn, by kind: " + ", ".join(f"{k} {n}" for k, n in STEP_KINDS.most_common()))
    if failures:
        print("failed: " + ", ".join(f"{s} [{c}]" for s, c in failures))
        by_cat: dict = {}
        for s, c in failures:
            by_cat.setdefault(c, []).append(s)
        print("by failure category (smallest seed first):")
        for c, ss in sorted(by_cat.items(), key=lambda x: -len(x[1])):
            print(f"  {c}: {len(ss)} nights, seeds {', '.join(map(str, sorted(ss)[:8]))}")
        sys.exit(1)


if __name__ == "__main__":
    main()

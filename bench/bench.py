#!/usr/bin/env python3
"""make bench: lading's throughput side by side with standard tools, same data, same run.

Prints ratios (never a bare time): each lading figure next to its reference
(sqlite3 .import, wc -l, gzip -dc, sha256sum, psql) measured moments apart on the same files.
Data is generated into bench-data/ (git-ignored) once and reused.
"""
import csv, argparse, gzip, json, os, random, shutil, subprocess, sys, time

from pg_cluster import PostgresCluster
from speed import speed_bench

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench-data")


def run(cmd, shell=False, cwd=None):
    """Wall seconds and peak RSS (MiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=shell, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    _, status, usage = os.wait4(proc.pid, 0) if proc.returncode is None else (0, 0, None)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {cmd}\n{err.decode()[-2000:]}")
    return seconds, out.decode()


def run_rss(cmd, shell=False, cwd=None):
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd or ROOT)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        if shell:
            os.execvp("/bin/sh", ["/bin/sh", "-c", cmd])
        os.execvp(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark command failed: {cmd}")
    return seconds, usage.ru_maxrss / 1024.0


def best(cmd, shell=False, cwd=None, times=3):
    """The fastest of a few runs (and its peak memory): on a shared machine the minimum
    is the figure least disturbed by other load; both sides of a ratio get the same."""
    results = [run_rss(cmd, shell=shell, cwd=cwd) for _ in range(times)]
    return min(results)


def generate():
    os.makedirs(DATA, exist_ok=True)
    rng = random.Random(42)
    wide = os.path.join(DATA, "wide.csv")
    if not os.path.exists(wide):
        words = ["alpha", "beta", "gamma, delta", 'say "hi"', "", "line\nbreak", "zeta", "eta"]
        with open(wide, "w", newline="") as f:
            f.write("id,customer,amount,quantity,price,status,city,note,created,flag\n")
            for i in range(1_000_000):
                w = words[i % len(words)]
                note = '"' + w.replace('"', '""') + '"' if ("," in w or '"' in w or "\n" in w) else w
                f.write(f"{i},C{i % 9973:05d},{(i * 37) % 100000 / 100:.2f},{i % 17},{(i * 13) % 1000 / 10:.1f},"
                        f"{'open' if i % 3 else 'closed'},City{i % 101},{note},2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00Z,{'true' if i % 2 else 'false'}\n")
    if not os.path.exists(wide + ".gz"):
        subprocess.run(f"gzip -1 -k -c {wide} > {wide}.gz", shell=True, check=True)
    cols = os.path.join(DATA, "cols200.csv")
    if not os.path.exists(cols):
        with open(cols, "w") as f:
            f.write(",".join(f"c{j}" for j in range(200)) + "\n")
            for i in range(50_000):
                f.write(",".join(str((i * 31 + j) % 100000) for j in range(200)) + "\n")
    jsonl = os.path.join(DATA, "events.jsonl")
    if not os.path.exists(jsonl):
        with open(jsonl, "w") as f:
            for i in range(500_000):
                f.write(json.dumps({"id": i, "user": f"u{i % 5000}", "amount": i * 0.25, "ok": i % 2 == 0,
                                    "tags": ["a", "b"] if i % 5 == 0 else None, "text": "hello \"world\" ünïcode"}) + "\n")
    small = os.path.join(DATA, "small")
    if not os.path.exists(small):
        os.makedirs(small)
        for i in range(5000):
            with open(os.path.join(small, f"f_{i:05d}.csv"), "w") as f:
                f.write(f"id,v\n{i},{i * 2}\n")
    blobs = os.path.join(DATA, "hash")
    if not os.path.exists(blobs):
        os.makedirs(blobs)
        chunk = os.urandom(1 << 20)
        for i in range(4):
            with open(os.path.join(blobs, f"blob{i}.bin"), "wb") as f:
                for _ in range(256):
                    f.write(chunk)
    return wide, cols, jsonl, small, blobs


def config(folder, source, pattern, extra=""):
    path = os.path.join(folder, "lading.yaml")
    with open(path, "w") as f:
        f.write(f"state_dir: ./state\nbatch_size: 10000\n{extra}tables:\n  - table_name: t\n    source_path: {source}\n    file_pattern: \"{pattern}\"\n")
    return path


def fresh(name):
    folder = os.path.join(DATA, "runs", name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def mb(path):
    return os.path.getsize(path) / 1e6


def scd2_data():
    """A 200,000-key snapshot and 5 daily ones: 5% changed, 1% new, 0.5% deleted."""
    folder = os.path.join(DATA, "scd2")
    days = [os.path.join(folder, f"dim_{d}.csv") for d in range(6)]
    if all(os.path.exists(p) for p in days):
        return days
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(7)
    current = {i: (f"name{i}", f"user{i}@example.com", f"City{i % 500}", str(i % 1000)) for i in range(200_000)}
    next_id = 200_000
    for day, path in enumerate(days):
        if day > 0:
            keys = list(current)
            for key in rng.sample(keys, len(keys) // 200):  # 0.5% deleted
                del current[key]
            keys = list(current)
            for key in rng.sample(keys, len(keys) // 20):  # 5% changed
                name, email, city, score = current[key]
                current[key] = (name, email, f"Moved{day}-{rng.randrange(1000)}", score)
            for _ in range(len(keys) // 100):  # 1% new
                current[next_id] = (f"name{next_id}", f"user{next_id}@example.com", "NewCity", "0")
                next_id += 1
        with open(path, "w") as f:
            f.write("id,name,email,city,score\n")
            for key, (name, email, city, score) in current.items():
                f.write(f"{key},{name},{email},{city},{score}\n")
    return days


SCD2_SQL = """
.mode csv
.import {path} stage
CREATE INDEX stage_id ON stage (id);
BEGIN;
UPDATE dim SET end_date = '{day}', is_current = 0 WHERE is_current = 1 AND NOT EXISTS (SELECT 1 FROM stage s WHERE s.id = dim.id);
UPDATE dim SET end_date = '{day}', is_current = 0 WHERE is_current = 1 AND EXISTS (SELECT 1 FROM stage s WHERE s.id = dim.id
    AND (s.name IS NOT dim.name OR s.email IS NOT dim.email OR s.city IS NOT dim.city OR s.score IS NOT dim.score));
INSERT INTO dim SELECT s.id, s.name, s.email, s.city, s.score, '{day}', NULL, 1 FROM stage s
    WHERE NOT EXISTS (SELECT 1 FROM dim t WHERE t.is_current = 1 AND t.id = s.id);
COMMIT;
DROP TABLE stage;
"""


def scd2_bench(lading):
    print("== SCD2: 200,000 keys, then 5 daily snapshots (5% changed, 1% new, 0.5% deleted, deletes: close) ==", flush=True)
    days = scd2_data()
    folder = fresh("scd2")
    landing = os.path.join(folder, "landing")
    os.makedirs(landing)
    cfg = os.path.join(folder, "lading.yaml")
    with open(cfg, "w") as f:
        f.write(f"state_dir: ./state\ntables:\n  - table_name: dim\n    source_path: {landing}\n    file_pattern: \"*.csv\"\n"
                "    loading_strategy: scd2\n    primary_keys: [id]\n    scd2_deletes: close\n")
    ref_db = os.path.join(folder, "ref.sqlite")
    subprocess.run(["sqlite3", ref_db, "CREATE TABLE dim (id, name, email, city, score, effective_date, end_date, is_current);"
                    "CREATE UNIQUE INDEX dim_current ON dim (id) WHERE is_current = 1;"], check=True)
    ratios = []
    for day, path in enumerate(days):
        os.link(path, os.path.join(landing, os.path.basename(path)))
        t_ours, rss = run_rss([lading, "run", "--config", cfg, "--log-level", "error"])
        t_ref, _ = run_rss(
            f"sqlite3 {ref_db} <<'SQL'\n{SCD2_SQL.format(path=path, day=f'2026-11-{day + 1:02d}')}\nSQL", shell=True)
        label = "initial 200k keys" if day == 0 else f"daily file {day}"
        if day > 0:
            ratios.append(t_ours / t_ref)
        print(f"{label:<18} lading {t_ours:6.2f}s peak {rss:4.0f} MiB | plain SQL in sqlite3 {t_ref:6.2f}s | ratio {t_ours/t_ref:.2f}x", flush=True)
    ours = subprocess.run(["sqlite3", os.path.join(folder, "warehouse.sqlite"), "SELECT count(*), sum(is_current) FROM dim"], capture_output=True, text=True).stdout.strip()
    ref = subprocess.run(["sqlite3", ref_db, "SELECT count(*), sum(is_current) FROM dim"], capture_output=True, text=True).stdout.strip()
    print(f"daily files: mean ratio {sum(ratios)/len(ratios):.2f}x, worst {max(ratios):.2f}x | versions, current: lading {ours}, plain SQL {ref}")


def merge_data():
    """A 1M-key table's first extract and a daily one: 5% of keys changed, 1% new."""
    folder = os.path.join(DATA, "merge")
    days = [os.path.join(folder, f"products_{d}.csv") for d in range(2)]
    if all(os.path.exists(p) for p in days):
        return days
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(16)
    current = {i: (f"name{i}", f"{(i * 37) % 100000 / 100:.2f}", f"City{i % 500}", str(i % 1000)) for i in range(1_000_000)}
    for day, path in enumerate(days):
        if day > 0:
            keys = list(current)
            for key in rng.sample(keys, len(keys) // 20):  # 5% changed
                name, price, city, score = current[key]
                current[key] = (name, f"{rng.randrange(100000) / 100:.2f}", city, score)
            for key in range(1_000_000, 1_010_000):  # 1% new
                current[key] = (f"name{key}", "1.00", "NewCity", "0")
        with open(path, "w") as f:
            f.write("id,name,price,city,score\n")
            for key, (name, price, city, score) in current.items():
                f.write(f"{key},{name},{price},{city},{score}\n")
    return days


MERGE_SQL = """
.mode csv
.import {path} stage
CREATE INDEX stage_id ON stage (id);
BEGIN;
UPDATE m SET name = s.name, price = s.price, city = s.city, score = s.score,
    _source_file = '{path}', _load_timestamp = '2026-11-30T00:00:00Z', _batch_id = 'plain-sql'
    FROM stage s WHERE s.id = m.id AND (s.name IS NOT m.name OR s.price IS NOT m.price OR s.city IS NOT m.city OR s.score IS NOT m.score);
INSERT INTO m (id, name, price, city, score, _source_file, _load_timestamp, _batch_id)
    SELECT s.id, s.name, s.price, s.city, s.score, '{path}', '2026-11-30T00:00:00Z', 'plain-sql' FROM stage s
    WHERE NOT EXISTS (SELECT 1 FROM m t WHERE t.id = s.id);
COMMIT;
DROP TABLE stage;
"""


def merge_bench(lading):
    """Issue 16: a merge of a 5%-changed daily extract into a 1M-key table (lading vs the
    same set-based SQL in sqlite3, each on a copy of the same loaded warehouse), and an
    overwrite of a 200k-row extract (vs `.import` of the file)."""
    print("== merge: daily extract (1.01M rows: 5% changed, 1% new) into a 1M-key table; vs the same set-based SQL in sqlite3 "
          "(best of 3 each side, each on a fresh copy of the loaded warehouse) ==", flush=True)
    days = merge_data()
    base = fresh("merge-base")
    landing = os.path.join(base, "landing")
    os.makedirs(landing)
    columns = "    columns: {id: integer, name: text, price: real, city: text, score: integer}\n"
    cfg_text = ("state_dir: ./state\ntables:\n  - table_name: m\n    source_path: @LANDING@\n    file_pattern: \"*.csv\"\n"
                "    loading_strategy: merge\n    primary_keys: [id]\n" + columns)
    with open(os.path.join(base, "lading.yaml"), "w") as f:
        f.write(cfg_text.replace("@LANDING@", landing))
    os.link(days[0], os.path.join(landing, os.path.basename(days[0])))
    t_first, _ = run_rss([lading, "run", "--config", os.path.join(base, "lading.yaml"), "--log-level", "error"])
    # The loaded state, restored before every round: the daily file is applied to the
    # same table (the first extract keeps its tracked path, so it is not merged again).
    pristine = os.path.join(DATA, "runs", "merge-pristine")
    shutil.rmtree(pristine, ignore_errors=True)
    shutil.copytree(base, pristine, ignore=shutil.ignore_patterns("landing"))
    daily = os.path.join(landing, os.path.basename(days[1]))
    ours, ref, results = [], [], set()
    for _ in range(3):
        for name in ("warehouse.sqlite", "state"):
            target = os.path.join(base, name)
            shutil.rmtree(target, ignore_errors=True) if os.path.isdir(target) else None
            (shutil.copytree if os.path.isdir(os.path.join(pristine, name)) else shutil.copy)(os.path.join(pristine, name), target)
        os.link(days[1], daily)
        ours.append(run_rss([lading, "run", "--config", os.path.join(base, "lading.yaml"), "--log-level", "error"]))
        os.unlink(daily)
        results.add(("lading", subprocess.run(["sqlite3", os.path.join(base, "warehouse.sqlite"), "SELECT count(*), round(sum(price), 2) FROM m"],
                                              capture_output=True, text=True).stdout.strip()))
        ref_db = os.path.join(DATA, "runs", "merge-ref.sqlite")
        shutil.copy(os.path.join(pristine, "warehouse.sqlite"), ref_db)
        ref.append(run_rss(f"sqlite3 {ref_db} <<'SQL'\n{MERGE_SQL.format(path=days[1])}\nSQL", shell=True))
        results.add(("plain SQL", subprocess.run(["sqlite3", ref_db, "SELECT count(*), round(sum(price), 2) FROM m"],
                                                 capture_output=True, text=True).stdout.strip()))
    (t_ours, rss), (t_ref, _) = min(ours), min(ref)
    values = dict(results)
    if len(results) != 2 or len(set(values.values())) != 1:
        sys.exit(f"merge: lading and plain SQL disagree (rows, sum of price): {sorted(results)}")
    print(f"{'daily merge':<18} lading {t_ours:6.2f}s peak {rss:4.0f} MiB | plain SQL in sqlite3 {t_ref:6.2f}s | ratio {t_ours/t_ref:.2f}x "
          f"(target <= 1.5x; rows, sum of price: {values['lading']} on both; first extract loaded in {t_first:.2f}s)", flush=True)

    print("== overwrite: a 200k-row extract replacing the table; vs sqlite3 .import of the file (best of 3 each side) ==", flush=True)
    extract = os.path.join(DATA, "merge", "extract_200k.csv")
    if not os.path.exists(extract):
        with open(days[0]) as src, open(extract, "w") as out:
            for index, line in enumerate(src):
                if index > 200_000:
                    break
                out.write(line)
    ours, ref = [], []
    for _ in range(3):
        folder = fresh("overwrite")
        source = os.path.join(folder, "landing")
        os.makedirs(source)
        os.link(extract, os.path.join(source, "extract.csv"))
        with open(os.path.join(folder, "lading.yaml"), "w") as f:
            f.write(f"state_dir: ./state\ntables:\n  - table_name: o\n    source_path: {source}\n    file_pattern: \"*.csv\"\n"
                    f"    loading_strategy: overwrite\n{columns}")
        ours.append(run_rss([lading, "run", "--config", os.path.join(folder, "lading.yaml"), "--log-level", "error"]))
        ref.append(run_rss(["sqlite3", "-cmd", ".mode csv", os.path.join(folder, "ref.sqlite"), f".import {extract} o"]))
    (t_ours, rss), (t_ref, _) = min(ours), min(ref)
    print(f"{'overwrite 200k':<18} lading {t_ours:6.2f}s peak {rss:4.0f} MiB | sqlite3 .import {t_ref:6.2f}s | ratio {t_ours/t_ref:.2f}x (target <= 1.5x)", flush=True)


def load_bench(lading, wide, cols):
    print("== loading vs sqlite3 .import (same file, fresh database each; best of 3 runs each side) ==")
    times = {}
    for label, path, pattern in [("1M rows x 10 cols csv", wide, "wide.csv"), ("same, gzip", wide + ".gz", "wide.csv.gz"),
                                 ("50k rows x 200 cols csv", cols, "cols200.csv")]:
        ours, ref = [], []
        for _ in range(3):  # alternate the two sides, keep each one's best run
            folder = fresh("load")
            source = os.path.join(folder, "landing")
            os.makedirs(source)
            os.link(path, os.path.join(source, os.path.basename(path)))
            cfg = config(folder, source, pattern)
            ours.append(run_rss([lading, "run", "--config", cfg, "--log-level", "error"]))
            loaded = subprocess.run(["sqlite3", os.path.join(folder, "warehouse.sqlite"), "SELECT count(*) FROM t"], capture_output=True, text=True).stdout.strip()
            ref_db = os.path.join(folder, "ref.sqlite")
            if path.endswith(".gz"):
                ref.append(run_rss(f"gzip -dc {path} > {folder}/plain.csv && sqlite3 -cmd '.mode csv' {ref_db} '.import {folder}/plain.csv t'", shell=True))
            else:
                ref.append(run_rss(["sqlite3", "-cmd", ".mode csv", ref_db, f".import {path} t"]))
        (t_ours, rss_ours), (t_ref, rss_ref) = min(ours), min(ref)
        n = int(loaded or 0)
        times[label] = t_ours
        print(f"{label:<26} lading {t_ours:6.2f}s {n/t_ours:10.0f} rows/s peak {rss_ours:5.0f} MiB | sqlite3 .import {t_ref:6.2f}s {n/t_ref:10.0f} rows/s peak {rss_ref:5.0f} MiB | ratio {t_ours/t_ref:.2f}x ({n} rows)")
    print(f"gzip load takes {times['same, gzip']/times['1M rows x 10 cols csv']:.2f}x the plain file's time")


# The bench's 1M-row file with the types lading infers for it (SQLite append row), declared
# so that lading's PostgreSQL table and psql's reference table are typed alike (SPEC §9).
WIDE_COLUMNS = [("id", "integer"), ("customer", "text"), ("amount", "real"), ("quantity", "integer"),
                ("price", "real"), ("status", "text"), ("city", "text"), ("note", "text"),
                ("created", "timestamp"), ("flag", "boolean")]
PG_TYPES = {"integer": "bigint", "real": "double precision", "text": "text", "boolean": "boolean",
            "date": "date", "timestamp": "timestamptz"}


def pg_config(folder, cluster, database, source, pattern, table_yaml="", table="t", top_yaml=""):
    path = os.path.join(folder, "lading.yaml")
    with open(path, "w") as f:
        f.write(f"state_dir: ./state\nbatch_size: 10000\n{top_yaml}warehouse:\n  driver: postgres\n  dsn: \"{cluster.dsn(database)}\"\n"
                f"tables:\n  - table_name: {table}\n    source_path: {source}\n    file_pattern: \"{pattern}\"\n{table_yaml}")
    return path


def pg_load_bench(lading, cluster, wide):
    """lading's typed append against psql's \\copy into a table of the same PostgreSQL types;
    each run on a fresh database, after a CHECKPOINT, so no run pays for the one before.
    lading runs twice per round: as configured by default (the file is staged with a
    checkpoint every 10,000 records, then moved in) and with `direct_load_max_mb` above
    the file's size (one transaction straight into the table, no checkpoints)."""
    print("== PostgreSQL: loading vs psql \\copy (same file, same server, fresh database each; best of 3 runs each side) ==", flush=True)
    declared = "    columns:\n" + "".join(f"      {name}: {kind}\n" for name, kind in WIDE_COLUMNS)
    typed = ", ".join(f"{name} {PG_TYPES[kind]}" for name, kind in WIDE_COLUMNS)
    sides = {"staged": [], "direct": [], "psql": []}
    counts = set()
    for _ in range(3):  # alternate the sides, keep each one's best run
        for side, extra in (("staged", ""), ("direct", "direct_load_max_mb: 1024\n")):
            folder = fresh("pg-load")
            source = os.path.join(folder, "landing")
            os.makedirs(source)
            os.link(wide, os.path.join(source, os.path.basename(wide)))
            database = cluster.fresh_database("lading_load")
            cfg = pg_config(folder, cluster, database, source, "wide.csv", declared, top_yaml=extra)
            sides[side].append(run_rss([lading, "run", "--config", cfg, "--log-level", "error"]))
            counts.add(cluster.psql(database, "SELECT count(*) FROM public.t"))
        database = cluster.fresh_database("psql_load", f"CREATE TABLE t ({typed})")
        sides["psql"].append(run_rss(cluster.psql_command(database, f"\\copy t from '{wide}' csv header")))
        counts.add(cluster.psql(database, "SELECT count(*) FROM t"))
    cluster.drop_databases(everything=True)
    if len(counts) != 1:
        sys.exit(f"PostgreSQL load: lading and psql loaded different row counts: {sorted(counts)}")
    n = int(counts.pop())
    t_ref, _ = min(sides["psql"])
    for side, label in (("staged", "staged, 100 checkpoints"), ("direct", "direct_load_max_mb")):
        t_ours, rss_ours = min(sides[side])
        print(f"{'1M rows x 10 cols csv':<22} {label:<24} lading {t_ours:6.2f}s {n/t_ours:10.0f} rows/s peak {rss_ours:5.0f} MiB | "
              f"psql \\copy {t_ref:6.2f}s {n/t_ref:10.0f} rows/s | ratio {t_ours/t_ref:.2f}x ({n} rows; target <= 1.3x)", flush=True)
    return min(sides["direct"])[0] / t_ref


PG_SCD2_SQL = """
BEGIN;
CREATE TEMP TABLE stage ({stage}) ON COMMIT DROP;
\\copy stage from '{path}' csv header
CREATE INDEX ON stage (id);
ANALYZE stage;
UPDATE dim t SET end_date = '{day}', is_current = false
    WHERE t.is_current AND NOT EXISTS (SELECT 1 FROM stage s WHERE s.id = t.id);
UPDATE dim t SET end_date = '{day}', is_current = false FROM stage s
    WHERE t.is_current AND s.id = t.id AND ({changed});
INSERT INTO dim ({columns}, _source_file, _load_timestamp, _batch_id, effective_date, end_date, is_current)
    SELECT {columns}, '{file}', now(), 'plain-sql', '{day}', NULL, true FROM stage s
    WHERE NOT EXISTS (SELECT 1 FROM dim t WHERE t.is_current AND t.id = s.id);
COMMIT;
"""


def pg_scd2_bench(lading, cluster):
    """One daily file applied to the 200,000-key table lading loaded from the first snapshot:
    each run, lading's and plain SQL's, on its own copy (CREATE DATABASE ... TEMPLATE) of
    that loaded database, so both start from the same table, tracker and ledger."""
    print("== PostgreSQL SCD2: daily file 1 (5% changed, 1% new, 0.5% deleted, deletes: close) on the 200,000 keys loaded from "
          "the first snapshot; vs the same set-based SQL in psql (best of 3 runs each side, fresh copy each) ==", flush=True)
    days = scd2_data()
    folder = fresh("pg-scd2")
    landing = os.path.join(folder, "landing")
    os.makedirs(landing)
    os.link(days[0], os.path.join(landing, os.path.basename(days[0])))
    table_yaml = "    loading_strategy: scd2\n    primary_keys: [id]\n    scd2_deletes: close\n"

    def config_for(database):
        return pg_config(folder, cluster, database, landing, "*.csv", table_yaml, table="dim")

    base = cluster.fresh_database("scd2_loaded", keep=True)
    cfg = config_for(base)
    run([lading, "run", "--config", cfg, "--log-level", "error"])
    data = [line.split("|") for line in cluster.psql(base, """
        SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.dim'::regclass
        AND attnum > 0 AND NOT attisdropped AND attname NOT IN
        ('_source_file', '_load_timestamp', '_batch_id', 'effective_date', 'end_date', 'is_current') ORDER BY attnum""").splitlines()]
    names = [name for name, _ in data]
    path = days[1]
    os.link(path, os.path.join(landing, os.path.basename(path)))
    script = os.path.join(folder, "plain.sql")
    with open(script, "w") as f:
        f.write(PG_SCD2_SQL.format(
            stage=", ".join(f"{n} {t}" for n, t in data), path=path, day="2026-11-02", file=os.path.basename(path),
            columns=", ".join(names), changed=" OR ".join(f"s.{n} IS DISTINCT FROM t.{n}" for n in names if n != "id")))
    count = "SELECT count(*), count(*) FILTER (WHERE is_current) FROM dim"
    ours, ref, results = [], [], set()
    for _ in range(3):  # alternate the two sides, keep each one's best run
        database = cluster.fresh_database("lading_scd2", template=base)
        config_for(database)
        ours.append(run_rss([lading, "run", "--config", cfg, "--log-level", "error"]))
        results.add(("lading", cluster.psql(database, count)))
        database = cluster.fresh_database("psql_scd2", template=base)
        ref.append(run_rss(cluster.psql_command(database, script=script)))
        results.add(("plain SQL", cluster.psql(database, count)))
    cluster.drop_databases(everything=True)
    (t_ours, rss_ours), (t_ref, _) = min(ours), min(ref)
    versions = dict(results)
    if len(results) != 2 or len(set(versions.values())) != 1:
        sys.exit(f"PostgreSQL SCD2: lading and plain SQL disagree (versions|current): {sorted(results)}")
    print(f"{'daily file 1':<18} lading {t_ours:6.2f}s peak {rss_ours:4.0f} MiB | plain SQL in psql {t_ref:6.2f}s | ratio {t_ours/t_ref:.2f}x "
          f"(target <= 1.5x; versions|current after it: {versions['lading']} on both)", flush=True)
    return t_ours / t_ref


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    parser.add_argument("--only", choices=["scd2", "load", "postgres", "workers", "merge", "speed"], help="run one section")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL rows (they start a private cluster)")
    parser.add_argument("--pairs", type=int, default=3, help="paired runs per row of the speed section (issue 18)")
    args = parser.parse_args()
    lading = os.path.join(args.bin, "lading")
    if args.only == "speed":
        generate()
        speed_bench(lading, DATA, fresh, run_rss, args.pairs)
        return scd2_bench(lading)
    if args.only == "scd2":
        return scd2_bench(lading)
    if args.only == "load":
        return load_bench(lading, *generate()[:2])
    if args.only == "postgres":
        return postgres_bench(lading, generate()[0])
    if args.only == "merge":
        merge_bench(lading)
        if not args.no_postgres:
            with PostgresCluster() as cluster:
                pg_merge_bench(lading, cluster)
        return
    if args.only == "workers":
        with PostgresCluster() as cluster:
            return pg_workers_bench(lading, cluster, generate()[0])
    bench = os.path.join(args.bin, "lading-bench")
    wide, cols, jsonl, small, blobs = generate()
    rows = []

    def line(label, ours, ref, ref_label, unit=""):
        rows.append((label, ours, ref, ref_label, unit))
        print(f"{label:<44} {ours:>14} | {ref_label:<28} {ref:>14}", flush=True)

    print("== readers (parsing only, no database; best of 3 runs each side) ==")
    t_read, rss_read = best([bench, "read", wide])
    t_wc, _ = best(["wc", "-l", wide])
    print(f"csv parse: {mb(wide)/t_read:8.0f} MB/s, {1_000_000/t_read:10.0f} records/s, peak {rss_read:.0f} MiB | wc -l {mb(wide)/t_wc:8.0f} MB/s | ratio lading/wc time {t_read/t_wc:.2f}x")
    t_gz, rss_gz = best([bench, "read", wide + ".gz"])
    t_gzip, _ = best(f"gzip -dc {wide}.gz | wc -c", shell=True)
    print(f"csv.gz parse: {mb(wide)/t_gz:8.0f} MB/s (uncompressed), peak {rss_gz:.0f} MiB | gzip -dc | wc -c {mb(wide)/t_gzip:8.0f} MB/s | ratio {t_gz/t_gzip:.2f}x")
    big = os.path.join(DATA, "big2gb.csv")
    if not os.path.exists(big):
        subprocess.run(f"for i in $(seq 27); do cat {wide}; done > {big}", shell=True, check=True)
    t_big, rss_big = run_rss([bench, "read", big])
    print(f"csv parse of a {mb(big)/1000:.1f} GB file: {mb(big)/t_big:8.0f} MB/s, peak memory {rss_big:.0f} MiB (flat: same as the 75 MB file)")
    t_json, rss_json = best([bench, "read", jsonl])
    print(f"jsonl parse: {mb(jsonl)/t_json:8.0f} MB/s, peak {rss_json:.0f} MiB | wc -l {mb(jsonl)/best(['wc', '-l', jsonl])[0]:8.0f} MB/s")

    print("== hashing (1 GB) ==")
    files = sorted(os.path.join(blobs, f) for f in os.listdir(blobs))
    total = sum(os.path.getsize(f) for f in files) / 1e6
    t_hash, _ = best([bench, "hash"] + files)
    t_sha, _ = best(["sha256sum"] + files)
    print(f"sha256: lading {total/t_hash:8.0f} MB/s | sha256sum {total/t_sha:8.0f} MB/s | lading at {100*t_sha/t_hash:.0f}% of sha256sum's speed")

    print("== discovery and registration (5,000 small files) ==")
    folder = fresh("small")
    cfg = config(folder, small, "*.csv")
    t_first, _ = run_rss([lading, "run", "--config", cfg, "--log-level", "error"])
    t_noop, _ = run_rss([lading, "run", "--config", cfg, "--log-level", "error"])
    print(f"first run (discover, hash, register, load 5,000 files) {t_first:.2f}s | no-op rerun {t_noop:.2f}s | rerun costs {100*t_noop/t_first:.0f}% of the first")

    load_bench(lading, wide, cols)
    speed_bench(lading, DATA, fresh, run_rss, args.pairs)
    scd2_bench(lading)
    merge_bench(lading)
    if not args.no_postgres:
        postgres_bench(lading, wide)


def split_wide(wide, parts):
    """The 1M-row file as `parts` files of equal record counts (quoted newlines kept
    inside their records), and as two halves; cached beside it."""
    folder = os.path.join(DATA, f"wide_split_{parts}")
    names = [os.path.join(folder, f"part_{i}.csv") for i in range(parts)]
    halves = [os.path.join(folder, f"half_{i}.csv") for i in range(2)]
    if not all(os.path.exists(p) for p in names + halves):
        os.makedirs(folder, exist_ok=True)
        with open(wide, newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        per = len(rows) // parts
        for i, name in enumerate(names):
            with open(name, "w", newline="") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows[i * per:(i + 1) * per if i < parts - 1 else len(rows)])
        for i, name in enumerate(halves):
            with open(name, "w", newline="") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(header)
                half = len(rows) // 2
                writer.writerows(rows[i * half:(i + 1) * half if i == 0 else len(rows)])
    return names, halves


def concurrently(commands):
    """Wall seconds until every command (started at once) has ended; each must exit 0."""
    start = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
    for proc, command in zip(procs, commands):
        _, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"benchmark command failed ({proc.returncode}): {command}\n{err.decode()[-2000:]}")
    return time.perf_counter() - start


def pg_workers_bench(lading, cluster, wide):
    """Issue 15: 1, 2 and 4 `lading run` workers at once over the same 8 files (125k rows
    each) into one table, beside 2 concurrent `psql \\copy` sessions over the two halves."""
    print("== PostgreSQL workers: 8 files x 125k rows into one table; 1, 2, 4 workers at once vs 2 concurrent psql \\copy "
          "over the halves (fresh database each; best of 2 runs each) ==", flush=True)
    parts, halves = split_wide(wide, 8)
    declared = "    columns:\n" + "".join(f"      {name}: {kind}\n" for name, kind in WIDE_COLUMNS)
    typed = ", ".join(f"{name} {PG_TYPES[kind]}" for name, kind in WIDE_COLUMNS)
    times, counts = {}, set()
    for _ in range(2):
        for workers in (1, 2, 4):
            folder = fresh("pg-workers")
            source = os.path.join(folder, "landing")
            os.makedirs(source)
            for part in parts:
                os.link(part, os.path.join(source, os.path.basename(part)))
            database = cluster.fresh_database("lading_workers")
            cfg = pg_config(folder, cluster, database, source, "part_*.csv", declared)
            seconds = concurrently([[lading, "run", "--config", cfg, "--log-level", "error"]] * workers)
            times.setdefault(workers, []).append(seconds)
            counts.add(cluster.psql(database, "SELECT count(*) FROM public.t"))
        database = cluster.fresh_database("psql_workers", f"CREATE TABLE t ({typed})")
        times.setdefault("psql", []).append(concurrently([cluster.psql_command(database, f"\\copy t from '{h}' csv header") for h in halves]))
        counts.add(cluster.psql(database, "SELECT count(*) FROM t"))
    cluster.drop_databases(everything=True)
    if len(counts) != 1:
        sys.exit(f"PostgreSQL workers: runs loaded different row counts: {sorted(counts)}")
    n = int(counts.pop())
    ref = min(times["psql"])
    line = " | ".join(f"{w} worker{'s' if w > 1 else ''} {min(times[w]):5.2f}s ({min(times[w]) / ref:.2f}x)" for w in (1, 2, 4))
    print(f"{n} rows: {line} | 2x psql \\copy {ref:5.2f}s; 4 workers vs 1: {min(times[1]) / min(times[4]):.2f}x faster", flush=True)


PG_MERGE_SQL = """
BEGIN;
CREATE TEMP TABLE stage (id bigint, name text, price double precision, city text, score bigint) ON COMMIT DROP;
\\copy stage from '{path}' csv header
CREATE INDEX ON stage (id);
ANALYZE stage;
UPDATE m t SET name = s.name, price = s.price, city = s.city, score = s.score,
    _source_file = '{path}', _load_timestamp = now(), _batch_id = 'plain-sql'
    FROM stage s WHERE s.id = t.id AND (s.name IS DISTINCT FROM t.name OR s.price IS DISTINCT FROM t.price
    OR s.city IS DISTINCT FROM t.city OR s.score IS DISTINCT FROM t.score);
INSERT INTO m (id, name, price, city, score, _source_file, _load_timestamp, _batch_id)
    SELECT s.id, s.name, s.price, s.city, s.score, '{path}', now(), 'plain-sql' FROM stage s
    WHERE NOT EXISTS (SELECT 1 FROM m t WHERE t.id = s.id);
COMMIT;
"""


def pg_merge_bench(lading, cluster):
    """Issue 16 on PostgreSQL: the daily merge into the 1M-key table lading loaded from the
    first extract, against the same set-based SQL run by psql, each on its own copy
    (CREATE DATABASE ... TEMPLATE) of that loaded database."""
    print("== PostgreSQL merge: daily extract (5% changed, 1% new) into a 1M-key table; vs the same set-based SQL in psql "
          "(best of 3 each side, fresh copy each) ==", flush=True)
    days = merge_data()
    folder = fresh("pg-merge")
    landing = os.path.join(folder, "landing")
    os.makedirs(landing)
    os.link(days[0], os.path.join(landing, os.path.basename(days[0])))
    table_yaml = ("    loading_strategy: merge\n    primary_keys: [id]\n"
                  "    columns: {id: integer, name: text, price: real, city: text, score: integer}\n")

    def config_for(database):
        return pg_config(folder, cluster, database, landing, "*.csv", table_yaml, table="m")

    base = cluster.fresh_database("merge_loaded", keep=True)
    cfg = config_for(base)
    run([lading, "run", "--config", cfg, "--log-level", "error"])
    os.link(days[1], os.path.join(landing, os.path.basename(days[1])))
    script = os.path.join(folder, "plain.sql")
    with open(script, "w") as f:
        f.write(PG_MERGE_SQL.format(path=days[1]))
    check = "SELECT count(*), round(sum(price)::numeric, 2) FROM m"
    ours, ref, results = [], [], set()
    for _ in range(3):
        database = cluster.fresh_database("lading_merge", template=base)
        config_for(database)
        ours.append(run_rss([lading, "run", "--config", cfg, "--log-level", "error"]))
        results.add(("lading", cluster.psql(database, check)))
        database = cluster.fresh_database("psql_merge", template=base)
        ref.append(run_rss(cluster.psql_command(database, script=script)))
        results.add(("plain SQL", cluster.psql(database, check)))
    cluster.drop_databases(everything=True)
    (t_ours, rss), (t_ref, _) = min(ours), min(ref)
    values = dict(results)
    if len(results) != 2 or len(set(values.values())) != 1:
        sys.exit(f"PostgreSQL merge: lading and plain SQL disagree (rows, sum of price): {sorted(results)}")
    print(f"{'daily merge':<18} lading {t_ours:6.2f}s peak {rss:4.0f} MiB | plain SQL in psql {t_ref:6.2f}s | ratio {t_ours/t_ref:.2f}x "
          f"(target <= 1.5x; rows, sum of price: {values['lading']} on both)", flush=True)


def postgres_bench(lading, wide):
    """The PostgreSQL rows, on a private cluster started here and stopped even on failure."""
    with PostgresCluster() as cluster:
        print(f"== PostgreSQL {cluster.version}: a private cluster, default durability (fsync on, synchronous_commit on) ==", flush=True)
        pg_load_bench(lading, cluster, wide)
        pg_scd2_bench(lading, cluster)
        pg_merge_bench(lading, cluster)
        pg_workers_bench(lading, cluster, wide)


if __name__ == "__main__":
    main()

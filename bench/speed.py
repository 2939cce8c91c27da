"""Issue 18's table: lading against sqlite3's own importer on data shaped like a real
night (non-canonical timestamps, dates, quoting, embedded newlines, empty fields), with
paired runs (lading, then the yardstick, moments apart, fresh warehouse each) and the
best and median ratio of N pairs. `bench.py --only speed [--pairs N]` runs it alone.
"""
import gzip, json, os, random, shutil, statistics, subprocess, time

TYPED = {"id": "integer", "qty": "integer", "ts": "timestamp", "value_date": "date", "price": "real",
         "score": "real", "name": "text", "status": "text", "city": "text", "note": "text"}
NAMES = ["Smith, John", "O'Brien", 'Ann "Annie" Lee', "Zoë Åström", "plain", "Li", "Müller-Lüdenscheid", "x"]
NOTES = ["ok", "needs review", "line one\nline two", 'said "no"', "a, b, c", "", "ünïcode ✓", "final"]
STATUS = ["open", "closed", "pending", "void"]


def quote(text):
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def speed_data(data):
    """1M rows x 10 columns (~104 MB CSV), the same rows as JSON Lines, gzip, 5,000 files of 20 rows."""
    folder = os.path.join(data, "speed")
    csv_path = os.path.join(folder, "night.csv")
    jsonl_path = os.path.join(folder, "night.jsonl")
    small = os.path.join(folder, "small")
    if os.path.exists(csv_path) and os.path.exists(jsonl_path) and os.path.exists(csv_path + ".gz") and os.path.isdir(small):
        return csv_path, jsonl_path, small
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(18)
    cols = list(TYPED)
    with open(csv_path, "w", newline="") as c, open(jsonl_path, "w") as j:
        c.write(",".join(cols) + "\n")
        for i in range(1_000_000):
            second = i % 86400
            row = {
                "id": str(i),
                "qty": str(rng.randrange(1, 500)),
                "ts": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}",
                "value_date": f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + (i * 7) % 28:02d}",
                "price": f"{rng.random() * 10000:.2f}",
                "score": f"{rng.random():.6f}",
                "name": NAMES[i % len(NAMES)],
                "status": STATUS[i % len(STATUS)],
                "city": f"City{i % 997}",
                "note": NOTES[rng.randrange(len(NOTES))],
            }
            # 2-10% empty fields, varying by column.
            for k, name in enumerate(cols[1:], start=1):
                if rng.random() < 0.02 + 0.01 * (k % 9):
                    row[name] = ""
            c.write(",".join(quote(row[name]) for name in cols) + "\n")
            obj = {}
            for name in cols:
                value = row[name]
                if value == "":
                    obj[name] = None
                elif TYPED[name] == "integer":
                    obj[name] = int(value)
                elif TYPED[name] == "real":
                    obj[name] = float(value)
                else:
                    obj[name] = value
            j.write(json.dumps(obj, ensure_ascii=False) + "\n")
    subprocess.run(f"gzip -1 -k -c {csv_path} > {csv_path}.gz", shell=True, check=True)
    shutil.rmtree(small, ignore_errors=True)
    os.makedirs(small)
    with open(csv_path) as source:
        header = source.readline()
    for n in range(5000):
        with open(os.path.join(small, f"part_{n:05d}.csv"), "w") as f:
            f.write("id,qty,city,price\n")
            for r in range(20):
                f.write(f"{n * 20 + r},{r},City{(n + r) % 97},{(n * r) % 1000 / 10:.1f}\n")
    return csv_path, jsonl_path, small


def _config(folder, source, pattern, columns, top=""):
    path = os.path.join(folder, "lading.yaml")
    with open(path, "w") as f:
        f.write(f"state_dir: ./state\nbatch_size: 10000\n{top}tables:\n  - table_name: t\n    source_path: {source}\n"
                f"    file_pattern: \"{pattern}\"\n")
        if columns:
            f.write("    columns:\n" + "".join(f"      {k}: {v}\n" for k, v in columns.items()))
    return path


def _summary(label, pairs, unit_rows=None):
    ratios = [ours[0] / ref[0] for ours, ref in pairs]
    ours_t = [ours[0] for ours, _ in pairs]
    ref_t = [ref[0] for _, ref in pairs]
    rss = max(ours[1] for ours, _ in pairs)
    ref_rss = max(ref[1] for _, ref in pairs)
    print(f"{label:<40} lading {min(ours_t):6.2f}-{max(ours_t):5.2f}s peak {rss:4.0f} MiB | yardstick {min(ref_t):6.2f}-{max(ref_t):5.2f}s "
          f"peak {ref_rss:4.0f} MiB | ratio best {min(ratios):.2f}x median {statistics.median(ratios):.2f}x ({len(pairs)} pairs)", flush=True)
    return min(ratios), statistics.median(ratios), rss


def speed_bench(lading, data, fresh, run_rss, pairs=3):
    csv_path, jsonl_path, small = speed_data(data)
    print(f"== issue 18: a night's data (1M rows x 10 cols, non-canonical timestamps, dates, quoting, newlines, "
          f"2-10% empty), {pairs} paired runs, fresh warehouse each ==", flush=True)
    text_typed = dict(TYPED, ts="text", value_date="text")

    def load(label, path, pattern, columns, reference, rows=1_000_000, top=""):
        results = []
        for _ in range(pairs):
            folder = fresh("speed")
            landing = os.path.join(folder, "landing")
            os.makedirs(landing)
            os.link(path, os.path.join(landing, os.path.basename(path)))
            cfg = _config(folder, landing, pattern, columns, top)
            ours = run_rss([lading, "run", "--config", cfg, "--log-level", "error"])
            n = subprocess.run(["sqlite3", os.path.join(folder, "warehouse.sqlite"), "SELECT count(*) FROM t"],
                               capture_output=True, text=True).stdout.strip()
            if n != str(rows):
                raise SystemExit(f"{label}: lading loaded {n} rows, expected {rows}")
            ref = run_rss(reference(folder), shell=True)
            results.append((ours, ref))
        return _summary(label, results)

    def sqlite_import(source):
        return lambda folder: f"sqlite3 -cmd '.mode csv' {folder}/ref.sqlite '.import {source} t'"

    figures = {}
    figures["csv"] = load("CSV append, typed", csv_path, "night.csv", TYPED, sqlite_import(csv_path))
    # The same file in one transaction, no staging copy and no checkpoints (a crash restarts it).
    figures["csv_direct"] = load("same, direct_load_max_mb: 1024", csv_path, "night.csv", TYPED, sqlite_import(csv_path),
                                 top="direct_load_max_mb: 1024\n")
    figures["csv_text"] = load("same, ts and value_date as text", csv_path, "night.csv", text_typed, sqlite_import(csv_path))
    figures["gzip"] = load("CSV.gz append, typed", csv_path + ".gz", "night.csv.gz", TYPED,
                           lambda folder: f"sqlite3 -cmd '.mode csv' {folder}/ref.sqlite '.import \"|gzip -dc {csv_path}.gz\" t'")
    figures["jsonl"] = load("JSON Lines append, typed (vs CSV .import)", jsonl_path, "night.jsonl", TYPED, sqlite_import(csv_path))
    cols = os.path.join(data, "cols200.csv")
    if os.path.exists(cols):
        figures["wide"] = load("wide CSV, 50k x 200", cols, "cols200.csv", None, sqlite_import(cols), rows=50_000)

    # Many small files: lading's first run against one sqlite3 process running every .import.
    files = sorted(os.listdir(small))
    results, noop = [], []
    for _ in range(pairs):
        folder = fresh("speed-small")
        cfg = _config(folder, small, "*.csv", {"id": "integer", "qty": "integer", "city": "text", "price": "real"})
        ours = run_rss([lading, "run", "--config", cfg, "--log-level", "error"])
        again = run_rss([lading, "run", "--config", cfg, "--log-level", "error"])
        noop.append(again[0] / ours[0])
        n = subprocess.run(["sqlite3", os.path.join(folder, "warehouse.sqlite"), "SELECT count(*) FROM t"],
                           capture_output=True, text=True).stdout.strip()
        if n != str(20 * len(files)):
            raise SystemExit(f"small files: lading loaded {n} rows, expected {20 * len(files)}")
        script = os.path.join(folder, "imports.sql")
        with open(script, "w") as f:
            # The first .import creates t from the header; later ones skip their header row.
            f.write(".mode csv\n" + "".join(f".import {'' if k == 0 else '--skip 1 '}{os.path.join(small, name)} t\n"
                                             for k, name in enumerate(files)))
        ref = run_rss(f"sqlite3 {folder}/ref.sqlite < {script}", shell=True)
        results.append((ours, ref))
    figures["small"] = _summary(f"{len(files)} files of 20 rows, first run", results)
    print(f"{'no-op rerun over them':<40} costs {100 * min(noop):.1f}% (best) {100 * statistics.median(noop):.1f}% (median) of the first run", flush=True)
    return figures

#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora under Fuzz/corpus/<target>/ (small, committed).

Seeds come from fixtures/ (good and bad inputs) and from Python's csv module: random
tables written by csv.writer with several dialects become CSV seeds, so the fuzzer
starts from what real exporters write. Before writing anything it checks that the
canonical writer of fuzz-csv's round-trip property (QUOTE_MINIMAL as implemented in
Fuzz/Sources/fuzz-csv/CanonicalCSV.swift, mirrored by `canonical` below) writes exactly
what csv.writer writes, on 20,000 random printable tables.

Run from the repository root: python3 Fuzz/tools/make_seeds.py
"""
import csv, gzip, hashlib, io, json, os, random, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
rng = random.Random(19)


def canonical(rows, delimiter, quote):
    """The rule of CanonicalCSV.swift, written again in Python."""
    out = []
    for row in rows:
        cells = []
        for field in row:
            if any(c in field for c in (delimiter, quote, "\r", "\n")) or (len(row) == 1 and field == ""):
                cells.append(quote + field.replace(quote, quote * 2) + quote)
            else:
                cells.append(field)
        out.append(delimiter.join(cells) + "\r\n")
    return "".join(out)


def random_table(alphabet):
    width = rng.randint(1, 5)
    return [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(width)]
            for _ in range(rng.randint(1, 5))]


def check_canonical_writer():
    alphabet = "ab ,;|\t\"'\r\n1x"
    for _ in range(20000):
        delimiter, quote = rng.sample([",", ";", "|", "\t", " ", "a", "'", '"'], 2)
        rows = random_table(alphabet)
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, quotechar=quote, lineterminator="\r\n").writerows(rows)
        if buffer.getvalue() != canonical(rows, delimiter, quote):
            sys.exit(f"CanonicalCSV disagrees with csv.writer on {rows!r} ({delimiter!r}, {quote!r}):\n"
                     f"{buffer.getvalue()!r}\n{canonical(rows, delimiter, quote)!r}")


def save(target, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def fixture(path):
    with open(os.path.join(ROOT, "fixtures", path), "rb") as f:
        return f.read()


def csv_options(delimiter=0, quote=1, header=1, nulls=0, max_record=4, chunk=3, step=0):
    # The option bytes fuzz-csv reads first: palette indexes (0 ',', 1 tab, 2 ';', 3 '|',
    # 4 space, 5 NUL, 6 '"', 7 "'", 8 'a'), header, null set, max record, chunk, step.
    return bytes([delimiter, quote, header, nulls, max_record, chunk, step])


def main():
    check_canonical_writer()
    # CSV: fixtures with a few option sets, and csv.writer output.
    csv_fixtures = ["csv/" + n for n in os.listdir(os.path.join(ROOT, "fixtures", "csv")) if n != "long_field.csv"]
    csv_fixtures += ["bad/" + n for n in os.listdir(os.path.join(ROOT, "fixtures", "bad")) if n.endswith(".csv")]
    csv_fixtures += ["landing/" + d + "/" + n for d in ("customers", "products", "transactions")
                     for n in os.listdir(os.path.join(ROOT, "fixtures", "landing", d)) if n.endswith(".csv")]
    for path in sorted(csv_fixtures):
        data = fixture(path)[:2048]
        save("csv", csv_options() + data)
        save("csv", csv_options(header=0, nulls=3, step=2) + data)
    save("csv", csv_options(max_record=0, step=7) + b'a,b\n"' + b"x" * 1500 + b"\n1,2\n")
    save("csv", csv_options(delimiter=1) + b"a\tb\n1\t\\N\n")
    for index, (delimiter, quote) in enumerate([(",", '"'), (";", "'"), ("\t", '"'), ("|", '"')]):
        for _ in range(3):
            rows = random_table("ab ,;|\t\"'\r\n1x")
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=delimiter, quotechar=quote).writerows(rows)
            palette = [",", "\t", ";", "|", " ", "\0", '"', "'", "a"]
            save("csv", csv_options(palette.index(delimiter), palette.index(quote), header=0, step=3)
                 + buffer.getvalue().encode())
    # JSON Lines.
    jsonl = [fixture("bad/bad_lines.jsonl"),
             b'{"id": 1, "name": "a\\u00e9\\n", "tags": [1, {"x": null}], "ok": true, "n": -1.5e3}\n{"id": 2}\n',
             b'{"ID": 1, "id": 2}\r\n\n  \n{"a": "\\ud83d\\ude00"}\n',
             b"[" * 600 + b"\n{}\n",
             b'{"a": 1}\n{"a": 2, "b": [[], {}]}\n{"a": "x' + b"y" * 1200 + b'"}\n']
    for data in jsonl:
        save("jsonl", bytes([0, 3, 0]) + data)
        save("jsonl", bytes([0, 0, 5]) + data)
    # gzip: raw files (mode 0) and payloads to compress (mode 1, 3, 5).
    for path in ["landing/transactions/transactions_2026-11-03.csv.gz", "bad/not_gzip.csv.gz"]:
        save("gzip", bytes([0, 0, 100, 50]) + fixture(path))
    save("gzip", bytes([0, 0, 100, 50]) + fixture("bad/truncated.csv.gz")[:600])
    save("gzip", bytes([0, 0, 3, 1]) + gzip.compress(b"a,b\n1,2\n") + gzip.compress(b"3,4\n"))
    for mode in (1, 3, 5, 7):
        save("gzip", bytes([mode, 0, 10, 0, 0, 20, 0, 9 if mode & 2 else 6, 6]) + fixture("landing/products/products_2026-11-01.csv"))
    # Values: columns separated by 0xFF.
    columns = [["1", "-2", "+3", "007", "9223372036854775807", "-9223372036854775808", "9223372036854775808"],
               ["1.5", ".5", "1e10", "-2.5E-3", "1e400", "nan", "0x10"],
               ["true", "FALSE", "t", "No", "y", "1", "0", "maybe"],
               ["2026-11-03", "2024-02-29", "2023-02-29", "0001-01-01", "9999-12-31"],
               ["2026-11-03T14:48:01Z", "2026-11-03 14:48", "2026-11-03T14:48:01.123456789+05:30", "0001-01-01T00:00:00+01:00"],
               ["", "text", "caf\u00e9"]]
    for column in columns:
        save("values", b"\xff".join(v.encode() for v in column))
    # Timestamps.
    for text in ["2026-11-03T14:48:01Z", "2026-11-03T14:48:01.123456Z", "2026-11-03 14:48:60-01:00", "2026-11-03t00:00z",
                 "2026-11-03T14:48:01,5+0530", "9999-12-31T23:59:59-00:30", "0001-01-01T00:00:00+00:01", "2026-02-29", "2026-11-03"]:
        save("timestamp", text.encode())
    # Config.
    save("config", open(os.path.join(ROOT, "config.example.yaml"), "rb").read())
    save("config", b"tables:\n  - table_name: t\n    source_path: /data\n")
    save("config", b"warehouse:\n  driver: postgres\n  dsn: \"host=x\"\n  lease_seconds: 5\ntables:\n"
                   b"  - table_name: m\n    source_path: ./in\n    loading_strategy: merge\n    primary_keys: [id]\n"
                   b"    columns: {id: integer, v: text}\n    csv: {delimiter: tab, quote: \"'\", header: false, null_values: [NA]}\n")
    save("config", b"after_load: archive\narchive_path: ./a\nmonitor: {max_failure_rate: 0.5, warn_failure_rate: 0.6}\n"
                   b"tables:\n  - {table_name: T, source_path: x}\n  - {table_name: t, source_path: y}\n")
    save("config", b"tables: &a [*a]\n")
    # Lock files.
    lock = {"pid": 4242, "hostname": "db1", "acquired_at": "2026-11-03T14:48:01.123456Z",
            "timeout_at": "2026-11-03T15:48:01.123456Z", "lock_name": "lading", "run_id": "20261103T144801Z-4242"}
    save("lock", json.dumps(lock, sort_keys=True).encode())
    save("lock", json.dumps(dict(lock, pid=-1, hostname="", timeout_at="not a time")).encode())
    save("lock", b'{"pid": 4242, "hostname": "db1"')
    save("lock", b"")


if __name__ == "__main__":
    main()

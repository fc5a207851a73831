"""Fixtures out and in, against Django's dumpdata and loaddata, on the same data.

    python bench/fixtures.py --claims 20000

Builds a throwaway SQLite database with `manage.py generate_claims` (the
project's deterministic synthetic claims: speakers, sources, citations,
figures and pairings), then times in separate processes export_claims
against dumpdata --natural-foreign --natural-primary, and import_claims
against loaddata into fresh databases, each with its peak resident memory.
A peer (dumpdata, loaddata) that runs longer than --peer-seconds is stopped
and reported as capped: the speedup is then a lower bound, and the peer's
rows per second over the capped run (read from dumpdata's partial output
and loaddata's --verbosity 3 progress) give an estimate of its whole run,
labelled as such. --source reads an existing database (the one pages.py
built) instead of generating one. Prints a table and writes the figures as JSON to
bench/results/. It measures; it asserts nothing. --only-export times
export_claims alone (to measure a change to it without the peers again);
--only-import times
import_claims alone, to compare its memory at several sizes.
"""

import argparse
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
MODELS = [
    "claims.topic",
    "claims.measure",
    "claims.speaker",
    "claims.source",
    "claims.claim",
    "claims.citation",
    "claims.figure",
    "claims.rebuttal",
]


def run(args, env, label, limit=None, stdout=None):
    """Run a manage.py command; return (seconds, peak RSS in MB, capped).
    A run longer than `limit` seconds is killed and reported as capped."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        stdout=stdout or subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    capped = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if limit is not None and time.perf_counter() - start > limit:
            process.send_signal(signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            capped = True
            break
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if capped:
        return limit, usage.ru_maxrss / 1024, True
    if status != 0:
        raise SystemExit(f"{label} failed:\n{process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024, False


def database(path):
    """A migrated SQLite database with a superuser called bench."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
    }
    run(["migrate", "--noinput"], env, "migrate")
    run(
        [
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_superuser('bench', password=None)",
        ],
        env,
        "user",
    )
    return env


def dumped_objects(path):
    """How many objects dumpdata had written to `path` (its JSON array holds
    one '{"model": ' per object; what was still in its buffer is missed)."""
    marker, count, tail = b'{"model": ', 0, b""
    with open(path, "rb") as dump:
        while block := dump.read(1 << 20):
            block = tail + block
            count += block.count(marker)
            tail = block[-(len(marker) - 1) :]  # a marker split across blocks
    return count


def loaded_objects(path):
    """The last "Processed N object(s)." loaddata --verbosity 3 wrote."""
    with open(path, "rb") as out:
        out.seek(max(0, out.seek(0, os.SEEK_END) - 200))
        found = re.findall(rb"Processed (\d+) object", out.read())
    return int(found[-1]) if found else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--claims", type=int, help="How many to generate (20000); with --source, how many it holds."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--peer-seconds",
        type=float,
        default=1200,
        help="Stop dumpdata or loaddata after this long and report it as capped (1200).",
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--only-import", action="store_true", help="Time import_claims alone, no peers."
    )
    only.add_argument(
        "--only-export", action="store_true", help="Time export_claims alone, no peers."
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="Export this SQLite database (e.g. one pages.py built) instead of generating one.",
    )
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="counterclaim-bench-"))
    if options.source:
        if not options.source.is_file():
            raise SystemExit(f"--source: no database at {options.source}")
        with closing(sqlite3.connect(f"file:{options.source}?mode=ro", uri=True)) as db:
            (held,) = db.execute("SELECT count(*) FROM claims_claim").fetchone()
        if options.claims not in (None, held):
            raise SystemExit(f"--claims {options.claims:,}, but {options.source} holds {held:,}.")
        options.claims = held
        source_env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{options.source.resolve()}",
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
        }
    else:
        options.claims = options.claims or 20000
        source_env = database(work / "source.sqlite3")
        run(
            [
                "generate_claims",
                "--claims",
                str(options.claims),
                "--seed",
                str(options.seed),
                "--quiet",
            ],
            source_env,
            "generate_claims",
        )

    results = {}
    ours = work / "export.jsonl"
    results["export_claims"] = run(
        ["export_claims", "--quiet", "-o", str(ours)], source_env, "export"
    )
    peer = work / "dump.json"
    peers = not (options.only_import or options.only_export)
    if peers:
        results["dumpdata"] = run(
            ["dumpdata", *MODELS, "--natural-foreign", "--natural-primary", "-o", str(peer)],
            source_env,
            "dumpdata",
            limit=options.peer_seconds,
        )
    rows = sum(1 for _ in ours.open(encoding="utf-8"))
    done = {}
    if peers and results["dumpdata"][2]:
        done["dumpdata"] = dumped_objects(peer)

    if not options.only_export:
        target = database(work / "import.sqlite3")
        results["import_claims"] = run(
            ["import_claims", str(ours), "--user", "bench", "--quiet"], target, "import"
        )
    if peers:
        if results["dumpdata"][2]:
            peer = ours  # dumpdata did not finish: loaddata reads our export, which it can
        loaded = database(work / "loaddata.sqlite3")
        progress = work / "loaddata.out"
        with progress.open("wb") as out:
            results["loaddata"] = run(
                ["loaddata", str(peer), "--verbosity", "3"],
                loaded,
                "loaddata",
                limit=options.peer_seconds,
                stdout=out,
            )
        if results["loaddata"][2]:
            done["loaddata"] = loaded_objects(progress)

    source = options.source or "generated"
    print(f"{options.claims:,} claims, {rows:,} fixture rows (SQLite, {source}, {work})")
    print(f"{'step':<15}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}")
    report = {
        "claims": options.claims,
        "seed": options.seed,
        "rows": rows,
        "peer_seconds": options.peer_seconds,
        "source": str(options.source) if options.source else None,
        "steps": {},
    }
    for step, (seconds, peak, capped) in results.items():
        entry = {"seconds": seconds, "capped": capped, "peak_mb": peak}
        if capped:
            # Its pace so far, over the capped time: the whole run is estimated at that pace.
            entry["rows_done"] = done[step]
            entry["rows_per_second"] = done[step] / seconds
            entry["estimated_seconds"] = rows / entry["rows_per_second"] if done[step] else None
            print(
                f"{step:<15}{'capped at ' + format(seconds, '.0f') + ' s':>22}{peak:>10.1f}"
                f"  ({done[step]:,} rows done, {entry['rows_per_second']:,.0f} rows/s)"
            )
        else:
            entry["rows_per_second"] = rows / seconds
            print(f"{step:<15}{seconds:>10.2f}{rows / seconds:>12,.0f}{peak:>10.1f}")
        report["steps"][step] = entry
    for ours_step, peer_step, key in (
        ("export_claims", "dumpdata", "export_speedup"),
        ("import_claims", "loaddata", "import_speedup"),
    ):
        if peer_step not in results:
            continue
        ratio = results[peer_step][0] / results[ours_step][0]
        capped = results[peer_step][2]
        bound = "at least " if capped else ""
        note = f" ({peer_step} capped at {results[peer_step][0]:.0f} s)" if capped else ""
        print(f"{ours_step} is {bound}{ratio:.1f}x as fast as {peer_step}{note}")
        report[key] = ratio
        report[f"{key}_is_lower_bound"] = capped
        estimated = report["steps"][peer_step].get("estimated_seconds")
        if capped and estimated:
            report[f"{key}_estimated"] = estimated / results[ours_step][0]
            print(
                f"  at {peer_step}'s pace before the cap, its whole run would take "
                f"{estimated:,.0f} s: about {estimated / results[ours_step][0]:.1f}x"
            )
    out = PROJECT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    only = "import-" if options.only_import else "export-" if options.only_export else ""
    name = f"fixtures-{only}{options.claims}"
    (out / f"{name}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

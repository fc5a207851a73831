"""Fixtures out and in, against Django's dumpdata and loaddata, on the same data.

    python bench/fixtures.py --claims 20000

Builds a throwaway SQLite database with `manage.py generate_claims` (the
project's deterministic synthetic claims: speakers, sources, citations,
figures and pairings), then times in separate processes export_claims
against dumpdata --natural-foreign --natural-primary, and import_claims
against loaddata into fresh databases, each with its peak resident memory.
A peer (dumpdata, loaddata) that runs longer than --peer-seconds is stopped
and reported as capped: its rows per second are then not known, and the
speedup is a lower bound. Prints a table and writes the figures as JSON to
bench/results/. It measures; it asserts nothing. --only-import times
import_claims alone, to compare its memory at several sizes.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
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


def run(args, env, label, limit=None):
    """Run a manage.py command; return (seconds, peak RSS in MB, capped).
    A run longer than `limit` seconds is killed and reported as capped."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--peer-seconds",
        type=float,
        default=1200,
        help="Stop dumpdata or loaddata after this long and report it as capped (1200).",
    )
    parser.add_argument(
        "--only-import", action="store_true", help="Time import_claims alone, no peers."
    )
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="counterclaim-bench-"))
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
    if not options.only_import:
        results["dumpdata"] = run(
            ["dumpdata", *MODELS, "--natural-foreign", "--natural-primary", "-o", str(peer)],
            source_env,
            "dumpdata",
            limit=options.peer_seconds,
        )
    rows = sum(1 for _ in ours.open(encoding="utf-8"))

    target = database(work / "import.sqlite3")
    results["import_claims"] = run(
        ["import_claims", str(ours), "--user", "bench", "--quiet"], target, "import"
    )
    if not options.only_import:
        if results["dumpdata"][2]:
            peer = ours  # dumpdata did not finish: loaddata reads our export, which it can
        loaded = database(work / "loaddata.sqlite3")
        results["loaddata"] = run(
            ["loaddata", str(peer)], loaded, "loaddata", limit=options.peer_seconds
        )

    print(f"{options.claims:,} claims, {rows:,} fixture rows (SQLite, {work})")
    print(f"{'step':<15}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}")
    report = {
        "claims": options.claims,
        "seed": options.seed,
        "rows": rows,
        "peer_seconds": options.peer_seconds,
        "steps": {},
    }
    for step, (seconds, peak, capped) in results.items():
        if capped:
            print(f"{step:<15}{'capped at ' + format(seconds, '.0f') + ' s':>22}{peak:>10.1f}")
        else:
            print(f"{step:<15}{seconds:>10.2f}{rows / seconds:>12,.0f}{peak:>10.1f}")
        report["steps"][step] = {
            "seconds": seconds,
            "capped": capped,
            "rows_per_second": None if capped else rows / seconds,
            "peak_mb": peak,
        }
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
    out = PROJECT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = (
        f"fixtures-import-{options.claims}" if options.only_import else f"fixtures-{options.claims}"
    )
    (out / f"{name}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

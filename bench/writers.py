"""Many editors saving at once: N processes save claims through the ORM until time is up.

    python bench/writers.py --processes 8 --seconds 60 [--database-url URL] [--json FILE]

Each process sets up Django on its own, as a web server's worker does, and saves new
claims (each with its speaker) one at a time, each in its own transaction as the admin
saves them, through Claim.save() with its history record and search document. It
counts what was saved and what failed. At the end the claims are counted in the
database: none may be lost, and no writer may have seen "database is locked".

Without --database-url a throwaway SQLite database is made and migrated; a database
given by URL must be migrated already, and keeps the claims written (their slugs start
with "bench-"). Prints a table; --json also writes the figures to a file. Exits with
status 1 when a write failed or a saved claim is missing.
"""

import argparse
import json
import multiprocessing
import os
import queue
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
LOCKED = "database is locked"
SETUP_SECONDS = 120
MESSAGES_KEPT = 5


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    import django

    django.setup()


def write(number, database_url, run, speaker_id, seconds, start, results):
    """One writer process: save claims until `seconds` have passed after the start."""
    setup_django(database_url)
    from django.db import OperationalError, connection, transaction

    from claims.models import Claim

    counts = {"process": number, "attempted": 0, "saved": 0, "locked": 0, "other": 0}
    messages = []
    durations = []
    start.wait(timeout=SETUP_SECONDS)
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        counts["attempted"] += 1
        claim = Claim(
            slug=f"bench-{run}-{number}-{counts['attempted']}",
            text=f"Statement {counts['attempted']} by writer {number}.",
            speaker_id=speaker_id,
            said_qualifier=Claim.DateQualifier.NOT_STATED,
        )
        before = time.monotonic()
        try:
            with transaction.atomic():
                claim.save()
        except OperationalError as error:
            kind = "locked" if LOCKED in str(error) else "other"
            counts[kind] += 1
            messages.append(str(error))
        except Exception as error:
            counts["other"] += 1
            messages.append(f"{type(error).__name__}: {error}")
        else:
            counts["saved"] += 1
        durations.append(time.monotonic() - before)
    counts["seconds"] = time.monotonic() - began
    counts["slowest"] = max(durations, default=0.0)
    counts["durations"] = durations
    counts["messages"] = list(dict.fromkeys(messages))[:MESSAGES_KEPT]
    connection.close()
    results.put(counts)


def throwaway_sqlite(folder):
    """A new SQLite database in `folder`, migrated in a child process."""
    url = f"sqlite:///{Path(folder) / 'writers.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=PROJECT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def run_writers(processes, seconds, database_url):
    """Start the writers, wait for them, count the rows; return the figures."""
    setup_django(database_url)
    from django.db import DatabaseError, connection

    from claims.models import Claim, Speaker

    run = uuid.uuid4().hex[:8]
    try:
        speakers = [
            Speaker.objects.create(
                slug=f"bench-{run}-{number}", name=f"Writer {number}", kind=Speaker.Kind.PERSON
            )
            for number in range(1, processes + 1)
        ]
    except DatabaseError as error:
        raise SystemExit(f"Cannot write to {database_url} (is it migrated?): {error}") from None
    connection.close()

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(
            target=write,
            args=(number, database_url, run, speaker.pk, seconds, start, results),
        )
        for number, speaker in enumerate(speakers, start=1)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(timeout=SETUP_SECONDS)
        per_process = [results.get(timeout=seconds + SETUP_SECONDS) for _ in workers]
    except (queue.Empty, multiprocessing.BrokenBarrierError):
        for worker in workers:
            worker.terminate()
        raise SystemExit("A writer process did not start or did not finish.") from None
    for worker in workers:
        worker.join()

    per_process.sort(key=lambda counts: counts["process"])
    saved = sum(counts["saved"] for counts in per_process)
    found = Claim.objects.filter(slug__startswith=f"bench-{run}-").count()
    elapsed = max(counts["seconds"] for counts in per_process)
    durations = sorted(d for counts in per_process for d in counts.pop("durations"))
    connection.close()
    return {
        "engine": connection.vendor,
        "processes": processes,
        "seconds": seconds,
        "attempted": sum(counts["attempted"] for counts in per_process),
        "saved": saved,
        "found": found,
        "lost": saved - found,
        "locked": sum(counts["locked"] for counts in per_process),
        "other": sum(counts["other"] for counts in per_process),
        "writes_per_second": round(saved / elapsed, 1) if elapsed else 0.0,
        "median_ms": round(1000 * durations[len(durations) // 2], 1) if durations else 0.0,
        "slowest_s": round(durations[-1], 3) if durations else 0.0,
        "per_process": per_process,
    }


def print_table(figures):
    print(
        f"{figures['processes']} writer processes for {figures['seconds']} s "
        f"on {figures['engine']}\n"
    )
    print(
        f"{'process':>8} {'attempted':>10} {'saved':>8} {'locked':>8} {'other errors':>13} "
        f"{'slowest (s)':>12}"
    )
    for counts in figures["per_process"]:
        print(
            f"{counts['process']:>8} {counts['attempted']:>10} {counts['saved']:>8} "
            f"{counts['locked']:>8} {counts['other']:>13} {counts['slowest']:>12.3f}"
        )
    print()
    rows = [
        ("writes attempted", figures["attempted"]),
        ("saved", figures["saved"]),
        ("rows found", figures["found"]),
        ("lost", figures["lost"]),
        ('"database is locked" errors', figures["locked"]),
        ("other errors", figures["other"]),
        ("writes/s", figures["writes_per_second"]),
        ("median write (ms)", figures["median_ms"]),
        ("slowest write (s)", figures["slowest_s"]),
    ]
    for label, value in rows:
        print(f"{label:<28} {value:>10}")
    for counts in figures["per_process"]:
        for message in counts["messages"]:
            print(f"process {counts['process']}: {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--database-url",
        help="A migrated database (sqlite:///path or postgres://...); "
        "default: a throwaway SQLite database.",
    )
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    options = parser.parse_args()
    if options.processes < 1 or options.seconds <= 0:
        parser.error("--processes and --seconds must be positive.")

    with tempfile.TemporaryDirectory(prefix="counterclaim-writers-") as folder:
        database_url = options.database_url or throwaway_sqlite(folder)
        figures = run_writers(options.processes, options.seconds, database_url)
    print_table(figures)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")
    failed = figures["lost"] or figures["locked"] or figures["other"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

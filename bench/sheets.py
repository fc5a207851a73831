"""Spreadsheet import at scale: a generated case file imported by `import_sheet`,
beside the same data imported as a fixture by `import_claims`, on a fresh database each.

    python bench/sheets.py [--rows 100000] [--xlsx-rows 20000] [--database-url URL] [--json FILE]
                           [--no-editors]

The case file has, per row: an identifier, a date, an outlet (one of 300, so most
rows name a speaker seen before), a language, two topics, the URL where the claim
appeared (its own), the claim's text, and a rebuttal of several sentences with two
links inside (found with urls_in: evidence sources, one shared by many rows).

Each import runs in a child process (`manage.py`, as an editor would run it), timed
from outside; its peak memory is the child's maximum resident set size. The fixture
is the export of what the spreadsheet import wrote, so both imports write the same
objects; the ratio compares their objects per second. The XLSX file holds the first
--xlsx-rows rows and is timed on its own. Without --database-url each import gets a
throwaway SQLite database; with a PostgreSQL URL, a database of that server is made
and dropped for each. Prints a table; --json writes the figures too.

Meanwhile an editor saves a claim every quarter of a second, as the admin would: asking
first whether a run is writing on a database that takes one writer at a time (then the
save is refused at once, `claims.runs.refusal`), else saving through the ORM in its own
transaction. Its saves, refusals, failures ("database is locked" after the busy timeout)
and how long each took are reported.
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
OUTLETS = 300
TOPICS = ["Syria", "Airstrikes", "Refugees", "Chemical weapons", "Aleppo", "Idlib", "Health"]

MAPPING = {
    "format": 1,
    "name": "Benchmark case file",
    "namespace": "bench",
    "read": {"delimiter": ";"},
    "columns": [
        {"column": "Case", "target": "external_id"},
        {"column": "Date", "target": "said_on", "format": "DD.MM.YYYY"},
        {"column": "Date", "target": "counterclaim.said_on", "format": "DD.MM.YYYY"},
        {"column": "Outlet", "target": "speaker"},
        {"column": "Language", "target": "appearance.language"},
        {"column": "Keywords", "target": "topics", "separator": ","},
        {"column": "URL", "target": "appearance.url"},
        {"column": "Summary", "target": "text"},
        {"column": "Disproof", "target": "counterclaim.text"},
        {"column": "Disproof", "target": "counterclaim.evidence", "find_urls": True},
    ],
    "constants": {
        "speaker.kind": "media",
        "counterclaim.speaker": "Benchmark Watchdog",
        "counterclaim.speaker.kind": "ngo",
        "counterclaim.relation": "contradicts",
        "text_kind": "paraphrase",
    },
}


def rows(count, seed=7):
    rng = random.Random(seed)  # nosec B311: synthetic benchmark data, not secrets
    yield ["Case", "Date", "Outlet", "Language", "Keywords", "URL", "Summary", "Disproof"]
    for n in range(1, count + 1):
        outlet = rng.randrange(OUTLETS)
        yield [
            f"case-{n}",
            f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2014, 2024)}",
            f"Outlet {outlet}",
            rng.choice(["ru", "en", "ar"]),
            ", ".join(rng.sample(TOPICS, 2)),
            f"https://outlet{outlet}.example/{n}/story.html",
            f"Claim {n}: the strikes of that week hit no civilian building, according to the outlet.",
            (
                f"Rebuttal {n}. Monitors documented civilian deaths that week.\n"
                f"See https://monitor.example/reports/{n % 5000} and "
                f"https://archive.example/{rng.randrange(200)}/photos for the images."
            ),
        ]


def write_csv(path, count):
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=";").writerows(rows(count))


def write_xlsx(path, count):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Cases")
    for row in rows(count):
        sheet.append(row)
    book.save(path)


class Database:
    """A fresh database for one import: a SQLite file, or a PostgreSQL database."""

    def __init__(self, base_url, name, directory):
        self.base_url, self.name = base_url, name
        if base_url:
            self.url = base_url.rsplit("/", 1)[0] + f"/{name}"
        else:
            self.url = f"sqlite:///{directory}/{name}.sqlite3"

    def _admin(self, sql):
        import psycopg

        with psycopg.connect(self.base_url, autocommit=True) as connection:
            connection.execute(sql)

    def __enter__(self):
        if self.base_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._admin(f'CREATE DATABASE "{self.name}"')
        manage(self.url, "migrate", "--noinput", "-v0")
        code = (
            "from django.contrib.auth.models import User;"
            "User.objects.create_superuser('bench', 'bench@example.org', None)"
        )
        manage(self.url, "shell", "-c", code)
        return self

    def __exit__(self, *exc):
        if self.base_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def manage(url, *args):
    """Runs manage.py in a child process: (seconds, its peak RSS in MB, its output)."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    # As in production: without DEBUG's record of every query.
    env.update(SHEET_MAX_MB="2000", DEBUG="0", SECRET_KEY="bench-" + "x" * 50)
    env.setdefault("ALLOWED_HOSTS", "localhost")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.monotonic()
        child = subprocess.Popen(  # the project's own manage.py, fixed arguments
            [sys.executable, str(PROJECT / "manage.py"), *args],
            env=env,
            stdout=out,
            stderr=err,
            cwd=PROJECT,
        )
        peak_heap = 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            peak_heap = max(peak_heap, _anonymous_kb(child.pid))
            time.sleep(0.2)
        seconds = time.monotonic() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{stdout}\n{stderr}")
    return seconds, (usage.ru_maxrss / 1024, peak_heap / 1024), stdout


def _anonymous_kb(pid):
    """The process's resident memory that is not a mapped file (RssAnon): its
    heap. SQLite reads the database through a memory map, whose pages count
    in the resident set too but belong to the file."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


EDITOR = r"""
import json, sys, time, uuid
import django
django.setup()
from django.db import OperationalError, transaction
from claims import runs
from claims.models import Claim
stop, out = sys.argv[1], sys.argv[2]
import os
found = {"saved": [], "refused": [], "failed": []}
while not os.path.exists(stop):
    began = time.monotonic()
    try:
        if runs.refusal():
            kind = "refused"
        else:
            with transaction.atomic():
                Claim.objects.create(slug=f"editor-{uuid.uuid4().hex[:12]}", text="An editor's save.")
            kind = "saved"
    except OperationalError:
        kind = "failed"
    found[kind].append(time.monotonic() - began)
    time.sleep(0.25)
Claim.objects.filter(slug__startswith="editor-").delete()  # not part of the data compared
open(out, "w").write(json.dumps(found))
"""


def editor_saves(url, directory):
    """Starts the editor; returns a function that stops it and gives its figures."""
    stop, out = directory / "editor.stop", directory / "editor.json"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    env.update(DEBUG="0", SECRET_KEY="bench-" + "x" * 50)
    env.setdefault("ALLOWED_HOSTS", "localhost")
    child = subprocess.Popen(  # this interpreter and the script above
        [sys.executable, "-c", EDITOR, str(stop), str(out)], env=env, cwd=PROJECT
    )

    def finish():
        stop.touch()
        child.wait(timeout=120)
        found = json.loads(out.read_text())
        figures = {}
        for kind, seconds in found.items():
            seconds.sort()
            figures[kind] = {
                "count": len(seconds),
                "median_ms": 1000 * seconds[len(seconds) // 2] if seconds else None,
                "max_ms": 1000 * seconds[-1] if seconds else None,
            }
        return figures

    return finish


def objects_of(report):
    total = 0
    for line in report.splitlines():
        line = line.strip()
        if line.startswith("claims.") and "created" in line:
            counts = line.split(": ", 1)[1].split(", ")
            total += sum(
                int(c.split()[0]) for c in counts if c.split()[1] in ("created", "updated")
            )
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx-rows", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json")
    parser.add_argument("--no-editors", action="store_true", help="No editor saving meanwhile.")
    options = parser.parse_args()
    results = {"rows": options.rows}
    with tempfile.TemporaryDirectory(prefix="bench-sheets-") as directory:
        directory = Path(directory)
        sheet, mapping = directory / "cases.csv", directory / "mapping.json"
        write_csv(sheet, options.rows)
        mapping.write_text(json.dumps(MAPPING))
        fixture = directory / "same.jsonl"
        with Database(options.database_url, "bench_sheet_csv", directory) as db:
            editor = None if options.no_editors else editor_saves(db.url, directory)
            seconds, peak, report = manage(
                db.url, "import_sheet", str(sheet), "--mapping", str(mapping),
                "--user", "bench", "--quiet",
            )  # fmt: skip
            objects = objects_of(report)
            if editor:
                results["editor"] = editor()
            results["csv"] = {
                "seconds": seconds,
                "peak_rss_mb": peak[0],
                "peak_heap_mb": peak[1],
                "objects": objects,
            }
            manage(db.url, "export_claims", "-o", str(fixture), "--quiet")
        with Database(options.database_url, "bench_fixture", directory) as db:
            seconds, peak, report = manage(
                db.url, "import_claims", str(fixture), "--user", "bench", "--quiet"
            )
            results["fixture"] = {
                "seconds": seconds,
                "objects": objects_of(report),
                "peak_rss_mb": peak[0],
                "peak_heap_mb": peak[1],
            }
        if options.xlsx_rows:
            book = directory / "cases.xlsx"
            write_xlsx(book, options.xlsx_rows)
            with Database(options.database_url, "bench_sheet_xlsx", directory) as db:
                seconds, _, report = manage(
                    db.url, "import_sheet", str(book), "--mapping", str(mapping),
                    "--user", "bench", "--quiet",
                )  # fmt: skip
                results["xlsx"] = {
                    "rows": options.xlsx_rows,
                    "seconds": seconds,
                    "objects": objects_of(report),
                }
    csv_rate = results["csv"]["objects"] / results["csv"]["seconds"]
    fixture_rate = results["fixture"]["objects"] / results["fixture"]["seconds"]
    results["ratio"] = csv_rate / fixture_rate
    engine = "PostgreSQL" if options.database_url else "SQLite"
    print(f"Spreadsheet import, {options.rows:,} rows, {engine}")
    print(f"  CSV through import_sheet: {results['csv']['seconds']:.1f} s, "
          f"{results['csv']['objects']:,} objects ({results['csv']['objects'] / options.rows:.1f} "
          f"per row), {csv_rate:,.0f} objects/s, peak RSS {results['csv']['peak_rss_mb']:.0f} MB "
          f"(of which not the database's memory map: {results['csv']['peak_heap_mb']:.0f} MB)")  # fmt: skip
    print(f"  same data as a fixture through import_claims: {results['fixture']['seconds']:.1f} s, "
          f"{results['fixture']['objects']:,} objects, {fixture_rate:,.0f} objects/s, "
          f"peak RSS {results['fixture']['peak_rss_mb']:.0f} MB ({results['fixture']['peak_heap_mb']:.0f} MB)")  # fmt: skip
    print(f"  ratio (objects/s, sheet / fixture): {results['ratio']:.2f}")
    for kind, figures in results.get("editor", {}).items():
        if figures["count"]:
            print(f"  an editor's saves during the import, {kind}: {figures['count']}, "
                  f"median {figures['median_ms']:.0f} ms, longest {figures['max_ms']:.0f} ms")  # fmt: skip
        else:
            print(f"  an editor's saves during the import, {kind}: 0")
    if "xlsx" in results:
        x = results["xlsx"]
        print(f"  XLSX, {x['rows']:,} rows: {x['seconds']:.1f} s, {x['objects'] / x['seconds']:,.0f} objects/s")  # fmt: skip
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

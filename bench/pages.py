"""Reader pages: latency and queries, in process and over HTTP, against the raw SQL and Datasette.

    python bench/pages.py --claims 100000 [--seed 1] [--database-url postgres://...]
        [--rounds 30] [--no-http] [--no-datasette] [--wrk-seconds 20] [--profile 3]

Builds a database of synthetic claims (migrate + generate_claims) or reuses the one
built before for the same number of claims, seed and engine: SQLite files live in
bench/.data/; on PostgreSQL a database counterclaim_bench_N_SEED is created beside
the one --database-url names. Then, for each page a reader asks for (the list
unfiltered, filtered, sorted and paged, a claim, an organisation, search, exports):

- in process: the Django test client on production settings, p50/p95 over --rounds
  requests after two warm-ups, and the queries per request;
- floor: the SQL that page needs, written by hand and run directly with sqlite3 or
  psycopg, so the ratio shows our overhead over the database;
- over HTTP: gunicorn on production settings on 127.0.0.1, one keep-alive client;
- peer: Datasette serving the same SQLite file with the equivalent filter, sort,
  page or search, once with its defaults and once with suggest_facets off;
- throughput: wrk on the list filtered by speaker, ours against Datasette's
  equivalent, when wrk is installed.

Prints a table, the places where the slowest pages spend their time (cProfile),
and writes everything as JSON to bench/results/pages-N-ENGINE.json (the folders:
BENCH_DATA and BENCH_RESULTS in the environment, if set). It measures;
it asserts nothing. Every server it starts listens on 127.0.0.1 only and is
stopped at the end; every step has a time limit.
"""

import argparse
import ast
import contextlib
import cProfile
import datetime
import hashlib
import http.client
import io
import json
import os
import platform
import pstats
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
# Elsewhere when these say so (the suite's smoke test runs in a temporary folder).
DATA = Path(os.environ.get("BENCH_DATA", PROJECT / "bench" / ".data"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", PROJECT / "bench" / "results"))
BIN = Path(sys.executable).parent
STDLIB = sysconfig.get_paths()["stdlib"]
GENERATOR_FILES = ["claims/generator.py", "claims/management/commands/generate_claims.py"]

PAGE_SIZE = 50  # the list's default page size
SPEAKER_PAGE_SIZE = 25
SEARCH_PAGE_SIZE = 20
SEARCH_LIMIT = 1000  # search ranks this many matches at most
MAX_ROWS = 10_000  # the list pages down to this many rows
DEEP_ROW = 250_000
MIN_ROUNDS = 3
REQUEST_TIMEOUT = 120
START_TIMEOUT = 90
DATASETTE_DB = "counterclaim"
ROW_MARK = b'<td data-label="Said">'
NOTICE_MARK = b'class="notice" role="status"'


# --- Measuring ----------------------------------------------------------------------------


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(seconds):
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 0.5),
        "p95": percentile(ms, 0.95),
        "min": min(ms, default=None),
        "max": max(ms, default=None),
    }


def timed(action, rounds, budget, warmups=2):
    """Run `action` `warmups` times, then up to `rounds` times, timing each; stop
    once `budget` seconds have passed and MIN_ROUNDS runs are timed. A page so slow
    that the warm-ups alone use up the budget is reported from its last warm-up."""
    deadline = time.perf_counter() + budget
    for _ in range(warmups):
        start = time.perf_counter()
        action()
        if time.perf_counter() > deadline:
            return summary([time.perf_counter() - start]) | {"warm_up_only": True}
    samples = []
    while len(samples) < rounds:
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
        if len(samples) >= MIN_ROUNDS and time.perf_counter() > deadline:
            break
    return summary(samples)


class Watchdog:
    """Interrupts the database after `seconds`, so no single request or query can
    hold the benchmark: `interrupt` cancels whatever statement is running."""

    def __init__(self, seconds, interrupt):
        self.seconds, self.interrupt, self.fired = seconds, interrupt, False

    def fire(self):
        self.fired = True
        with contextlib.suppress(Exception):  # the connection may have closed meanwhile
            self.interrupt()

    def __enter__(self):
        self.timer = threading.Timer(self.seconds, self.fire)
        self.timer.daemon = True
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()


def interrupt(raw):
    """Stop the statement running on a DB-API connection (from another thread)."""
    if raw is None:
        return
    if isinstance(raw, sqlite3.Connection):
        raw.interrupt()
    else:
        raw.cancel()


def ratio(ours, other):
    if ours is None or not other:
        return None
    return ours / other


# --- The machine --------------------------------------------------------------------------


def code_version():
    """The commit measured, and whether the working tree differed from it."""

    def git(*args):
        program = shutil.which("git")
        if not program:
            return ""
        try:
            return subprocess.run(
                [program, *args],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = git("diff", "HEAD", "--name-only").splitlines()
    return {"commit": git("rev-parse", "HEAD"), "changed_files": changed}


def machine(engine, database_url):
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    described = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
    }
    if engine == "postgresql":
        import psycopg

        with psycopg.connect(database_url, connect_timeout=10) as connection:
            described["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    return described


# --- The database -------------------------------------------------------------------------


def manage(args, env, label, timeout):
    process = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if process.returncode != 0:
        raise SystemExit(f"{label} failed:\n{process.stdout[-2000:]}{process.stderr[-4000:]}")
    return process.stdout


def fingerprint():
    """What the data depends on: the generator's code."""
    digest = hashlib.sha256()
    for name in GENERATOR_FILES:
        path = PROJECT / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()[:16]


class Database:
    """The benchmark's database: where it is, how to reach it directly, and
    whether what is there was built from the same generator."""

    def __init__(self, claims, seed, database_url):
        self.claims, self.seed = claims, seed
        if database_url:
            parts = urllib.parse.urlsplit(database_url)
            if parts.scheme not in ("postgres", "postgresql"):
                raise SystemExit(
                    "--database-url takes a PostgreSQL URL; SQLite databases are built in "
                    "bench/.data/ (leave --database-url out)."
                )
            self.engine = "postgresql"
            self.name = f"counterclaim_bench_{claims}_{seed}"
            self.admin_url = database_url
            self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
            self.marker = (
                DATA / f"postgresql-{parts.hostname}-{parts.port or 5432}-{self.name}.json"
            )
            self.path = None
        else:
            self.engine = "sqlite"
            folder = DATA / f"sqlite-{claims}-{seed}"
            self.path = folder / f"{DATASETTE_DB}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            self.marker = folder / "built.json"
            self.name = str(self.path)

    def env(self):
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
        }

    def connect(self):
        """A direct connection, closed when the block ends."""
        if self.engine == "sqlite":
            return contextlib.closing(sqlite3.connect(self.path, isolation_level=None))
        import psycopg

        return contextlib.closing(psycopg.connect(self.url, autocommit=True, connect_timeout=10))

    def placeholders(self, sql):
        return sql.replace("%s", "?") if self.engine == "sqlite" else sql

    def cached(self):
        """The parameters recorded when the database was built, when it is still
        there and was built by the same generator; otherwise None."""
        if not self.marker.exists():
            return None
        built = json.loads(self.marker.read_text())
        if built.get("fingerprint") != fingerprint():
            return None
        if self.engine == "sqlite" and not self.path.exists():
            return None
        if self.engine == "postgresql":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as admin:
                found = admin.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [self.name]
                ).fetchone()
            if not found:
                return None
        return built

    def recreate(self):
        if self.engine == "sqlite":
            shutil.rmtree(self.path.parent, ignore_errors=True)
            self.path.parent.mkdir(parents=True)
            return
        import psycopg
        from psycopg import sql

        DATA.mkdir(parents=True, exist_ok=True)
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as admin:
            name = sql.Identifier(self.name)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(name)
            )

    def prepare(self, rebuild=False):
        """Build the database (or reuse it) and return the page parameters."""
        built = None if rebuild else self.cached()
        env = self.env()
        if built:
            print(f"Reusing {self.engine} database {self.name} ({self.claims:,} claims).")
            manage(["migrate", "--noinput"], env, "migrate", timeout=1800)
            if "source" not in built["params"]:
                # Chosen before this version of the script: choose them again.
                built["params"] = pick_parameters(self)
                self.marker.write_text(json.dumps(built, indent=2, ensure_ascii=False))
            return built["params"]
        if not (PROJECT / GENERATOR_FILES[1]).exists():
            raise SystemExit("manage.py generate_claims is missing: nothing to build from.")
        print(f"Building {self.engine} database {self.name} with {self.claims:,} claims ...")
        self.marker.unlink(missing_ok=True)
        self.recreate()
        started = time.perf_counter()
        manage(["migrate", "--noinput"], env, "migrate", timeout=1800)
        manage(
            ["generate_claims", "--claims", str(self.claims), "--seed", str(self.seed), "--quiet"],
            env,
            "generate_claims",
            timeout=600 + self.claims // 200,
        )
        with self.connect() as connection:
            if self.engine == "postgresql":
                # As autovacuum would soon after a bulk load: plans need statistics.
                connection.execute("VACUUM ANALYZE")
            else:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"  built in {time.perf_counter() - started:.0f} s; choosing page parameters ...")
        params = pick_parameters(self)
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(
            json.dumps(
                {
                    "claims": self.claims,
                    "seed": self.seed,
                    "engine": self.engine,
                    "database": self.name,
                    "fingerprint": fingerprint(),
                    "built_seconds": time.perf_counter() - started,
                    "params": params,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return params


# --- Choosing what to ask for, from the data ----------------------------------------------------

UNIT = (
    "WITH RECURSIVE unit(id) AS (SELECT CAST(%s AS BIGINT) UNION "
    "SELECT m.from_speaker_id FROM claims_speaker_organisations m "
    "JOIN unit ON m.to_speaker_id = unit.id) "
)
IN_UNIT = "(c.speaker_id IN (SELECT id FROM unit) OR c.speaking_for_id IN (SELECT id FROM unit))"
LATIN_WORD = re.compile(r"[a-z]{6,}")
ARABIC_WORD = re.compile(r"[\u0621-\u064a]{4,}")
COMMON_WORD = re.compile(r"[^\W\d_]{3,}")


def vocabulary(database, cursor):
    """(word, documents) for every indexed word."""
    if database.engine == "sqlite":
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.claims_vocabulary "
            "USING fts5vocab(main, 'claims_claim_fts', 'row')"
        )
        cursor.execute("SELECT term, doc FROM temp.claims_vocabulary")
    else:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT to_tsvector(''simple''::regconfig, "
            "COALESCE(search_document, '''')) FROM claims_claim')"
        )
    return cursor.fetchall()


def prefix_documents(words, word):
    """Search takes the last word as a prefix: what it matches, at most."""
    return sum(count for term, count in words if term.startswith(word))


def pick_words(database, cursor):
    words = vocabulary(database, cursor)
    latin = [(t, n) for t, n in words if LATIN_WORD.fullmatch(t)]
    rare = min(latin, key=lambda row: (prefix_documents(latin, row[0]), row[0]))
    common = max(
        ((t, n) for t, n in words if COMMON_WORD.fullmatch(t)), key=lambda row: (row[1], row[0])
    )
    arabic = [(t, n) for t, n in words if ARABIC_WORD.fullmatch(t)]
    picked = {
        "rare_word": rare[0],
        "rare_word_documents": prefix_documents(latin, rare[0]),
        "common_word": common[0],
        "common_word_documents": common[1],
    }
    if arabic:
        word = max(arabic, key=lambda row: (row[1], row[0]))
        picked["arabic_word"], picked["arabic_word_documents"] = word
    return picked


def one(cursor, sql, params=()):
    cursor.execute(sql, params)
    return cursor.fetchone()


def pick_parameters(database):
    """Concrete values for each page, read from the data: the busiest speaker, the
    organisation with the most statements, its commonest topic, words of each kind."""
    q = database.placeholders
    with database.connect() as connection:
        cursor = connection.cursor()
        params = {}
        params["published"] = one(
            cursor, "SELECT COUNT(*) FROM claims_claim WHERE status = 'published'"
        )[0]
        speaker_id, slug, name, count = one(
            cursor,
            "SELECT s.id, s.slug, s.name, COUNT(*) FROM claims_claim c "
            "JOIN claims_speaker s ON s.id = c.speaker_id WHERE c.status = 'published' "
            "GROUP BY s.id, s.slug, s.name ORDER BY COUNT(*) DESC, s.id LIMIT 1",
        )
        params["speaker"] = {"id": speaker_id, "slug": slug, "name": name, "claims": count}

        # The organisation whose people (and itself) said the most.
        cursor.execute("SELECT from_speaker_id, to_speaker_id FROM claims_speaker_organisations")
        members = defaultdict(set)
        for member, body in cursor.fetchall():
            members[body].add(member)
        cursor.execute(
            "SELECT speaker_id, COUNT(*) FROM claims_claim WHERE status = 'published' "
            "AND speaker_id IS NOT NULL GROUP BY speaker_id"
        )
        said = dict(cursor.fetchall())
        cursor.execute("SELECT id FROM claims_speaker WHERE kind <> 'person'")

        def unit(organisation):
            seen, todo = {organisation}, [organisation]
            while todo:
                for member in members.get(todo.pop(), ()):
                    if member not in seen:
                        seen.add(member)
                        todo.append(member)
            return seen

        organisation = max(
            (row[0] for row in cursor.fetchall()),
            key=lambda pk: (sum(said.get(member, 0) for member in unit(pk)), -pk),
        )
        slug, name = one(
            cursor, q("SELECT slug, name FROM claims_speaker WHERE id = %s"), [organisation]
        )
        count = one(
            cursor,
            q(
                f"{UNIT}SELECT COUNT(*) FROM claims_claim c WHERE c.status = 'published' AND {IN_UNIT}"  # nosec B608 (SQL from constants here; values are parameters)
            ),
            [organisation],
        )[0]
        params["organisation"] = {
            "id": organisation,
            "slug": slug,
            "name": name,
            "claims": count,
            "members": len(unit(organisation)) - 1,
        }
        topic = one(
            cursor,
            q(
                f"{UNIT}SELECT t.id, t.slug, t.name, COUNT(*) FROM claims_claim c "  # nosec B608 (SQL from constants here; values are parameters)
                "JOIN claims_claim_topics ct ON ct.claim_id = c.id "
                "JOIN claims_topic t ON t.id = ct.topic_id "
                f"WHERE c.status = 'published' AND {IN_UNIT} "
                "GROUP BY t.id, t.slug, t.name ORDER BY COUNT(*) DESC, t.id LIMIT 1"
            ),
            [organisation],
        )
        params["topic"] = dict(zip(["id", "slug", "name", "claims"], topic, strict=True))

        # Three months around the middle of the dated claims.
        dated = one(
            cursor,
            "SELECT COUNT(*) FROM claims_claim WHERE status = 'published' "
            "AND said_qualifier IN ('on', 'repeatedly') AND said_on IS NOT NULL",
        )[0]
        middle = one(
            cursor,
            q(
                "SELECT said_on FROM claims_claim WHERE status = 'published' "
                "AND said_qualifier IN ('on', 'repeatedly') AND said_on IS NOT NULL "
                "ORDER BY said_on LIMIT 1 OFFSET %s"
            ),
            [dated // 2],
        )[0]
        middle = datetime.date.fromisoformat(str(middle)[:10])
        last = datetime.date(middle.year + (middle.month + 1) // 12, (middle.month + 1) % 12 + 1, 1)
        params["said_from"] = f"{middle.year}-{middle.month:02d}"
        params["said_to"] = f"{last.year}-{last.month:02d}"

        # A claim with as many citations and counterclaims as any.
        pk, slug, citations, answers = one(
            cursor,
            "SELECT c.id, c.slug, "
            "(SELECT COUNT(*) FROM claims_citation ci WHERE ci.claim_id = c.id), "
            "(SELECT COUNT(*) FROM claims_rebuttal r JOIN claims_claim cc "
            " ON cc.id = r.counterclaim_id WHERE r.claim_id = c.id AND cc.status = 'published') "
            "+ (SELECT COUNT(*) FROM claims_rebuttal r JOIN claims_claim cc "
            " ON cc.id = r.claim_id WHERE r.counterclaim_id = c.id AND cc.status = 'published') "
            "AS answers FROM claims_claim c WHERE c.status = 'published' "
            "ORDER BY answers DESC, 3 DESC, c.id LIMIT 1",
        )
        params["claim"] = {"id": pk, "slug": slug, "citations": citations, "pairings": answers}
        # The public source cited most.
        params["source"] = one(
            cursor,
            "SELECT s.slug FROM claims_source s JOIN (SELECT source_id, COUNT(*) AS n "
            "FROM claims_citation GROUP BY source_id) c ON c.source_id = s.id "
            "WHERE NOT s.restricted ORDER BY c.n DESC, s.id LIMIT 1",
        )[0]
        params.update(pick_words(database, cursor))
        return params


# --- The pages ----------------------------------------------------------------------------------

LIST_COLUMNS = (
    "c.id, c.slug, c.text, c.said_qualifier, c.said_on, c.said_on_precision, c.said_until, "
    "c.said_until_precision, c.assessment, s.name, s.slug, f.name, "
    "(SELECT COUNT(*) FROM claims_rebuttal r WHERE r.claim_id = c.id AND (SELECT cc.status "
    "FROM claims_claim cc WHERE cc.id = r.counterclaim_id) = 'published') AS counterclaims"
)
LIST_FROM = (
    "FROM claims_claim c LEFT JOIN claims_speaker s ON s.id = c.speaker_id "
    "LEFT JOIN claims_speaker f ON f.id = c.speaking_for_id"
)
NEWEST = "ORDER BY c.said_sort DESC, c.id DESC"
EXPORT_COLUMNS = (
    "c.id, c.slug, c.text, c.text_kind, c.original_language, c.original_text, s.name, s.kind, "
    "f.name, c.speaker_role, c.said_qualifier, c.said_on, c.said_on_precision, c.said_until, "
    "c.said_until_precision, c.date_note, c.period_start, c.period_end, c.place, c.assessment, "
    "c.assessment_rationale, c.first_published_at, "
    "(SELECT COUNT(*) FROM claims_rebuttal r WHERE r.claim_id = c.id AND (SELECT cc.status "
    "FROM claims_claim cc WHERE cc.id = r.counterclaim_id) = 'published') AS counterclaims"
)


def list_floor(where="", params=(), order=NEWEST, offset=0, prefix="", prefix_params=()):
    """The rows of one page and the bounded count the list shows. The page's ids are
    chosen first and only those rows are read whole, as a careful hand would write it."""
    # A published claim always has a speaker: sorting by name can walk the speakers.
    join = "JOIN" if "s.name" in order else "LEFT JOIN"
    page = (
        f"SELECT c.id FROM claims_claim c {join} claims_speaker s ON s.id = c.speaker_id "  # nosec B608 (SQL from constants here; values are parameters)
        f"WHERE c.status = 'published' {where} {order} LIMIT {PAGE_SIZE} OFFSET {offset}"
    )
    rows = f"{prefix}SELECT {LIST_COLUMNS} {LIST_FROM} WHERE c.id IN ({page}) {order}"
    count = (
        f"{prefix}SELECT COUNT(*) FROM (SELECT 1 FROM claims_claim c "  # nosec B608 (SQL from constants here; values are parameters)
        f"WHERE c.status = 'published' {where} LIMIT {MAX_ROWS + 1}) bounded"
    )
    both = [*prefix_params, *params]
    return [(rows, both), (count, both)]


def within(start, end):
    """Said wholly between two dates, as the list's date filter means it."""
    after = end + datetime.timedelta(days=1)

    def ends_by(field):
        return (
            f"((c.{field}_precision = 'day' AND c.{field} <= %s) "
            f"OR (c.{field}_precision = 'month' AND c.{field} < %s) "
            f"OR (c.{field}_precision = 'year' AND c.{field} < %s))"
        )

    bounds = [end, after.replace(day=1), after.replace(month=1, day=1)]
    # said_sort is said_on (or said_until): bounding it lets the date index help.
    sql = (
        "AND c.said_sort >= %s AND c.said_sort <= %s "
        "AND c.said_on >= %s AND ((c.said_qualifier = 'on' AND "
        + ends_by("said_on")
        + ") OR (c.said_qualifier = 'repeatedly' AND c.said_until IS NOT NULL AND "
        + ends_by("said_until")
        + "))"
    )
    return sql, [start, end, start, *bounds, *bounds]


def month_bounds(said_from, said_to):
    year, month = map(int, said_from.split("-"))
    start = datetime.date(year, month, 1)
    year, month = map(int, said_to.split("-"))
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


def related_rows(claim_id):
    """Datasette's pages for what a claim page shows: the claim's row page, then
    each table of rows that names the claim, filtered to it."""
    base = f"/{DATASETTE_DB}"
    return [
        f"{base}/claims_claim/{claim_id}",
        *(
            f"{base}/{table}?{column}={claim_id}"
            for table, column in (
                ("claims_citation", "claim_id"),
                ("claims_figure", "claim_id"),
                ("claims_rebuttal", "claim_id"),
                ("claims_rebuttal", "counterclaim_id"),
                ("claims_claim_topics", "claim_id"),
                ("claims_claim_accused", "claim_id"),
                ("claims_correction", "claim_id"),
            )
        ),
    ]


def claim_floor(claim_id, slug):
    claim = (
        "SELECT c.*, s.name, s.slug, f.name, f.slug FROM claims_claim c "
        "LEFT JOIN claims_speaker s ON s.id = c.speaker_id "
        "LEFT JOIN claims_speaker f ON f.id = c.speaking_for_id "
        "WHERE c.slug = %s AND c.status = 'published'"
    )
    citations = (
        "SELECT ci.role, ci.locator, ci.excerpt, so.slug, so.title, so.url, so.published_on, "
        "so.published_precision, p.name FROM claims_citation ci "
        "JOIN claims_source so ON so.id = ci.source_id "
        "LEFT JOIN claims_speaker p ON p.id = so.publisher_id "
        "WHERE ci.claim_id = %s AND NOT so.restricted ORDER BY so.published_on, ci.id"
    )
    pairs = (
        "SELECT r.relation, r.note, cc.id, cc.slug, cc.text, cc.said_on, cc.said_on_precision, "
        "cc.said_qualifier, cc.assessment, s.name, s.slug FROM claims_rebuttal r "
        "JOIN claims_claim cc ON cc.id = r.{other} "
        "LEFT JOIN claims_speaker s ON s.id = cc.speaker_id "
        "WHERE r.{this} = %s AND cc.status = 'published' ORDER BY cc.said_sort, cc.id"
    )
    figures = (
        "SELECT fi.claim_id, fi.position, fi.value_min, fi.value_max, fi.qualifier, "
        "fi.stated_as, m.name, m.unit FROM claims_figure fi "
        "JOIN claims_measure m ON m.id = fi.measure_id WHERE fi.claim_id IN "
        "(SELECT %s UNION ALL SELECT counterclaim_id FROM claims_rebuttal WHERE claim_id = %s) "
        "ORDER BY fi.claim_id, fi.position"
    )
    topics = (
        "SELECT t.slug, t.name FROM claims_topic t JOIN claims_claim_topics ct "
        "ON ct.topic_id = t.id WHERE ct.claim_id = %s ORDER BY t.name"
    )
    return [
        (claim, [slug]),
        (citations, [claim_id]),
        (pairs.format(other="counterclaim_id", this="claim_id"), [claim_id]),
        (pairs.format(other="claim_id", this="counterclaim_id"), [claim_id]),
        (figures, [claim_id, claim_id]),
        (topics, [claim_id]),
    ]


def speaker_floor(organisation, slug):
    page = (
        f"SELECT c.id FROM claims_claim c WHERE c.status = 'published' AND {IN_UNIT} "  # nosec B608 (SQL from constants here; values are parameters)
        f"{NEWEST} LIMIT {SPEAKER_PAGE_SIZE}"
    )
    rows = f"{UNIT}SELECT {LIST_COLUMNS} {LIST_FROM} WHERE c.id IN ({page}) {NEWEST}"
    by_assessment = (
        f"{UNIT}SELECT c.assessment, COUNT(*) FROM claims_claim c "  # nosec B608 (SQL from constants here; values are parameters)
        f"WHERE c.status = 'published' AND {IN_UNIT} GROUP BY c.assessment"
    )
    members = (
        "SELECT s.slug, s.name FROM claims_speaker s JOIN claims_speaker_organisations m "
        "ON m.from_speaker_id = s.id WHERE m.to_speaker_id = %s ORDER BY s.name"
    )
    pairs = (
        f"{UNIT}SELECT r.relation, r.created_at, a.slug, a.text, b.slug, b.text "  # nosec B608 (SQL from constants here; values are parameters)
        "FROM claims_rebuttal r JOIN claims_claim a ON a.id = r.claim_id "
        "JOIN claims_claim b ON b.id = r.counterclaim_id "
        "JOIN claims_claim c ON c.id = r.{side} "
        f"WHERE a.status = 'published' AND b.status = 'published' AND {IN_UNIT} "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT 50"
    )
    return [
        ("SELECT * FROM claims_speaker WHERE slug = %s", [slug]),
        (rows, [organisation]),
        (by_assessment, [organisation]),
        (members, [organisation]),
        (pairs.replace("{side}", "counterclaim_id"), [organisation]),
        (pairs.replace("{side}", "claim_id"), [organisation]),
    ]


def search_floor(engine, word, window):
    """Rank the newest `window` published matches (all of them when None), keep
    the best SEARCH_LIMIT, then read the first page of them: the queries the
    search page sends."""
    if engine == "sqlite":
        # The word is matched whole when it alone fills the window, else as a prefix.
        counted = (
            "SELECT count(*) FROM (SELECT c.id FROM claims_claim_fts "
            "JOIN claims_claim c ON c.id = claims_claim_fts.rowid "
            f"WHERE claims_claim_fts MATCH %s AND c.status = 'published' LIMIT {window or -1})"  # nosec B608 (SQL from constants here; values are parameters)
        )

        def ranked(rows):
            whole = window and rows[0][0] >= window
            match = (
                "SELECT c.id AS id, bm25(claims_claim_fts) AS score FROM claims_claim_fts "
                "JOIN claims_claim c ON c.id = claims_claim_fts.rowid "
                "WHERE claims_claim_fts MATCH %s AND c.status = 'published'"
            )
            if window:
                match += f" ORDER BY claims_claim_fts.rowid DESC LIMIT {window}"
            sql = f"SELECT id FROM ({match}) m ORDER BY score, id LIMIT {SEARCH_LIMIT}"  # nosec B608 (SQL from constants here; values are parameters)
            return sql, [f'"{word}"' if whole else f'"{word}"*']

        steps = [(counted, [f'"{word}"']), ranked]
    else:
        query = "to_tsquery('simple'::regconfig, %s)"
        newest = (
            f"SELECT c.id, c.search_vector FROM claims_claim c WHERE c.search_vector @@ {query} "  # nosec B608 (SQL from constants here; values are parameters)
            "AND c.status = 'published'"
        )
        if window:
            newest += f" ORDER BY c.id DESC LIMIT {window}"
        ranked = (
            f"SELECT m.id FROM ({newest}) m "  # nosec B608 (SQL from constants here; values are parameters)
            f"ORDER BY ts_rank(m.search_vector, {query}) DESC, m.id LIMIT {SEARCH_LIMIT}"
        )
        steps = [(ranked, [f"{word}:*", f"{word}:*"])]

    def first_page(rows):
        ids = [row[0] for row in rows[:SEARCH_PAGE_SIZE]] or [0]
        marks = ", ".join(["%s"] * len(ids))
        return (
            f"SELECT c.id, c.slug, c.text, c.original_text, c.said_on, s.name, s.slug "  # nosec B608 (SQL from constants here; values are parameters)
            f"FROM claims_claim c LEFT JOIN claims_speaker s ON s.id = c.speaker_id "
            f"WHERE c.id IN ({marks})",
            ids,
        )

    return [*steps, first_page]


def export_floor(speaker):
    where = "AND c.speaker_id = %s"
    return [
        (
            f"SELECT {EXPORT_COLUMNS} {LIST_FROM} WHERE c.status = 'published' {where} {NEWEST}",
            [speaker],
        ),
        (
            "SELECT ct.claim_id, t.name FROM claims_claim_topics ct JOIN claims_topic t "  # nosec B608 (SQL from constants here; values are parameters)
            "ON t.id = ct.topic_id JOIN claims_claim c ON c.id = ct.claim_id "
            f"WHERE c.status = 'published' {where}",
            [speaker],
        ),
        (
            "SELECT ca.claim_id, s.name FROM claims_claim_accused ca JOIN claims_speaker s "  # nosec B608 (SQL from constants here; values are parameters)
            "ON s.id = ca.speaker_id JOIN claims_claim c ON c.id = ca.claim_id "
            f"WHERE c.status = 'published' {where}",
            [speaker],
        ),
    ]


def search_window():
    """How many of the newest matches search ranks (claims/search.py), or None
    when it ranks them all."""
    # Read from the source: importing claims.search needs Django set up,
    # which this process does later, for the database it measures.
    module = ast.parse((PROJECT / "claims" / "search.py").read_text())
    for node in module.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["RANK_WINDOW"]:
            return ast.literal_eval(node.value)
    return None


def build_cases(params, engine):
    """Each page: our address, the SQL it needs, and Datasette's equivalent."""
    q = urllib.parse.quote
    speaker, organisation, topic = params["speaker"], params["organisation"], params["topic"]
    start, end = month_bounds(params["said_from"], params["said_to"])
    deep_row = min(DEEP_ROW, max(0, params["published"] - PAGE_SIZE) // 1000 * 1000)
    deep_page = deep_row // PAGE_SIZE + 1
    shown_page = min(deep_page, MAX_ROWS // PAGE_SIZE)
    date_where, date_params = within(start, end)
    unit_where = f"AND {IN_UNIT}"
    topic_where = "AND c.id IN (SELECT claim_id FROM claims_claim_topics WHERE topic_id = %s)"
    table = f"/{DATASETTE_DB}/claims_claim"
    newest = "status__exact=published&_sort_desc=said_sort"
    unit_sql = (
        "with recursive unit(id) as (select {pk} union select m.from_speaker_id from "  # nosec B608 (SQL from constants here; values are parameters)
        "claims_speaker_organisations m join unit on m.to_speaker_id = unit.id) select id from unit"
    ).format(pk=organisation["id"])
    in_unit = f"(speaker_id in ({unit_sql}) or speaking_for_id in ({unit_sql}))"
    by_topic = f"id in (select claim_id from claims_claim_topics where topic_id = {topic['id']})"  # nosec B608 (SQL from constants here; values are parameters)

    cases = [
        {
            "name": "list",
            "path": "/claims/",
            "floor": list_floor(),
            "datasette": f"{table}?{newest}&_size={PAGE_SIZE}",
        },
        {
            "name": "list by speaker",
            "path": f"/claims/?speaker={q(speaker['slug'])}",
            "floor": list_floor("AND c.speaker_id = %s", [speaker["id"]]),
            "datasette": f"{table}?{newest}&speaker_id={speaker['id']}&_size={PAGE_SIZE}",
        },
        {
            "name": "list by date range",
            "path": f"/claims/?said_from={params['said_from']}&said_to={params['said_to']}",
            "floor": list_floor(date_where, date_params),
            "datasette": f"{table}?{newest}&said_sort__gte={start}&said_sort__lte={end}"
            f"&_size={PAGE_SIZE}",
            "peer_note": "Datasette: said_sort between the bounds (no date precision)",
        },
        {
            "name": "list by organisation + topic",
            "path": f"/claims/?organisation={q(organisation['slug'])}&topic={q(topic['slug'])}",
            "floor": list_floor(
                f"{unit_where} {topic_where}",
                [topic["id"]],
                prefix=UNIT,
                prefix_params=[organisation["id"]],
            ),
            "datasette": f"{table}?{newest}&_where={q(f'{in_unit} and {by_topic}')}"
            f"&_size={PAGE_SIZE}",
            "peer_note": "Datasette: _where with the same recursive subquery",
        },
        {
            "name": "list sorted by date",
            "path": "/claims/?sort=said",
            "floor": list_floor(order="ORDER BY c.said_sort ASC, c.id ASC"),
            "datasette": f"{table}?status__exact=published&_sort=said_sort&_size={PAGE_SIZE}",
        },
        {
            "name": "list sorted by speaker",
            "path": "/claims/?sort=speaker",
            "floor": list_floor(
                order="ORDER BY s.name ASC, c.speaker_id ASC, c.said_sort DESC, c.id DESC"
            ),
            "datasette": f"{table}?status__exact=published&_sort=speaker_id&_size={PAGE_SIZE}",
            "peer_note": "Datasette sorts by speaker_id: it cannot sort by a joined name",
        },
        {
            "name": "list page 1",
            "path": "/claims/?page=1",
            "floor": list_floor(),
            "datasette": f"{table}?{newest}&_size={PAGE_SIZE}",
        },
        {
            "name": "list page 20",
            "path": "/claims/?page=20",
            "floor": list_floor(offset=19 * PAGE_SIZE),
            "datasette": {"walk_to": 19 * PAGE_SIZE, "path": f"{table}?{newest}"},
            "peer_note": "Datasette: the page after 19 _next hops of 50",
        },
        {
            "name": f"list {deep_row:,} rows deep",
            "path": f"/claims/?page={deep_page}",
            "floor": list_floor(offset=(shown_page - 1) * PAGE_SIZE),
            "datasette": {"walk_to": deep_row, "path": f"{table}?{newest}"},
            "deep": {"row": deep_row, "page": deep_page, "shown_page": shown_page},
            "note": f"ours asks page {deep_page:,}; the list stops at {MAX_ROWS:,} rows and "
            f"shows page {shown_page} with a notice (floor: that page)",
            "peer_note": f"Datasette: the page after following _next to row {deep_row:,}",
        },
        {
            "name": "claim page",
            "path": f"/claims/{params['claim']['slug']}/",
            "floor": claim_floor(params["claim"]["id"], params["claim"]["slug"]),
            "datasette": f"{table}/{params['claim']['id']}",
            "peer_note": "Datasette: the row page",
        },
        {
            "name": "claim page, all rows",
            "path": f"/claims/{params['claim']['slug']}/",
            "floor": claim_floor(params["claim"]["id"], params["claim"]["slug"]),
            "datasette": {"all_of": related_rows(params["claim"]["id"])},
            "peer_note": "Datasette: the row page and the pages of the rows our page shows with "
            "it (citations, figures, pairings both ways, topics, accused, corrections), "
            "fetched one after another",
        },
        {
            "name": "speaker page (organisation)",
            "path": f"/speakers/{q(organisation['slug'])}/",
            "floor": speaker_floor(organisation["id"], organisation["slug"]),
            "datasette": f"{table}?{newest}&_where={q(in_unit)}&_size={SPEAKER_PAGE_SIZE}",
            "peer_note": "Datasette: the claims table filtered to the organisation and its people",
        },
    ]
    words = [("rare", params["rare_word"]), ("common", params["common_word"])]
    if params.get("arabic_word"):
        words.append(("Arabic", params["arabic_word"]))
    for kind, word in words:
        cases.append(
            {
                "name": f"search {kind} word",
                "path": f"/search/?q={q(word)}",
                "floor": search_floor(engine, word, search_window()),
                "datasette": f"{table}?status__exact=published&_search={q(word)}"
                f"&_size={SEARCH_PAGE_SIZE}",
                "word": word,
                "peer_note": "Datasette: match without ranking, ordered by id, plus a full count",
            }
        )
    # The site's other public pages, with no floor: a whole page each, not
    # one query. The list narrowed to a common word and the list sorted by
    # assessment have a Datasette equivalent.
    cases += [
        {
            "name": "list by a common word",
            "path": f"/claims/?q={q(params['common_word'])}",
            "floor": None,
            "datasette": f"{table}?{newest}&_search={q(params['common_word'])}&_size={PAGE_SIZE}",
            "peer_note": "Datasette: _search with the same newest-first order",
        },
    ]
    if params.get("arabic_word"):
        # A word in some of the claims (5% at a million): the list walks for
        # its first page and gathers the matches deeper.
        word = q(params["arabic_word"])
        cases += [
            {
                "name": "list by the Arabic word",
                "path": f"/claims/?q={word}",
                "floor": None,
                "datasette": f"{table}?{newest}&_search={word}&_size={PAGE_SIZE}",
                "peer_note": "Datasette: _search with the same newest-first order",
            },
            {
                "name": "list by the Arabic word, page 150",
                "path": f"/claims/?q={word}&page=150",
                "floor": None,
            },
        ]
    cases += [
        {
            "name": "list sorted by assessment",
            "path": "/claims/?sort=assessment",
            "floor": None,
            "datasette": f"{table}?status__exact=published&_sort=assessment&_size={PAGE_SIZE}",
        },
        {"name": "speakers list", "path": "/speakers/", "floor": None},
        {"name": "speakers list, page 40", "path": "/speakers/?page=40", "floor": None},
        {
            "name": "source page (most cited)",
            "path": f"/sources/{q(params['source'])}/",
            "floor": None,
        },
        {"name": "claims feed", "path": "/feeds/claims.atom", "floor": None},
        {"name": "corrections log", "path": "/corrections/", "floor": None},
        {"name": "sitemap index", "path": "/sitemap.xml", "floor": None},
    ]
    filtered = f"{table}.{{}}?{newest}&speaker_id={speaker['id']}"
    cases += [
        {
            "name": "export CSV (by speaker)",
            "path": f"/claims/?speaker={q(speaker['slug'])}&_export=csv",
            "floor": export_floor(speaker["id"]),
            "datasette": filtered.format("csv") + "&_stream=on&_size=max",
            "export": True,
        },
        {
            "name": "export JSON (by speaker)",
            "path": f"/claims/?speaker={q(speaker['slug'])}&_export=json",
            "floor": export_floor(speaker["id"]),
            "datasette": {"walk_all": filtered.format("json") + "&_size=max"},
            "export": True,
            "peer_note": "Datasette: JSON has no full export; every page of 1,000 followed by next_url",
        },
    ]
    return cases


# --- Floor: the SQL alone -------------------------------------------------------------------------


def run_floor(database, steps):
    def execute(cursor):
        rows = []
        for step in steps:
            sql, params = step(rows) if callable(step) else step
            if database.engine == "sqlite":
                params = [p.isoformat() if isinstance(p, datetime.date) else p for p in params]
            cursor.execute(database.placeholders(sql), params)
            rows = cursor.fetchall()

    return execute


def measure_floor(database, cases, rounds, budget, limit):
    print("Floor: the SQL each page needs, run directly ...")
    with database.connect() as connection:
        cursor = connection.cursor()
        for case in cases:
            if not case["floor"]:
                continue
            execute = run_floor(database, case["floor"])

            def run(execute=execute):
                with Watchdog(limit, lambda: interrupt(connection)):
                    execute(cursor)

            try:
                case["floor_ms"] = timed(run, rounds, budget)
            except Exception as error:  # interrupted, most likely
                case["floor_error"] = f"{type(error).__name__}: {error}"[:300]


# --- In process ---------------------------------------------------------------------------------


def production_env(database, work, hosts):
    return {
        **database.env(),
        "DEBUG": "0",
        "SECRET_KEY": "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(50)
        ),
        "ALLOWED_HOSTS": hosts,
        "SECURE_PROXY_SSL_HEADER": "1",
        "STATIC_ROOT": str(work / "static"),
        "DATASET_ROOT": str(work / "datasets"),
        "MEDIA_ROOT": str(work / "media"),
    }


def read_body(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return body


def describe(status, body):
    return {
        "status": status,
        "bytes": len(body),
        "rows": body.count(ROW_MARK),
        "notice": NOTICE_MARK in body,
    }


def by_area(stats):
    """Own time (tottime) per package or project folder."""
    areas = Counter()
    for (filename, _, name), (_, _, own, _, _) in stats.stats.items():
        if "site-packages/" in filename:
            area = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif filename.startswith(str(PROJECT)):
            area = Path(filename).relative_to(PROJECT).parts[0]
        elif filename == "~" and re.search(r"execute|fetch|interrupt|cancel", name):
            area = "database: executing and fetching (driver, C)"
        elif filename == "~":
            found = re.fullmatch(r"<method '(\w+)' of '([\w.]+)' objects>", name)
            area = f"C {found[2]}.{found[1]}" if found else "C " + name.strip("<>")
        elif filename.startswith(STDLIB):
            area = "stdlib " + Path(filename).relative_to(STDLIB).parts[0].removesuffix(".py")
        else:
            area = filename
        areas[area] += own
    return areas


def measure_in_process(env, cases, rounds, budget, profile, limit):
    os.environ.update(env)
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"X-Forwarded-Proto": "https"})
    running = []

    def remember(execute, sql, params, many, context):
        running[:] = [sql]
        return execute(sql, params, many, context)

    print("In process: the Django test client on production settings ...")
    for case in cases:

        def get(path=case["path"]):
            with Watchdog(limit, lambda: interrupt(connection.connection)) as watchdog:
                try:
                    response = client.get(path)
                    return response.status_code, read_body(response)
                except Exception as error:
                    if watchdog.fired:
                        raise TimeoutError(
                            f"interrupted after {limit:.0f} s in: {running[0][:400]}"
                        ) from error
                    raise

        # Two warm-ups count the queries; the timed requests run without the capture.
        # The first is also timed on its own: it makes the counts the page keeps.
        captured = []
        try:
            with connection.execute_wrapper(remember):
                for _ in range(2):
                    started = time.perf_counter()
                    with CaptureQueriesContext(connection) as queries:
                        status, body = get()
                    if not captured:
                        first_ms = (time.perf_counter() - started) * 1000
                    captured.append(queries.captured_queries)
            case["ours"] = describe(status, body)
            case["ours"]["first_ms"] = first_ms
            case["ours"]["queries"] = [len(q) for q in captured]
            case["ours"]["sql_ms"] = sum(float(q["time"]) for q in captured[-1]) * 1000
            case["ours"]["slowest_queries"] = [
                {"ms": float(q["time"]) * 1000, "sql": q["sql"][:600]}
                for q in sorted(captured[-1], key=lambda q: -float(q["time"]))[:3]
            ]
            case["ours_ms"] = timed(get, rounds, budget, warmups=0)
        except Exception as error:  # a page that fails is reported, not fatal
            case["ours_error"] = f"{type(error).__name__}: {error}"[:600]
    connections.close_all()

    pages = [case for case in cases if not case.get("export") and "ours_ms" in case]
    slowest = sorted(pages, key=lambda case: case["ours_ms"]["p50"], reverse=True)[:profile]
    profiles = []
    for case in slowest:
        profiler = cProfile.Profile()
        requests = 5 if case["ours_ms"]["p50"] < 2000 else 1
        with Watchdog(limit, lambda: interrupt(connection.connection)):
            profiler.enable()
            try:
                for _ in range(requests):
                    read_body(client.get(case["path"]))
            except Exception as error:
                case["profile_error"] = f"{type(error).__name__}: {error}"[:300]
            finally:
                profiler.disable()
        stats = pstats.Stats(profiler)
        total = stats.total_tt / requests * 1000
        areas = [
            {"area": area, "ms": own / requests * 1000}
            for area, own in by_area(stats).most_common(12)
        ]
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
        own_text = io.StringIO()
        pstats.Stats(profiler, stream=own_text).sort_stats("tottime").print_stats(25)
        profiles.append(
            {
                "case": case["name"],
                "path": case["path"],
                "ms_per_request": total,
                "sql_ms": case["ours"]["sql_ms"],
                "queries": case["ours"]["queries"][-1],
                "slowest_queries": case["ours"]["slowest_queries"],
                "areas": areas,
                "cumulative": text.getvalue(),
                "own": own_text.getvalue(),
            }
        )
    connections.close_all()
    return profiles


# --- Servers ------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A child process serving on 127.0.0.1:port, always stopped on exit."""

    def __init__(self, label, command, env, log, ready=None):
        self.label, self.command, self.env, self.log_path = label, command, env, log
        self.ready = ready  # given the log so far: whether it may be used yet
        self.port = free_port()
        self.command = [part.format(port=self.port) for part in command]
        self.process = None

    def __enter__(self):
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            if self.ready is None or self.ready(Path(self.log_path).read_text(errors="replace")):
                return self
            time.sleep(0.2)
        self.stop()
        tail = Path(self.log_path).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.label} did not start on port {self.port}:\n{tail}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.log.close()

    def __exit__(self, *exc):
        self.stop()


def gunicorn(env, work, workers=2):
    """gunicorn on gunicorn.conf.py, used once every worker has started: the
    port opens before the workers do, and the first worker up would take every
    keep-alive connection waiting (measured: half the requests per second)."""

    def ready(log):
        return log.count("Booting worker with pid") >= workers

    return Server(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "tracker.wsgi",
            "--bind",
            "127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        env,
        work / "gunicorn.log",
        ready=ready,
    )


class HttpClient:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, port, timeout, headers=None):
        self.port = port
        self.headers = {"Host": f"127.0.0.1:{port}", **(headers or {})}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def get(self, path):
        for attempt in range(2):
            try:
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                return response.status, response.read(), response
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        self.connection.close()


def measure_ours_http(client, cases, rounds, budget):
    for case in cases:

        def get(path=case["path"]):
            status, body, _ = client.get(path)
            if status >= 400:
                raise RuntimeError(f"HTTP {status}")
            return body

        try:
            status, body, _ = client.get(case["path"])
            case["ours_http"] = describe(status, body)
            case["ours_http_ms"] = timed(get, rounds, budget)
        except (OSError, RuntimeError, http.client.HTTPException) as error:
            case["ours_http_error"] = f"{type(error).__name__}: {error}"


# --- Datasette ----------------------------------------------------------------------------------


def datasette(database, work, facets):
    metadata = work / "datasette-metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "databases": {
                    DATASETTE_DB: {
                        "tables": {
                            "claims_claim": {"fts_table": "claims_claim_fts", "fts_pk": "id"}
                        }
                    }
                }
            }
        )
    )
    command = [
        str(BIN / "datasette"),
        "serve",
        "-i",
        str(database.path),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--metadata",
        str(metadata),
    ]
    if not facets:
        command += ["--setting", "suggest_facets", "off"]
    label = "datasette" if facets else "datasette-nofacets"
    return Server(label, command, os.environ.copy(), work / f"{label}.log")


def json_get(client, path):
    status, body, _ = client.get(path)
    if status != 200:
        raise RuntimeError(f"HTTP {status} for {path}: {body[:300]!r}")
    return json.loads(body)


def local(url):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


def add_query(path, extra):
    return f"{path}{'&' if '?' in path else '?'}{extra}"


def walk(client, path, rows, seconds):
    """Follow Datasette's next_url from the first page until `rows` rows are
    behind, or time is up. Returns (token, rows passed, hops, seconds, ids seen)."""
    size = PAGE_SIZE if rows % 1000 else 1000
    url = add_query(local(path.replace("claims_claim?", "claims_claim.json?")), f"_size={size}")
    passed, hops, token, ids = 0, 0, None, []
    started = time.perf_counter()
    while passed < rows and time.perf_counter() - started < seconds:
        data = json_get(client, url)
        hops += 1
        passed += len(data["rows"])
        ids += [row[0] for row in data["rows"]]
        token = data.get("next")
        if not data.get("next_url"):
            break
        url = local(data["next_url"])
    return token, passed, hops, time.perf_counter() - started, ids


def deep_token(database, row):
    """The _next token Datasette gives after `row` rows of the newest-first list:
    its own order on later pages is said_sort descending, then id ascending."""
    with database.connect() as connection:
        cursor = connection.cursor()
        cursor.execute(
            database.placeholders(
                "SELECT said_sort, id FROM claims_claim WHERE status = 'published' "
                "ORDER BY said_sort DESC, id ASC LIMIT 1 OFFSET %s"
            ),
            [row - 1],
        )
        said, pk = cursor.fetchone()
    return f"{str(said)[:10]},{pk}"


def paging_check(database, ids):
    """Rows seen twice while following next, and rows skipped: every published claim
    said later than the last row reached should have been passed on the way."""
    if not ids:
        return {"rows_followed": 0, "duplicates": 0, "missing": 0}
    with database.connect() as connection:
        cursor = connection.cursor()
        cursor.execute(
            database.placeholders(
                "SELECT id FROM claims_claim WHERE status = 'published' AND said_sort > "
                "(SELECT said_sort FROM claims_claim WHERE id = %s)"
            ),
            [ids[-1]],
        )
        expected = {row[0] for row in cursor.fetchall()}
    seen = Counter(ids)
    return {
        "rows_followed": len(ids),
        "duplicates": sum(n - 1 for n in seen.values() if n > 1),
        "missing": len(expected - set(seen)),
    }


def resolve_datasette_paths(database, client, cases, walk_seconds):
    """Turn 'walk' cases into a concrete URL: the page after following next."""
    for case in cases:
        spec = case.get("datasette")
        if not isinstance(spec, dict) or "walk_to" not in spec:
            continue
        rows = spec["walk_to"]
        token, passed, hops, seconds, ids = walk(client, spec["path"], rows, walk_seconds)
        info = {"rows": rows, "hops": hops, "rows_followed": passed, "seconds": seconds}
        info["seconds_per_hop"] = seconds / hops if hops else None
        if passed < rows:
            per_row = seconds / passed if passed else None
            info["extrapolated_seconds"] = per_row * rows if per_row else None
            token = deep_token(database, rows)
            info["next_from"] = "computed from the data (following next took too long)"
        else:
            info["next_from"] = "followed"
        info.update(paging_check(database, ids))
        case["datasette_walk"] = info
        case["datasette_path"] = add_query(
            spec["path"], f"_size={PAGE_SIZE}&_next={urllib.parse.quote(token)}"
        )


def measure_datasette(client, cases, rounds, budget, key):
    for case in cases:
        spec = case.get("datasette_path") or case.get("datasette")
        if spec is None:
            continue
        if isinstance(spec, dict) and "walk_all" in spec:

            def get(first=spec["walk_all"]):
                url, rows = first, 0
                while url:
                    data = json_get(client, url)
                    rows += len(data["rows"])
                    url = local(data["next_url"]) if data.get("next_url") else None
                return rows

        elif isinstance(spec, dict) and "all_of" in spec:

            def get(paths=spec["all_of"]):
                bodies = []
                for path in paths:
                    status, body, _ = client.get(path)
                    if status != 200:
                        raise RuntimeError(f"HTTP {status} for {path}: {body[:200]!r}")
                    bodies.append(body)
                return b"".join(bodies)

        else:

            def get(path=spec):
                status, body, _ = client.get(path)
                if status != 200:
                    raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
                return body

        try:
            result = get()
            case[f"{key}_rows" if isinstance(result, int) else f"{key}_bytes"] = (
                result if isinstance(result, int) else len(result)
            )
            case[f"{key}_ms"] = timed(get, rounds, budget, warmups=1)
        except (OSError, RuntimeError, ValueError, http.client.HTTPException) as error:
            case[f"{key}_error"] = f"{type(error).__name__}: {error}"[:300]


# --- Throughput ---------------------------------------------------------------------------------


def wrk_path():
    return shutil.which("wrk")


def run_wrk(url, seconds, connections, threads=2, headers=(), timeout=None):
    """wrk's figures for one URL: requests/s, p99 latency (ms) and errors. wrk counts
    a response slower than `timeout` (its default: 2 s) as a socket timeout."""
    command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if timeout:
        command.append(f"--timeout={timeout}s")
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(
        [*command, url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    ).stdout

    def number(pattern, default=0.0):
        found = re.search(pattern, output)
        return float(found.group(1)) if found else default

    def latency(label):
        found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\b", output, re.MULTILINE)
        if not found:
            return None
        return float(found.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[found.group(2)]

    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = (
        dict(zip(["connect", "read", "write", "timeout"], map(int, sockets.groups()), strict=True))
        if sockets
        else {}
    )
    return {
        "url": url,
        "seconds": seconds,
        "connections": connections,
        "requests": int(number(r"(\d+) requests in")),
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "non_2xx_3xx": int(number(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": socket_errors,
        "output": output,
    }


# --- Report -------------------------------------------------------------------------------------


def fmt(value, digits=1):
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def print_table(cases):
    header = (
        f"{'case':<30}{'first':>8}{'p50':>8}{'p95':>8}{'qs':>4}{'floor':>8}{'x fl':>7}"
        f"{'http50':>8}{'http95':>8}{'ds def':>8}{'ds nof':>8}{'x ds':>7}"
    )
    print()
    print("in process (ms): the first request (counts not yet kept), p50, p95, queries;")
    print("floor: the SQL alone (p50, ms) and ours/floor;")
    print("over HTTP (ms): ours p50, p95; Datasette p50 with defaults and with suggest_facets off;")
    print("x ds: ours over HTTP / Datasette (suggest_facets off). * fewer rounds than asked")
    print(header)
    print("-" * len(header))
    for case in cases:
        ours = case.get("ours_ms", {})
        floor = case.get("floor_ms", {})
        http = case.get("ours_http_ms", {})
        default = case.get("datasette_ms", {})
        nofacets = case.get("datasette_nofacets_ms", {})
        queries = case.get("ours", {}).get("queries", [None])[-1]
        peer = nofacets.get("p50") or default.get("p50")
        short = any(
            part and part.get("n", 0) < case.get("rounds", 0)
            for part in (ours, http, default, nofacets)
        )
        print(
            f"{case['name'][:29] + ('*' if short else ''):<30}"
            f"{fmt(case.get('ours', {}).get('first_ms')):>8}"
            f"{fmt(ours.get('p50')):>8}{fmt(ours.get('p95')):>8}"
            f"{queries if queries is not None else '-':>4}"
            f"{fmt(floor.get('p50'), 2):>8}{fmt(ratio(ours.get('p50'), floor.get('p50'))):>7}"
            f"{fmt(http.get('p50')):>8}{fmt(http.get('p95')):>8}"
            f"{fmt(default.get('p50')):>8}{fmt(nofacets.get('p50')):>8}"
            f"{fmt(ratio(http.get('p50'), peer), 2):>7}"
        )


def print_notes(cases, params):
    print()
    speaker, organisation = params["speaker"], params["organisation"]
    print(
        f"speaker {speaker['slug']} ({speaker['claims']:,} claims); organisation "
        f"{organisation['slug']} ({organisation['claims']:,} claims, {organisation['members']} "
        f"people); topic {params['topic']['slug']}; said {params['said_from']} to "
        f"{params['said_to']}; claim {params['claim']['slug']} ({params['claim']['citations']} "
        f"citations, {params['claim']['pairings']} pairings)"
    )
    print(
        f"words: rare {params['rare_word']!r} ({params['rare_word_documents']:,} claims), common "
        f"{params['common_word']!r} ({params['common_word_documents']:,}), Arabic "
        f"{params.get('arabic_word')!r} ({params.get('arabic_word_documents', 0):,})"
    )
    for case in cases:
        ours = case.get("ours", {})
        remarks = []
        if ours.get("status") not in (None, 200):
            remarks.append(f"status {ours['status']}")
        if len(set(ours.get("queries", []))) > 1:
            remarks.append(f"queries vary {ours['queries']}")
        if case.get("deep"):
            remarks.append(
                f"status {ours.get('status')}, {ours.get('rows')} rows shown, "
                f"notice {'shown' if ours.get('notice') else 'absent'}"
            )
        if case.get("export"):
            rows = case.get("datasette_rows")
            remarks.append(f"{ours.get('bytes', 0):,} bytes")
            if rows:
                remarks.append(f"Datasette followed {rows:,} rows")
        walked = case.get("datasette_walk")
        if walked:
            text = (
                f"Datasette: {walked['hops']} hops, {walked['seconds_per_hop'] * 1000:.0f} ms "
                f"each, {walked['rows_followed']:,} rows ({walked['next_from']}); "
                f"{walked['duplicates']} duplicate and {walked['missing']} missing rows "
                "against the newest-first order"
            )
            if walked.get("extrapolated_seconds"):
                text += f"; reaching row {walked['rows']:,} would take about "
                text += f"{walked['extrapolated_seconds']:.0f} s"
            remarks.append(text)
        for key in (
            "floor_error",
            "ours_error",
            "ours_http_error",
            "datasette_error",
            "datasette_nofacets_error",
            "profile_error",
        ):
            if case.get(key):
                remarks.append(f"{key}: {case[key]}")
        if case.get("note"):
            remarks.append(case["note"])
        peer = any(key in case for key in ("datasette_ms", "datasette_nofacets_ms"))
        if peer and case.get("peer_note"):
            remarks.append(case["peer_note"])
        if remarks:
            print(f"- {case['name']}: " + "; ".join(remarks))


def print_profiles(profiles):
    for profile in profiles:
        print()
        print(
            f"where the time goes: {profile['case']} ({profile['path']}), "
            f"{profile['ms_per_request']:.1f} ms a request under cProfile, "
            f"{profile['queries']} queries taking {profile['sql_ms']:.1f} ms"
        )
        for area in profile["areas"][:8]:
            print(f"    {area['ms']:8.1f} ms  {area['area']}")
        for query in profile["slowest_queries"][:2]:
            print(f"    slowest query {query['ms']:.1f} ms: {query['sql'][:240]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL server to build the database on")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-http", action="store_true", help="in process and floor only")
    parser.add_argument("--no-datasette", action="store_true")
    parser.add_argument("--wrk-seconds", type=int, default=20)
    parser.add_argument(
        "--case-seconds",
        type=float,
        default=60,
        help="stop a page's rounds after this long (at least 3 are timed)",
    )
    parser.add_argument(
        "--walk-seconds",
        type=float,
        default=120,
        help="time allowed to follow Datasette's next links to a deep page",
    )
    parser.add_argument(
        "--profile", type=int, default=3, help="profile this many of the slowest pages"
    )
    parser.add_argument(
        "--request-seconds",
        type=float,
        default=REQUEST_TIMEOUT,
        help="interrupt a request or query running longer than this",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the database afresh")
    parser.add_argument(
        "--only", help="only the pages whose names contain one of these comma-separated words"
    )
    options = parser.parse_args()

    database = Database(options.claims, options.seed, options.database_url)
    params = database.prepare(rebuild=options.rebuild)
    cases = build_cases(params, database.engine)
    if options.only:
        wanted = [word.strip() for word in options.only.split(",")]
        cases = [case for case in cases if any(word in case["name"] for word in wanted)]
    for case in cases:
        case["rounds"] = options.rounds
    described = machine(database.engine, database.url)
    report = {
        "claims": options.claims,
        "seed": options.seed,
        "engine": database.engine,
        "database": database.name,
        "rounds": options.rounds,
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": described,
        "code": code_version(),
        "params": params,
        "notes": [],
    }
    notes = report["notes"]

    work = Path(tempfile.mkdtemp(prefix="counterclaim-pages-"))
    try:
        env = production_env(database, work, "127.0.0.1")
        manage(["collectstatic", "--noinput"], env, "collectstatic", timeout=300)
        measure_floor(
            database, cases, options.rounds, options.case_seconds, options.request_seconds
        )
        in_process_env = {**env, "ALLOWED_HOSTS": "127.0.0.1,testserver"}
        profiles = measure_in_process(
            in_process_env,
            cases,
            options.rounds,
            options.case_seconds,
            options.profile,
            options.request_seconds,
        )
        report["profiles"] = profiles
        have_wrk = wrk_path() is not None
        if not have_wrk:
            notes.append("wrk is not installed: no throughput figures (apt-get install wrk).")
        https = {"X-Forwarded-Proto": "https"}
        by_speaker = next((case for case in cases if case["name"] == "list by speaker"), None)
        have_wrk = have_wrk and by_speaker is not None

        if options.no_http:
            notes.append("--no-http: no gunicorn, Datasette or wrk.")
        else:
            print("Over HTTP: gunicorn on production settings ...")
            try:
                with gunicorn(env, work) as server:
                    client = HttpClient(server.port, options.request_seconds, https)
                    measure_ours_http(client, cases, options.rounds, options.case_seconds)
                    client.close()
                    if have_wrk:
                        print(f"  wrk for {options.wrk_seconds} s ...")
                        report["wrk_ours"] = run_wrk(
                            f"http://127.0.0.1:{server.port}{by_speaker['path']}",
                            options.wrk_seconds,
                            16,
                            headers=["X-Forwarded-Proto: https"],
                        )
            except RuntimeError as error:
                notes.append(str(error))

        use_datasette = not (options.no_http or options.no_datasette)
        if use_datasette and database.engine != "sqlite":
            notes.append("Datasette serves SQLite only: no peer on PostgreSQL.")
            use_datasette = False
        if use_datasette and not (BIN / "datasette").exists():
            notes.append("Datasette is not installed: pip install -e '.[bench]'.")
            use_datasette = False
        if options.no_datasette:
            notes.append("--no-datasette: no peer figures.")
        if use_datasette:
            with database.connect() as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # suggest_facets off first: it also follows next links to the deep pages.
            for facets, key in ((False, "datasette_nofacets"), (True, "datasette")):
                label = "defaults" if facets else "suggest_facets off"
                print(f"Datasette ({label}) ...")
                try:
                    with datasette(database, work, facets) as server:
                        client = HttpClient(server.port, options.request_seconds)
                        if not facets:
                            resolve_datasette_paths(database, client, cases, options.walk_seconds)
                        measure_datasette(client, cases, options.rounds, options.case_seconds, key)
                        client.close()
                        if have_wrk and not facets:
                            print(f"  wrk for {options.wrk_seconds} s ...")
                            report["wrk_datasette"] = run_wrk(
                                f"http://127.0.0.1:{server.port}{by_speaker['datasette']}",
                                options.wrk_seconds,
                                16,
                            )
                except RuntimeError as error:
                    notes.append(str(error))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"{options.claims:,} claims ({params['published']:,} published), {database.engine}, "
        f"{options.rounds} rounds; {described['cpu']}, {described['cores']} cores, "
        f"{described['memory_gb']} GB; Python {described['python']}, SQLite "
        f"{described['sqlite']}"
        + (f", PostgreSQL {described['postgresql']}" if described["postgresql"] else "")
    )
    print_table(cases)
    print_notes(cases, params)
    ours, peer = report.get("wrk_ours"), report.get("wrk_datasette")
    if ours:
        print()
        line = f"throughput, list by speaker, wrk 16 connections: ours {ours['requests_per_second']:,.0f} req/s"
        if peer:
            line += f", Datasette {peer['requests_per_second']:,.0f} req/s"
            if peer["requests_per_second"]:
                line += f", ratio {ours['requests_per_second'] / peer['requests_per_second']:.2f}"
        print(line)
    print_profiles(report.get("profiles", []))
    for note in notes:
        print(f"note: {note}")

    report["cases"] = [
        {key: value for key, value in case.items() if key != "floor"}
        | {
            "floor_sql": [
                step[0] if not callable(step) else "(first page by id)"
                for step in case["floor"] or ()
            ]
        }
        for case in cases
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"pages-{options.claims}-{database.engine}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"written: {out.relative_to(PROJECT) if out.is_relative_to(PROJECT) else out}")


if __name__ == "__main__":
    main()

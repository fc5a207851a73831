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
import datetime
import shutil
import tempfile
from pathlib import Path

from . import BIN
from .cases import build_cases
from .database import Database, manage
from .floor import measure_floor
from .inprocess import measure_in_process
from .machine import code_version, machine
from .peers import datasette, measure_datasette, resolve_datasette_paths, run_wrk, wrk_path
from .servers import HttpClient, gunicorn, measure_ours_http, production_env
from .table import print_report, write_results

REQUEST_TIMEOUT = 120


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

    print_report(report, cases)
    write_results(report, cases)

"""Load: gunicorn on production settings under wrk, on the list, a claim and search.

    python bench/load.py [--claims 100000] [--seconds 60] [--connections 50]
        [--seed 1] [--database-url postgres://...] [--workers 2]

Uses the database bench/pages.py builds (or builds it the same way), starts gunicorn
on 127.0.0.1 with production settings (DEBUG off, HTTPS behind a proxy: every
request says X-Forwarded-Proto: https), and runs wrk against each page in turn for
--seconds at --connections. Prints requests per second, p99 latency and errors per
page and writes them to bench/results/load-N-ENGINE.json. Exits with status 1 when
any response was an error (not 2xx or 3xx) or a socket failed. Without wrk it says
so and exits 0 (apt-get install wrk).
"""

import argparse
import json
import shutil
import sys
import tempfile
import urllib.parse
from pathlib import Path

from pagebench import PROJECT, RESULTS
from pagebench.database import Database, manage
from pagebench.peers import run_wrk, wrk_path
from pagebench.servers import gunicorn, production_env


def pages(params):
    quote = urllib.parse.quote
    return [
        ("list", "/claims/"),
        ("claim", f"/claims/{params['claim']['slug']}/"),
        ("search", f"/search/?q={quote(params['rare_word'])}"),
    ]


def errors(result):
    return result["non_2xx_3xx"] + sum(result["socket_errors"].values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL server to build the database on")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--timeout", type=int, help="seconds before wrk counts a request as timed out (wrk: 2)"
    )
    options = parser.parse_args()
    if wrk_path() is None:
        print("wrk is not installed: no load test (apt-get install wrk).")
        return 0

    database = Database(options.claims, options.seed, options.database_url)
    params = database.prepare()
    work = Path(tempfile.mkdtemp(prefix="counterclaim-load-"))
    results = []
    try:
        env = production_env(database, work, "127.0.0.1")
        manage(["collectstatic", "--noinput"], env, "collectstatic", timeout=300)
        with gunicorn(env, work, options.workers) as server:
            for name, path in pages(params):
                print(f"wrk on {name} ({path}) for {options.seconds} s ...", flush=True)
                result = run_wrk(
                    f"http://127.0.0.1:{server.port}{path}",
                    options.seconds,
                    options.connections,
                    threads=options.threads,
                    headers=["X-Forwarded-Proto: https"],
                    timeout=options.timeout,
                )
                results.append({"page": name, "path": path, **result})
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"{options.claims:,} claims, {database.engine}, gunicorn {options.workers} workers, "
        f"wrk {options.threads} threads, {options.connections} connections, {options.seconds} s"
    )
    print(f"{'page':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for result in results:
        print(
            f"{result['page']:<10}{result['requests']:>10,}"
            f"{result['requests_per_second']:>10,.1f}"
            f"{result['p50_ms'] or 0:>10.1f}{result['p99_ms'] or 0:>10.1f}{errors(result):>8,}"
        )
        if errors(result):
            print(
                f"  {result['non_2xx_3xx']:,} responses not 2xx/3xx; socket errors "
                f"{result['socket_errors']}"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"load-{options.claims}-{database.engine}.json"
    out.write_text(
        json.dumps(
            {
                "claims": options.claims,
                "engine": database.engine,
                "workers": options.workers,
                "connections": options.connections,
                "seconds": options.seconds,
                "pages": results,
            },
            indent=2,
        )
    )
    print(f"written: {out.relative_to(PROJECT) if out.is_relative_to(PROJECT) else out}")
    failed = sum(errors(result) for result in results)
    if failed:
        print(f"{failed:,} errors.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

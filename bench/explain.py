"""The query plans of the list's common filters, as the list page sends them.

    python bench/explain.py [--claims 1000000] [--seed 1] [--database-url postgres://...]

Uses the database bench/pages.py builds (run that first). Requests each list page
in process, captures the SQL it sends, and prints, as Markdown, the database's plan
for each query that reads claims: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE,
BUFFERS) on PostgreSQL. The plans show which index each filter walks. It measures
nothing and asserts nothing.
"""

import argparse
import os
import sys

from pagebench.cases import build_cases
from pagebench.database import Database


def plans(database):
    os.environ.update(database.env())
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    cases = build_cases(database.cached()["params"], database.engine)
    for name, path in [(c["name"], c["path"]) for c in cases if c["name"].startswith("list")]:
        cache.clear()  # the first visit: the count is made, not read from the cache
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        yield (
            name,
            path,
            [
                (sql, explain(connection, sql))
                for sql in (query["sql"] for query in captured.captured_queries)
                if "claims_claim" in sql.split(" FROM ", 1)[-1][:40]
            ],
        )


def explain(connection, sql):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(f"{'  ' * depth(row, cursor)}{row[-1]}" for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def depth(row, cursor, parents={}):  # noqa: B006 (a cache of each plan's parents)
    node, parent = row[0], row[1]
    parents[node] = 0 if parent == 0 else parents.get(parent, 0) + 1
    return parents[node]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="the PostgreSQL server bench/pages.py used")
    options = parser.parse_args()
    database = Database(options.claims, options.seed, options.database_url)
    if not database.cached():
        sys.exit(f"No benchmark database of {options.claims:,} claims: run bench/pages.py first.")
    print(f"## Query plans: {options.claims:,} claims, {database.engine}\n")
    for name, path, queries in plans(database):
        print(f"### {name}: `{path}`\n")
        for sql, plan in queries:
            shown = sql if len(sql) <= 600 else sql[:600] + " …"
            print(f"```sql\n{shown}\n```\n```\n{plan}\n```\n")


if __name__ == "__main__":
    main()

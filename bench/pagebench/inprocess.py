"""In process: each page through the Django test client on production settings,
its queries counted on the warm-ups, and a cProfile of the slowest pages."""

import cProfile
import io
import os
import pstats
import re
import sysconfig
import time
from collections import Counter
from pathlib import Path

from . import PROJECT
from .measure import Watchdog, describe, interrupt, timed

STDLIB = sysconfig.get_paths()["stdlib"]


def read_body(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return body


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

"""The peers: Datasette serving the same SQLite file (following its next links
to the deep pages), and wrk's throughput."""

import http.client
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
from collections import Counter

from claims.limits import DEFAULT_PAGE_SIZE

from . import BIN, DATASETTE_DB
from .measure import timed
from .servers import Server


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
    size = DEFAULT_PAGE_SIZE if rows % 1000 else 1000
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
    [(said, pk)] = database.rows(
        "SELECT said_sort, id FROM claims_claim WHERE status = 'published' "
        "ORDER BY said_sort DESC, id ASC LIMIT 1 OFFSET %s",
        [row - 1],
    )
    return f"{str(said)[:10]},{pk}"


def paging_check(database, ids):
    """Rows seen twice while following next, and rows skipped: every published claim
    said later than the last row reached should have been passed on the way."""
    if not ids:
        return {"rows_followed": 0, "duplicates": 0, "missing": 0}
    later = database.rows(
        "SELECT id FROM claims_claim WHERE status = 'published' AND said_sort > "
        "(SELECT said_sort FROM claims_claim WHERE id = %s)",
        [ids[-1]],
    )
    expected = {row[0] for row in later}
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
            spec["path"], f"_size={DEFAULT_PAGE_SIZE}&_next={urllib.parse.quote(token)}"
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

"""The benchmark scripts still run from start to end, on a few hundred claims
in a temporary folder: bench/pages.py (in process and against the floor), its
report, and the query plans. The figures mean nothing at this size and are not
checked; a script that stops, as one did when the app it imported came to need
Django set up first, fails here rather than at the next measurement."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from .sites import PROJECT

CLAIMS = 300

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the benchmark builds its own SQLite database; the SQLite run checks it once",
)


def run(tmp_path, script, *args):
    # The benchmark's own settings and database, not the suite's.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_")) and k != "DATABASE_URL"
    }
    env |= {"BENCH_DATA": str(tmp_path / "data"), "BENCH_RESULTS": str(tmp_path / "results")}
    result = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / script), *map(str, args)],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"bench/{script} stopped:\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_page_benchmark_its_report_and_the_plans_run(tmp_path):
    run(
        tmp_path,
        "pages.py",
        *("--claims", CLAIMS, "--rounds", 3, "--case-seconds", 1),
        *("--no-http", "--no-datasette", "--profile", 0),
    )
    results = tmp_path / "results" / f"pages-{CLAIMS}-sqlite.json"
    cases = json.loads(results.read_text())["cases"]
    names = {case["name"] for case in cases}
    assert {"list", "claim page", "search rare word", "speakers list"} <= names, names
    for case in cases:
        assert case["ours"]["status"] == 200 and case["ours_ms"]["p50"] > 0, case
        assert min(case["ours"]["queries"]) >= 1, case
    report = run(tmp_path, "report.py", results)
    assert "list by speaker" in report
    plans = run(tmp_path, "explain.py", "--claims", CLAIMS)
    assert "claims_list_by_date" in plans


def test_the_spreadsheet_benchmark_runs(tmp_path):
    out = tmp_path / "sheets.json"
    printed = run(tmp_path, "sheets.py", "--rows", 60, "--xlsx-rows", 20, "--json", out)
    figures = json.loads(out.read_text())
    # Both imports wrote the same objects, about ten a row.
    assert figures["csv"]["objects"] == figures["fixture"]["objects"] > 60 * 8
    assert figures["xlsx"]["objects"] > 20 * 8
    assert "ratio (objects/s, sheet / fixture)" in printed

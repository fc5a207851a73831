"""Several processes saving claims at once (bench/writers.py, briefly): every claim
saved is in the database afterwards, and no writer sees "database is locked"."""

import json
import shutil
import subprocess
import sys

import pytest

from .sites import (
    ON_POSTGRESQL,
    PROJECT,
    manage,
    site_env,
    throwaway_postgres,
)

PROCESSES = 4
SECONDS = 2


def run_writers(database_url, tmp_path):
    figures_file = tmp_path / "writers.json"
    result = subprocess.run(
        [sys.executable, "bench/writers.py", "--processes", str(PROCESSES)]
        + ["--seconds", str(SECONDS), "--database-url", database_url]
        + ["--json", str(figures_file)],
        cwd=PROJECT,
        env=site_env(database_url, tmp_path / "media"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(figures_file.read_text()), result.stdout


def assert_nothing_lost(figures, table):
    assert figures["processes"] == PROCESSES
    assert figures["saved"] > 0
    assert figures["found"] == figures["saved"]
    assert figures["lost"] == 0
    assert figures["locked"] == 0
    assert figures["other"] == 0
    assert figures["attempted"] == figures["saved"]
    assert all(counts["saved"] > 0 for counts in figures["per_process"])
    assert '"database is locked" errors' in table


def test_concurrent_writers_on_sqlite(migrated_sqlite, tmp_path):
    database = shutil.copy(migrated_sqlite, tmp_path / "writers.sqlite3")
    figures, table = run_writers(f"sqlite:///{database}", tmp_path)
    assert figures["engine"] == "sqlite"
    assert_nothing_lost(figures, table)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="DATABASE_URL does not point at PostgreSQL")
def test_concurrent_writers_on_postgresql(tmp_path):
    with throwaway_postgres("writers") as (url, _):
        manage(site_env(url, tmp_path / "media"), "migrate", "--noinput")
        figures, table = run_writers(url, tmp_path)
    assert figures["engine"] == "postgresql"
    assert_nothing_lost(figures, table)


def test_writers_refuse_a_database_that_is_not_migrated(tmp_path):
    database = tmp_path / "empty.sqlite3"
    result = subprocess.run(
        [sys.executable, "bench/writers.py", "--processes", "1", "--seconds", "1"]
        + ["--database-url", f"sqlite:///{database}"],
        cwd=PROJECT,
        env=site_env(f"sqlite:///{database}", tmp_path / "media"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is it migrated?" in result.stderr

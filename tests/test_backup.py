"""Backups and restores, run as separate processes on real database files, as they run
on a server: what a backup holds, that it restores, that a damaged backup is refused
without changing anything, and that a backup taken while editors save is sound."""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.backups import integrity_problems, open_sqlite

from .sites import ON_POSTGRESQL, PROJECT, manage, site_env, throwaway_postgres

EVIDENCE = b"%PDF-1.4 field report, page 1 of 1"
EVIDENCE_SHA256 = hashlib.sha256(EVIDENCE).hexdigest()
CLAIMS = 3
ADD_CLAIMS = f"""
from django.core.files.base import ContentFile
from tests.factories import make_publishable, make_source
source = make_source(slug="field-report", title="Field report")
source.file.save("report.pdf", ContentFile({EVIDENCE!r}))
for _ in range({CLAIMS}):
    make_publishable()
"""
ADD_ONE_CLAIM = "from tests.factories import make_publishable; make_publishable()"


# --- Helpers ------------------------------------------------------------------------


def count_claims(path):
    with closing(sqlite3.connect(path)) as database:
        return database.execute("SELECT COUNT(*) FROM claims_claim").fetchone()[0]


def recorded_sha256(path, slug="field-report"):
    with closing(sqlite3.connect(path)) as database:
        query = "SELECT file_sha256 FROM claims_source WHERE slug = ?"
        return database.execute(query, [slug]).fetchone()[0]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_in(folder):
    """{relative path: SHA-256} of every file under a folder."""
    return {
        path.relative_to(folder).as_posix(): sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def only_backup_in(folder):
    (backup,) = folder.iterdir()
    return backup


def assert_checksums_match(backup):
    """SHA256SUMS lists every other file in the backup, each with its SHA-256."""
    listed = {}
    for line in (backup / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    actual = files_in(backup)
    del actual["SHA256SUMS"]
    assert listed == actual
    return listed


def copy_site(source, target):
    """A copy of a site's database file and evidence files, to restore into."""
    target.mkdir()
    for path in source.glob("site.sqlite3*"):
        shutil.copy2(path, target / path.name)
    shutil.copytree(source / "media", target / "media")
    return target


# --- One site, backed up, then changed --------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory, migrated_sqlite):
    """A SQLite site with claims and an evidence file, backed up into `backups/`,
    then given one more claim: the backup and the site now differ."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(migrated_sqlite, folder / "site.sqlite3")
    env = site_env(f"sqlite:///{folder / 'site.sqlite3'}", folder / "media")
    manage(env, "shell", "-c", ADD_CLAIMS)
    (folder / "backups").mkdir()
    result = manage(env, "backup", folder / "backups")
    manage(env, "shell", "-c", ADD_ONE_CLAIM)
    return {"folder": folder, "backup": only_backup_in(folder / "backups"), "output": result}


def test_backup_holds_the_database_and_evidence_with_their_checksums(site):
    backup = site["backup"]
    assert re.fullmatch(r"counterclaim-\d{8}-\d{6}", backup.name)
    assert f"Backed up to {backup}" in site["output"].stdout

    listed = assert_checksums_match(backup)
    (evidence,) = [name for name in listed if name.startswith("media/")]
    assert re.fullmatch(r"media/evidence/\d{4}/\d{2}/report\.pdf", evidence)
    assert set(listed) == {"database.sqlite3", "manifest.json", evidence}
    assert listed[evidence] == EVIDENCE_SHA256
    assert recorded_sha256(backup / "database.sqlite3") == EVIDENCE_SHA256

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["format"] == "counterclaim-backup"
    assert manifest["engine"] == "sqlite"
    assert (manifest["claims"], manifest["sources"]) == (CLAIMS, CLAIMS + 1)
    assert manifest["evidence_files"] == manifest["media_files"] == 1
    assert manifest["evidence_problems"] == []
    assert manifest["migrations"]["claims"].startswith("0")

    with closing(open_sqlite(backup / "database.sqlite3", read_only=True)) as copy:
        assert integrity_problems(copy) == []
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert count_claims(backup / "database.sqlite3") == CLAIMS


@pytest.mark.skipif(not shutil.which("sha256sum"), reason="sha256sum is not installed")
def test_sha256sum_checks_a_backup_too(site):
    result = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=site["backup"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == 3


def test_restore_into_a_new_location(site, tmp_path):
    database = tmp_path / "restored.sqlite3"
    env = site_env(f"sqlite:///{database}", tmp_path / "media")
    result = manage(env, "restore", site["backup"], "--yes")

    assert f"({CLAIMS} claims)" in result.stdout
    assert count_claims(database) == CLAIMS
    assert recorded_sha256(database) == EVIDENCE_SHA256
    assert list(files_in(tmp_path / "media").values()) == [EVIDENCE_SHA256]
    manage(env, "migrate", "--check")  # the migration records came back too


def test_restore_replaces_a_database_that_changed_since(site, tmp_path):
    target = copy_site(site["folder"], tmp_path / "target")
    assert count_claims(target / "site.sqlite3") == CLAIMS + 1
    env = site_env(f"sqlite:///{target / 'site.sqlite3'}", target / "media")
    # The site's threads keep their connections open across requests.
    kept = sqlite3.connect(target / "site.sqlite3", isolation_level=None)
    count = "SELECT count(*) FROM claims_claim"
    assert kept.execute(count).fetchone() == (CLAIMS + 1,)

    manage(env, "restore", site["backup"], "--yes")

    assert count_claims(target / "site.sqlite3") == CLAIMS
    with closing(kept):
        assert kept.execute(count).fetchone() == (CLAIMS,)  # no restart needed
    check = "from claims.models import Claim; print(Claim.objects.count())"
    assert manage(env, "shell", "-c", check).stdout.strip().endswith(str(CLAIMS))


def tamper_evidence(backup):
    (evidence,) = (backup / "media").rglob("report.pdf")
    evidence.write_bytes(EVIDENCE.replace(b"page 1", b"page 2"))
    return evidence.relative_to(backup).as_posix()


def tamper_database(backup):
    with open(backup / "database.sqlite3", "r+b") as file:
        file.seek(-100, os.SEEK_END)
        file.write(b"\xff" * 10)
    return "database.sqlite3"


def tamper_manifest(backup):
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["claims"] += 1
    (backup / "manifest.json").write_text(json.dumps(manifest))
    return "manifest.json"


def add_unlisted_file(backup):
    (backup / "media" / "evidence" / "planted.pdf").write_bytes(b"not from the backup")
    return "media/evidence/planted.pdf"


@pytest.mark.parametrize(
    "tamper", [tamper_evidence, tamper_database, tamper_manifest, add_unlisted_file]
)
def test_a_tampered_backup_is_refused_and_nothing_changes(site, tmp_path, tamper):
    backup = shutil.copytree(site["backup"], tmp_path / "backup")
    bad_file = tamper(backup)
    target = copy_site(site["folder"], tmp_path / "target")
    before = files_in(target)
    env = site_env(f"sqlite:///{target / 'site.sqlite3'}", target / "media")

    result = manage(env, "restore", backup, "--yes", check=False)

    assert result.returncode == 1
    assert "nothing was restored" in result.stderr
    assert bad_file in result.stderr
    assert files_in(target) == before
    assert count_claims(target / "site.sqlite3") == CLAIMS + 1


def test_restore_asks_before_replacing_anything(site, tmp_path):
    target = copy_site(site["folder"], tmp_path / "target")
    before = files_in(target)
    env = site_env(f"sqlite:///{target / 'site.sqlite3'}", target / "media")

    result = manage(env, "restore", site["backup"], check=False)

    assert result.returncode == 1
    assert "Pass --yes" in result.stderr
    assert files_in(target) == before


def test_restore_check_only_checks(site, tmp_path):
    target = copy_site(site["folder"], tmp_path / "target")
    before = files_in(target)
    env = site_env(f"sqlite:///{target / 'site.sqlite3'}", target / "media")

    result = manage(env, "restore", site["backup"], "--check")

    assert "is intact: 3 files match SHA256SUMS" in result.stdout
    assert f"{CLAIMS} claims, {CLAIMS + 1} sources, 1 evidence file." in result.stdout
    assert files_in(target) == before


# --- Evidence problems, failures, refusals ---------------------------------------------


def test_changed_and_missing_evidence_is_reported(migrated_sqlite, tmp_path):
    shutil.copy(migrated_sqlite, tmp_path / "site.sqlite3")
    env = site_env(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path / "media")
    manage(
        env,
        "shell",
        "-c",
        ADD_CLAIMS
        + "other = make_source(slug='witness-video')\n"
        + "other.file.save('video.mp4', ContentFile(b'frames'))\n",
    )
    (report,) = (tmp_path / "media").rglob("report.pdf")
    report.write_bytes(b"overwritten")
    (video,) = (tmp_path / "media").rglob("video.mp4")
    video.unlink()
    (tmp_path / "backups").mkdir()

    result = manage(env, "backup", tmp_path / "backups")

    assert "2 evidence problem(s)" in result.stderr
    assert "source field-report" in result.stderr and EVIDENCE_SHA256 in result.stderr
    assert "source witness-video" in result.stderr and "missing" in result.stderr
    manifest = json.loads((only_backup_in(tmp_path / "backups") / "manifest.json").read_text())
    assert len(manifest["evidence_problems"]) == 2

    strict = manage(env, "backup", tmp_path / "backups", "--strict", check=False)
    assert strict.returncode == 1
    assert "2 evidence problem(s)" in strict.stderr
    # Kept all the same: a copy of what there is, under a name of its own.
    assert len(list((tmp_path / "backups").iterdir())) == 2


def test_a_failed_backup_leaves_nothing_behind(tmp_path):
    (tmp_path / "site.sqlite3").write_bytes(b"this is not a database" * 1000)
    (tmp_path / "backups").mkdir()
    env = site_env(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path / "media")

    result = manage(env, "backup", tmp_path / "backups", check=False)

    assert result.returncode == 1
    assert "Cannot back up" in result.stderr
    assert list((tmp_path / "backups").iterdir()) == []


def test_backup_needs_an_existing_folder(tmp_path):
    with pytest.raises(CommandError, match="does not exist; create it first"):
        call_command("backup", str(tmp_path / "missing"))
    (tmp_path / "file").write_text("")
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("backup", str(tmp_path / "file"))


def test_backup_is_not_kept_among_the_files_it_copies(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "backups").mkdir()
    with pytest.raises(CommandError, match="inside MEDIA_ROOT"):
        call_command("backup", str(tmp_path / "backups"))


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("restore", str(tmp_path / "missing"), yes=True)
    (tmp_path / "notes.txt").write_text("a folder of notes")
    with pytest.raises(CommandError, match="not a Counterclaim backup: it has no manifest.json"):
        call_command("restore", str(tmp_path), yes=True)
    (tmp_path / "manifest.json").write_text('{"format": "something else"}')
    listing = "".join(f"{sha256(tmp_path / n)}  {n}\n" for n in ("manifest.json", "notes.txt"))
    (tmp_path / "SHA256SUMS").write_text(listing)
    with pytest.raises(CommandError, match="manifest.json is not ours"):
        call_command("restore", str(tmp_path), yes=True)


def test_postgresql_backup_without_pg_dump_says_how_to_install_it(tmp_path):
    env = site_env("postgres://counterclaim:secret@127.0.0.1:1/nothing", tmp_path / "media")
    env["PATH"] = str(tmp_path / "empty")
    (tmp_path / "backups").mkdir()

    result = manage(env, "backup", tmp_path / "backups", check=False)

    assert result.returncode == 1
    assert "pg_dump was not found on PATH" in result.stderr
    assert "postgresql-client" in result.stderr
    assert list((tmp_path / "backups").iterdir()) == []


# --- While editors save ---------------------------------------------------------------


def test_backup_while_other_processes_write_is_sound(migrated_sqlite, tmp_path):
    database = shutil.copy(migrated_sqlite, tmp_path / "site.sqlite3")
    url = f"sqlite:///{database}"
    env = site_env(url, tmp_path / "media")
    (tmp_path / "backups").mkdir()
    writers = subprocess.Popen(
        [sys.executable, "bench/writers.py", "--processes", "3", "--seconds", "4"]
        + ["--database-url", url, "--json", str(tmp_path / "writers.json")],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while count_claims(database) == 0:
            assert writers.poll() is None and time.monotonic() < deadline, "no writes began"
            time.sleep(0.05)
        for _ in range(3):
            manage(env, "backup", tmp_path / "backups")
    finally:
        output = writers.communicate(timeout=120)[0]
    assert writers.returncode == 0, output
    written = json.loads((tmp_path / "writers.json").read_text())["found"]

    counts = []
    for backup in sorted((tmp_path / "backups").iterdir()):
        assert_checksums_match(backup)
        with closing(open_sqlite(backup / "database.sqlite3", read_only=True)) as copy:
            assert integrity_problems(copy) == []
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
        counts.append(count_claims(backup / "database.sqlite3"))
        assert json.loads((backup / "manifest.json").read_text())["claims"] == counts[-1]
    assert 0 < counts[0] <= counts[1] <= counts[2] <= written


# --- PostgreSQL -----------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRESQL, reason="DATABASE_URL does not point at PostgreSQL")
@pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="pg_dump and pg_restore (PostgreSQL client tools) are not on PATH",
)
def test_postgresql_backup_and_restore(tmp_path):
    with (
        throwaway_postgres("backup") as (original_url, _),
        throwaway_postgres("restore") as (restored_url, restored),
    ):
        env = site_env(original_url, tmp_path / "media")
        manage(env, "migrate", "--noinput")
        manage(env, "shell", "-c", ADD_CLAIMS)
        (tmp_path / "backups").mkdir()
        manage(env, "backup", tmp_path / "backups")
        backup = only_backup_in(tmp_path / "backups")

        listed = assert_checksums_match(backup)
        assert "database.pgdump" in listed
        assert EVIDENCE_SHA256 in listed.values()
        manifest = json.loads((backup / "manifest.json").read_text())
        assert (manifest["engine"], manifest["claims"]) == ("postgresql", CLAIMS)
        dump = subprocess.run(
            ["pg_restore", "--list", backup / "database.pgdump"], capture_output=True, text=True
        )
        assert "TABLE DATA public claims_claim" in dump.stdout

        env = site_env(restored_url, tmp_path / "restored-media")
        result = manage(env, "restore", backup, "--yes")
        assert f"({CLAIMS} claims)" in result.stdout
        manage(env, "restore", backup, "--yes")  # again, over the restored tables

        with psycopg.connect(**restored) as database:
            assert database.execute("SELECT COUNT(*) FROM claims_claim").fetchone()[0] == CLAIMS
            query = "SELECT file_sha256 FROM claims_source WHERE slug = 'field-report'"
            assert database.execute(query).fetchone()[0] == EVIDENCE_SHA256
        assert list(files_in(tmp_path / "restored-media").values()) == [EVIDENCE_SHA256]
        manage(env, "migrate", "--check")

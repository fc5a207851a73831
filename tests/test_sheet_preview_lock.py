"""A spreadsheet preview on SQLite holds no lock from editors: the dry run
writes on a copy of the database (claims.db.scratch_copy), so a save on the
database itself goes through at once while the preview's transaction is open."""

import os
import shutil
import subprocess
import sys

import pytest

from .sites import site_env

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")

SCRIPT = r"""
import sqlite3, sys, django
django.setup()
from django.db import connection, transaction
from claims.db import scratch_copy
from claims.models import Speaker

with scratch_copy():
    with transaction.atomic():
        Speaker.objects.create(name="On the copy", slug="on-the-copy", kind="media")
        # The preview's transaction is open: an editor saves on the database itself.
        editor = sqlite3.connect(sys.argv[1], timeout=0.5)
        editor.execute(
            "INSERT INTO claims_speaker (name, short_name, slug, kind, description, website, "
            "country, aliases, created_at, updated_at) VALUES ('Saved', '', 'saved', 'media', "
            "'', '', '', '[]', '2026-01-01', '2026-01-01')"
        )
        editor.commit()
        editor.close()
        transaction.set_rollback(True)
print(sorted(Speaker.objects.values_list("slug", flat=True)))
"""


@pytest.mark.skipif(ON_POSTGRESQL, reason="PostgreSQL writers lock rows, not the database")
def test_the_preview_holds_no_lock_on_sqlite(migrated_sqlite, tmp_path):
    database = tmp_path / "site.sqlite3"
    shutil.copy(migrated_sqlite, database)
    env = site_env(f"sqlite:///{database}", tmp_path / "media")
    done = subprocess.run(  # fixed arguments: this interpreter and the script above
        [sys.executable, "-c", SCRIPT, str(database)],
        env={**env, "DJANGO_SETTINGS_MODULE": "tracker.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Back on the database: the editor's save is there, the copy's row is not.
    assert done.stdout.strip() == "['saved']"

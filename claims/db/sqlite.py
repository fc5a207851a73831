"""SQLite: ids as a JSON array, sequences in sqlite_sequence, statistics by
ANALYZE, one plan per statement (nothing to switch), and one writer at a time."""

import json
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.db.models.expressions import RawSQL

# A write transaction locks the whole database file against other writers:
# while a background import writes, an editor's save would wait for the busy
# timeout and fail, so the admin refuses it at once instead (claims.runs).
DATABASE_WIDE_WRITE_LOCK = True


def id_list(ids):
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def last_id_given(cursor, table):
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    found = cursor.fetchone()
    return found[0] if found else 0


def insert_rows(cursor, table, names, width, rows):
    # Names from the models' metadata, quoted; the values are parameters.
    values = ", ".join(["%s"] * width)
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values})", rows)  # nosec B608


@contextmanager
def scratch_copy(connection):
    """The connection on a copy of its database file, made with SQLite's
    backup (a consistent snapshot, readers and writers going on meanwhile),
    deleted at the end; the connection back on the database after."""
    if connection.is_in_memory_db():
        yield  # a database in memory (tests) is this process's alone: no one to hold up
        return
    if connection.in_atomic_block:
        raise RuntimeError("scratch_copy() needs the connection outside a transaction")
    connection.ensure_connection()
    directory = tempfile.mkdtemp(prefix="counterclaim-scratch-")
    copy = Path(directory) / "copy.sqlite3"
    target = sqlite3.connect(copy)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    settings = connection.settings_dict
    name = settings["NAME"]
    connection.close()
    settings["NAME"] = str(copy)
    try:
        yield
    finally:
        connection.close()
        settings["NAME"] = name
        shutil.rmtree(directory, ignore_errors=True)


def update_statistics(cursor):
    cursor.execute("ANALYZE")


def generic_plans(connection):
    return nullcontext()

"""SQLite: ids as a JSON array, sequences in sqlite_sequence, statistics by
ANALYZE, one plan per statement (nothing to switch), and one writer at a time."""

import json
from contextlib import nullcontext

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


def update_statistics(cursor):
    cursor.execute("ANALYZE")


def generic_plans(connection):
    return nullcontext()

"""Counterclaim sites run as separate processes, as on a server: the project's
folder, a process's environment on its own database and files, manage.py
commands, migrated SQLite files, throwaway PostgreSQL databases, free ports."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from urllib.parse import quote

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg import sql

PROJECT = settings.BASE_DIR
ON_POSTGRESQL = connection.vendor == "postgresql"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(database_url, media_root):
    """The environment of a Counterclaim process on its own database and files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env["DATABASE_URL"] = database_url
    env["MEDIA_ROOT"] = str(media_root)
    return env


def manage(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def migrate_sqlite(path):
    """A new, migrated SQLite database file."""
    manage(site_env(f"sqlite:///{path}", path.parent / "media"), "migrate", "--noinput")
    with closing(sqlite3.connect(path)) as database:
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@contextmanager
def throwaway_postgres(purpose):
    """A new, empty PostgreSQL database next to the configured one, dropped after."""
    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"counterclaim_{purpose}_{os.getpid()}"
    server = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"],
        "password": config["PASSWORD"],
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        database = sql.Identifier(name)
        drop_database(admin, name)
        admin.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(database)
        )
        try:
            credentials = f"{quote(config['USER'], safe='')}:{quote(config['PASSWORD'], safe='')}"
            address = f"{config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"
            yield f"postgres://{credentials}@{address}/{name}", server | {"dbname": name}
        finally:
            drop_database(admin, name)


def drop_database(admin, name, attempts=10):
    """Drop a throwaway database, ending the sessions left on it.

    Not `WITH (FORCE)`: that refuses, without pg_signal_backend, when an
    autovacuum worker happens to be on the database (it runs as no role).
    A plain DROP ends autovacuum itself; our own sessions we end first.
    """
    database = sql.Identifier(name)
    for attempt in range(attempts):
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
            [name],
        )
        try:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(database))
            return
        except psycopg.errors.ObjectInUse:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def work():
    """The worker, as `manage.py db_worker --batch`: every task queued, then it
    stops. Quiet, and the signal handlers it installs are put back after."""
    import io
    import signal

    from django.core.management import call_command

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker",
            batch=True,
            reload=False,
            startup_delay=False,
            verbosity=0,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)

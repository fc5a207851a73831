"""The benchmark's database: built with manage.py generate_claims once per number
of claims, seed and engine, and reused while the generator is unchanged."""

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse

from . import DATA, DATASETTE_DB, PROJECT
from .cases import pick_parameters

GENERATOR_FILES = ["claims/generator.py", "claims/management/commands/generate_claims.py"]


def manage(args, env, label, timeout):
    process = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if process.returncode != 0:
        raise SystemExit(f"{label} failed:\n{process.stdout[-2000:]}{process.stderr[-4000:]}")
    return process.stdout


def fingerprint():
    """What the data depends on: the generator's code."""
    digest = hashlib.sha256()
    for name in GENERATOR_FILES:
        path = PROJECT / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()[:16]


class Database:
    """The benchmark's database: where it is, how to reach it directly, and
    whether what is there was built from the same generator."""

    def __init__(self, claims, seed, database_url):
        self.claims, self.seed = claims, seed
        if database_url:
            parts = urllib.parse.urlsplit(database_url)
            if parts.scheme not in ("postgres", "postgresql"):
                raise SystemExit(
                    "--database-url takes a PostgreSQL URL; SQLite databases are built in "
                    "bench/.data/ (leave --database-url out)."
                )
            self.engine = "postgresql"
            self.name = f"counterclaim_bench_{claims}_{seed}"
            self.admin_url = database_url
            self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
            self.marker = (
                DATA / f"postgresql-{parts.hostname}-{parts.port or 5432}-{self.name}.json"
            )
            self.path = None
        else:
            self.engine = "sqlite"
            folder = DATA / f"sqlite-{claims}-{seed}"
            self.path = folder / f"{DATASETTE_DB}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            self.marker = folder / "built.json"
            self.name = str(self.path)

    def env(self):
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
        }

    def connect(self):
        """A direct connection, closed when the block ends."""
        if self.engine == "sqlite":
            return contextlib.closing(sqlite3.connect(self.path, isolation_level=None))
        import psycopg

        return contextlib.closing(psycopg.connect(self.url, autocommit=True, connect_timeout=10))

    def placeholders(self, sql):
        return sql.replace("%s", "?") if self.engine == "sqlite" else sql

    def rows(self, sql, params=()):
        """The rows of one query (written with %s), on a connection of its own."""
        with self.connect() as connection:
            cursor = connection.cursor()
            cursor.execute(self.placeholders(sql), params)
            return cursor.fetchall()

    def cached(self):
        """The parameters recorded when the database was built, when it is still
        there and was built by the same generator; otherwise None."""
        if not self.marker.exists():
            return None
        built = json.loads(self.marker.read_text())
        if built.get("fingerprint") != fingerprint():
            return None
        if self.engine == "sqlite" and not self.path.exists():
            return None
        if self.engine == "postgresql":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as admin:
                found = admin.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [self.name]
                ).fetchone()
            if not found:
                return None
        return built

    def recreate(self):
        if self.engine == "sqlite":
            shutil.rmtree(self.path.parent, ignore_errors=True)
            self.path.parent.mkdir(parents=True)
            return
        import psycopg
        from psycopg import sql

        DATA.mkdir(parents=True, exist_ok=True)
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as admin:
            name = sql.Identifier(self.name)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(name)
            )

    def prepare(self, rebuild=False):
        """Build the database (or reuse it) and return the page parameters."""
        built = None if rebuild else self.cached()
        env = self.env()
        if built:
            print(f"Reusing {self.engine} database {self.name} ({self.claims:,} claims).")
            manage(["migrate", "--noinput"], env, "migrate", timeout=1800)
            if "source" not in built["params"]:
                # Chosen before this version of the script: choose them again.
                built["params"] = pick_parameters(self)
                self.marker.write_text(json.dumps(built, indent=2, ensure_ascii=False))
            return built["params"]
        if not (PROJECT / GENERATOR_FILES[1]).exists():
            raise SystemExit("manage.py generate_claims is missing: nothing to build from.")
        print(f"Building {self.engine} database {self.name} with {self.claims:,} claims ...")
        self.marker.unlink(missing_ok=True)
        self.recreate()
        started = time.perf_counter()
        manage(["migrate", "--noinput"], env, "migrate", timeout=1800)
        manage(
            ["generate_claims", "--claims", str(self.claims), "--seed", str(self.seed), "--quiet"],
            env,
            "generate_claims",
            timeout=600 + self.claims // 200,
        )
        with self.connect() as connection:
            if self.engine == "postgresql":
                # As autovacuum would soon after a bulk load: plans need statistics.
                connection.execute("VACUUM ANALYZE")
            else:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"  built in {time.perf_counter() - started:.0f} s; choosing page parameters ...")
        params = pick_parameters(self)
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(
            json.dumps(
                {
                    "claims": self.claims,
                    "seed": self.seed,
                    "engine": self.engine,
                    "database": self.name,
                    "fingerprint": fingerprint(),
                    "built_seconds": time.perf_counter() - started,
                    "params": params,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return params

"""What the backup and restore commands share: the layout of a backup folder,
checksums, and access to SQLite files and the PostgreSQL client tools."""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import CommandError
from django.db.backends.sqlite3._functions import register as register_sqlite_functions
from django.db.migrations.recorder import MigrationRecorder

from claims.models import Claim, Source

BACKUP_FORMAT = "counterclaim-backup"
BACKUP_VERSION = 1
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
SQLITE_COPY = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
MEDIA = "media"
CHUNK = 1024 * 1024

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
ENGINES = {"sqlite": SQLITE, "postgresql": POSTGRESQL}  # by connection.vendor
CLIENT_TOOLS_HINT = (
    "Install the PostgreSQL client tools, in the server's major version or newer "
    "(Debian and Ubuntu: apt-get install postgresql-client; macOS: brew install libpq), "
    "and make sure {program} is on PATH."
)


def engine_of(connection):
    """SQLITE or POSTGRESQL: which kind of database a connection is to."""
    try:
        return ENGINES[connection.vendor]
    except KeyError:
        raise CommandError(
            f"Backups support SQLite and PostgreSQL, not {connection.settings_dict['ENGINE']}."
        ) from None


def sqlite_file(connection):
    """The file of a SQLite database; an in-memory database has none."""
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise CommandError("The configured SQLite database is in memory; there is no file.")
    return Path(name)


def sqlite_timeout(connection):
    """Seconds to wait for another writer, as the site itself does."""
    return connection.settings_dict.get("OPTIONS", {}).get("timeout", 20)


def open_sqlite(path, read_only=False, timeout=5):
    """A plain sqlite3 connection to a database file, with the SQL functions that
    Django defines on its own connections: the schema's CHECK constraints call them,
    so `PRAGMA integrity_check` needs them too."""
    if read_only:
        database = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    else:
        database = sqlite3.connect(path, timeout=timeout)
    register_sqlite_functions(database)
    return database


def integrity_problems(database):
    """What `PRAGMA integrity_check` finds wrong (at most ten lines); [] when sound."""
    rows = database.execute("PRAGMA integrity_check(10)").fetchall()
    return [] if rows == [("ok",)] else [row[0] for row in rows]


def postgres_program(program, connection):
    """The command line and environment that run a PostgreSQL client tool
    (pg_dump, pg_restore) against a configured database."""
    path = shutil.which(program)
    if path is None:
        raise CommandError(
            f"{program} was not found on PATH. " + CLIENT_TOOLS_HINT.format(program=program)
        )
    config = connection.settings_dict
    args = [path, "--no-password", f"--dbname={config['NAME']}"]
    if config.get("HOST"):
        args.append(f"--host={config['HOST']}")
    if config.get("PORT"):
        args.append(f"--port={config['PORT']}")
    if config.get("USER"):
        args.append(f"--username={config['USER']}")
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = config["PASSWORD"]
    if config.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = config["OPTIONS"]["sslmode"]
    return args, env


def run_program(args, env):
    """Run a client tool; its own message becomes the error if it fails."""
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        program = Path(args[0]).name
        message = result.stderr.strip() or f"exit status {result.returncode}"
        raise CommandError(f"{program} failed:\n{message}")


def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_file(source, target):
    """Copy one file, flushed to disk; return the SHA-256 of the bytes copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def checksum_line(digest, path):
    """One line of SHA256SUMS as sha256sum writes it: a name holding a backslash
    or a line break is escaped, and the line then starts with a backslash."""
    if any(character in path for character in "\\\n\r"):
        escaped = path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{digest}  {escaped}\n"
    return f"{digest}  {path}\n"


CHECKSUM_LINE = re.compile(r"(?P<digest>[0-9a-fA-F]{64}) [ *](?P<path>.+)")
UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r"}


def read_checksums(path):
    """[(digest, relative path)] from a SHA256SUMS file."""
    entries = []
    with open(path, encoding="utf-8", newline="\n") as file:
        for number, line in enumerate(file, start=1):
            line = line.removesuffix("\n")
            escaped = line.startswith("\\")
            match = CHECKSUM_LINE.fullmatch(line[1:] if escaped else line)
            if not match:
                raise CommandError(f"{path}, line {number}, is not a SHA-256 checksum line.")
            name = match["path"]
            if escaped:
                name = re.sub(r"\\(.)", lambda m: UNESCAPE.get(m[1], m[0]), name)
            entries.append((match["digest"].lower(), name))
    return entries


def is_safe_relative(name):
    """A plain relative path, inside the folder it is relative to: no leading "/",
    no "." or ".." and no empty parts."""
    return not name.startswith("/") and not {"", ".", ".."} & set(name.split("/"))


def fsync_folder(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- What the database holds ----------------------------------------------------------


def describe(cursor):
    """Counts, migration state and the evidence files sources refer to, read through
    a DB-API cursor on the copy (SQLite) or inside the dumped snapshot (PostgreSQL)."""
    file_field = Source._meta.get_field("file")
    sha_field = Source._meta.get_field("file_sha256")
    # Table and column names come from the models, never from input.
    cursor.execute(f'SELECT COUNT(*) FROM "{Claim._meta.db_table}"')  # nosec B608
    claims = cursor.fetchone()[0]
    cursor.execute(f'SELECT COUNT(*) FROM "{Source._meta.db_table}"')  # nosec B608
    sources = cursor.fetchone()[0]
    source_table, file_column = Source._meta.db_table, file_field.column
    cursor.execute(
        f'SELECT "slug", "{file_column}", "{sha_field.column}" FROM "{source_table}" '  # nosec B608
        f'WHERE "{file_column}" <> \'\' ORDER BY "slug"'
    )
    evidence = cursor.fetchall()
    recorded = MigrationRecorder.Migration._meta.db_table
    cursor.execute(f'SELECT "app", "name" FROM "{recorded}" ORDER BY "id"')  # nosec B608
    migrations = dict(cursor.fetchall())  # the latest applied per app wins
    return {
        "claims": claims,
        "sources": sources,
        "evidence": evidence,
        "migrations": dict(sorted(migrations.items())),
    }

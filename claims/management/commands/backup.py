"""Back up the database and every evidence file into a new, self-checking folder.

    python manage.py backup DEST_DIR [--strict]

A backup is a folder `counterclaim-YYYYMMDD-HHMMSS` inside DEST_DIR holding:

- `database.sqlite3`: a consistent copy of the SQLite database, taken with SQLite's
  online backup API, so editors can go on saving while it runs; or `database.pgdump`:
  `pg_dump --format=custom` of the PostgreSQL database;
- `media/`: a copy of every file under MEDIA_ROOT (the uploaded evidence);
- `manifest.json`: when and from which database it was taken, counts of claims and
  sources, the latest migration applied per app, and any evidence problems found;
- `SHA256SUMS`: the SHA-256 of every other file, in the format of `sha256sum`, so
  `cd counterclaim-… && sha256sum -c SHA256SUMS` checks it without Counterclaim.

The folder is written under a hidden temporary name and renamed when complete: a
backup that fails leaves nothing behind, and an existing backup is never overwritten.
It is readable by its owner only, as it holds restricted sources, internal notes and
the editors' accounts.

Each evidence file a source refers to is checked against the SHA-256 recorded when it
was uploaded. A missing or changed file is listed as a warning and in the manifest, and
the backup is kept, because a copy of what there is beats none; with --strict the
command then exits with status 1, so a scheduler reports it.

"""

import json
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from claims.backups import (
    BACKUP_FORMAT,
    BACKUP_VERSION,
    CHECKSUMS,
    MANIFEST,
    MEDIA,
    POSTGRES_DUMP,
    POSTGRESQL,
    SQLITE,
    SQLITE_COPY,
    checksum_line,
    copy_file,
    describe,
    engine_of,
    fsync_folder,
    integrity_problems,
    open_sqlite,
    plural,
    postgres_program,
    run_program,
    sha256_of,
    sqlite_file,
    sqlite_timeout,
)


class Command(BaseCommand):
    help = (
        "Back up the database and every evidence file into a new folder inside DEST_DIR, "
        "with SHA256SUMS and manifest.json. Evidence files that are missing or do not match "
        "the SHA-256 recorded at upload are listed as warnings (an error with --strict)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "dest_dir",
            metavar="DEST_DIR",
            help="An existing, writable folder; each backup is a new folder inside it.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Exit with status 1 when an evidence file is missing or changed "
            "(the backup is still kept).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up.")

    def handle(self, *args, dest_dir, strict=False, database=DEFAULT_DB_ALIAS, **options):
        destination = Path(dest_dir).absolute()
        self.check_destination(destination)
        connection = connections[database]
        engine = engine_of(connection)
        if engine == POSTGRESQL:
            postgres_program("pg_dump", connection)  # fail early if it is missing
        else:
            sqlite_file(connection)

        created = datetime.now(UTC).replace(microsecond=0)
        try:
            partial = Path(
                tempfile.mkdtemp(prefix=".counterclaim-", suffix=".partial", dir=destination)
            )
        except OSError as error:
            raise CommandError(f"Cannot write in {destination}: {error.strerror}.") from None
        try:
            if engine == SQLITE:
                database_file = partial / SQLITE_COPY
                snapshot = self.copy_sqlite(connection, database_file)
            else:
                database_file = partial / POSTGRES_DUMP
                snapshot = self.dump_postgres(connection, database, database_file)
            checksums = {database_file.name: sha256_of(database_file)}
            checksums.update(self.copy_media(partial / MEDIA))
            problems = self.check_evidence(snapshot["evidence"], checksums)
            manifest = {
                "format": BACKUP_FORMAT,
                "version": BACKUP_VERSION,
                "created": created.isoformat(),
                "engine": engine,
                "database": database_file.name,
                "claims": snapshot["claims"],
                "sources": snapshot["sources"],
                "evidence_files": len(snapshot["evidence"]),
                "media_files": len(checksums) - 1,
                "migrations": snapshot["migrations"],
                "evidence_problems": problems,
            }
            (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            checksums[MANIFEST] = sha256_of(partial / MANIFEST)
            with open(partial / CHECKSUMS, "w", encoding="utf-8", newline="\n") as file:
                file.writelines(checksum_line(checksums[name], name) for name in sorted(checksums))
                file.flush()
                os.fsync(file.fileno())
            final = self.publish(partial, destination, created)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise

        contents = ", ".join(
            plural(manifest[key], noun)
            for key, noun in [("claims", "claim"), ("sources", "source"), ("media_files", "file")]
        )
        self.stdout.write(
            self.style.SUCCESS(f"Backed up to {final}") + f"\n  {contents} ({engine})"
        )
        if problems:
            listing = "\n".join(f"  {problem}" for problem in problems)
            warning = f"{len(problems)} evidence problem(s), recorded in {MANIFEST}:\n{listing}"
            if strict:
                raise CommandError(f"{warning}\nThe backup in {final} is complete otherwise.")
            self.stderr.write(warning, style_func=self.style.WARNING)

    def check_destination(self, destination):
        if not destination.exists():
            raise CommandError(f"{destination} does not exist; create it first.")
        if not destination.is_dir():
            raise CommandError(f"{destination} is not a folder.")
        if not os.access(destination, os.W_OK | os.X_OK):
            raise CommandError(f"{destination} is not writable.")
        media_root = Path(settings.MEDIA_ROOT).absolute()
        if destination.resolve().is_relative_to(media_root.resolve()):
            raise CommandError(
                f"{destination} is inside MEDIA_ROOT ({media_root}); "
                "a backup cannot be kept among the files it copies."
            )

    def copy_sqlite(self, connection, target):
        """Copy the live database with SQLite's backup API: one read transaction,
        so the copy is consistent while other processes go on writing (WAL)."""
        path = sqlite_file(connection)
        if not path.is_file():
            raise CommandError(f"The database file {path} does not exist.")
        try:
            with (
                closing(open_sqlite(path, timeout=sqlite_timeout(connection))) as live,
                closing(open_sqlite(target)) as copy,
            ):
                live.backup(copy)
                # A single self-contained file, whatever the live database uses.
                copy.execute("PRAGMA journal_mode=DELETE")
                if problems := integrity_problems(copy):
                    raise CommandError(f"The copy of {path} is damaged: {'; '.join(problems)}")
                return describe(copy.cursor())
        except sqlite3.Error as error:
            raise CommandError(f"Cannot back up {path}: {error}") from None

    def dump_postgres(self, connection, alias, target):
        """pg_dump into the backup, reading the same snapshot that the counts and the
        list of evidence files come from (pg_dump --snapshot)."""
        args, env = postgres_program("pg_dump", connection)
        try:
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot_id = cursor.fetchone()[0]
                snapshot = describe(cursor)
                run_program(
                    [*args, "--format=custom", f"--snapshot={snapshot_id}", f"--file={target}"],
                    env,
                )
        except DatabaseError as error:
            raise CommandError(f"Cannot read the database: {error}") from None
        with open(target, "rb") as file:
            os.fsync(file.fileno())
        return snapshot

    def copy_media(self, target):
        """Copy every file under MEDIA_ROOT; return {relative path: SHA-256}."""
        media_root = Path(settings.MEDIA_ROOT)
        checksums = {}
        if not media_root.is_dir():
            return checksums
        for folder, subfolders, files in os.walk(media_root):
            subfolders.sort()
            for name in sorted(files):
                source = Path(folder, name)
                if not source.is_file():
                    continue
                relative = source.relative_to(media_root).as_posix()
                try:
                    checksums[f"{MEDIA}/{relative}"] = copy_file(source, target / relative)
                except OSError as error:
                    raise CommandError(f"Cannot copy {source}: {error.strerror}.") from None
        return checksums

    def check_evidence(self, evidence, checksums):
        """Each evidence file against the SHA-256 recorded when it was uploaded."""
        problems = []
        for slug, name, recorded in evidence:
            actual = checksums.get(f"{MEDIA}/{name}")
            if actual is None:
                problems.append(f"source {slug}: {name} is missing from MEDIA_ROOT")
            elif not recorded:
                problems.append(f"source {slug}: {name} has no recorded SHA-256")
            elif actual != recorded.lower():
                problems.append(
                    f"source {slug}: {name} has SHA-256 {actual}, but {recorded} was recorded"
                )
        return problems

    def publish(self, partial, destination, created):
        """Give the finished folder its name; never replace an existing backup."""
        stamp = created.strftime("%Y%m%d-%H%M%S")
        for attempt in range(1, 100):
            final = destination / (f"counterclaim-{stamp}" + (f"-{attempt}" if attempt > 1 else ""))
            if final.exists():
                continue
            try:
                os.rename(partial, final)
            except OSError:
                if final.exists():  # another backup took the name meanwhile
                    continue
                raise
            fsync_folder(destination)
            return final
        raise CommandError(f"Too many backups named counterclaim-{stamp} in {destination}.")

"""Restore a backup made by `manage.py backup`.

    python manage.py restore BACKUP_DIR [--yes] [--check]

Every file is first checked against SHA256SUMS; if one differs, is missing or is not
listed, the restore is refused and nothing is changed. Then the evidence files are
copied into MEDIA_ROOT and the database is replaced: on SQLite through SQLite's backup
API into the configured database file; on PostgreSQL with `pg_restore --clean
--if-exists --no-owner` in a single transaction. Evidence files are only ever added
or brought back to their backed-up content: files in MEDIA_ROOT that the backup does
not hold are left alone, so if the database then cannot be replaced, what was copied
does no harm. Replacing data needs --yes, or "yes" typed at the prompt; --check only
checks the backup and that it can be restored here.
"""

import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader

from claims.backups import (
    BACKUP_FORMAT,
    CHECKSUMS,
    MANIFEST,
    MEDIA,
    POSTGRES_DUMP,
    POSTGRESQL,
    SQLITE,
    SQLITE_COPY,
    copy_file,
    engine_of,
    integrity_problems,
    is_safe_relative,
    open_sqlite,
    plural,
    postgres_program,
    read_checksums,
    run_program,
    sha256_of,
    sqlite_file,
    sqlite_timeout,
)
from claims.models import Claim

ENGINE_NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
# All or nothing: a restore that fails leaves the database as it was.
PG_RESTORE_OPTIONS = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]


class Command(BaseCommand):
    help = (
        "Restore a backup folder made by the backup command: check every file against "
        "SHA256SUMS (refusing, with nothing changed, if one differs), then copy the evidence "
        "files into MEDIA_ROOT and replace the database. Needs --yes or confirmation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "backup_dir", metavar="BACKUP_DIR", help="A folder made by manage.py backup."
        )
        parser.add_argument("--yes", action="store_true", help="Replace the data without asking.")
        parser.add_argument(
            "--check", action="store_true", help="Only check the backup; change nothing."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to replace.")

    def handle(
        self, *args, backup_dir, yes=False, check=False, database=DEFAULT_DB_ALIAS, **options
    ):
        folder = Path(backup_dir).absolute()
        entries = self.verify(folder)
        manifest = self.read_manifest(folder)
        connection = connections[database]
        engine = engine_of(connection)
        if manifest["engine"] != engine:
            raise CommandError(
                f"{folder} holds a {ENGINE_NAMES[manifest['engine']]} database, but the "
                f"configured database (DATABASE_URL) is {ENGINE_NAMES[engine]}. Restore it into "
                f"a {ENGINE_NAMES[manifest['engine']]} database, then move the claims across "
                "with export_claims and import_claims."
            )
        database_file = folder / manifest["database"]
        expected = SQLITE_COPY if engine == SQLITE else POSTGRES_DUMP
        if manifest["database"] != expected or expected not in {name for _, name in entries}:
            raise CommandError(f"{folder} is not a complete backup: {expected} is not listed.")
        media = [name for _, name in entries if name.startswith(f"{MEDIA}/")]
        if engine == SQLITE:
            target = sqlite_file(connection)
            self.check_sqlite(database_file, target)
            where = f"the SQLite database {target}"
        else:
            restore_args, env = postgres_program("pg_restore", connection)
            where = f"the PostgreSQL database {connection.settings_dict['NAME']}"
        media_root = Path(settings.MEDIA_ROOT)

        self.stdout.write(
            f"{folder} is intact: {plural(len(entries), 'file')} match {CHECKSUMS}.\n"
            f"  Taken {manifest['created']}: {plural(manifest['claims'], 'claim')}, "
            f"{plural(manifest['sources'], 'source')}, {plural(len(media), 'evidence file')}."
        )
        for problem in manifest.get("evidence_problems", []):
            self.stderr.write(f"  When backed up: {problem}", style_func=self.style.WARNING)
        self.warn_about_migrations(manifest.get("migrations", {}))
        if check:
            return
        self.confirm(
            yes, f"This replaces {where} and copies {plural(len(media), 'file')} into {media_root}."
        )

        copied, replaced = self.restore_media(folder, media, media_root)
        if engine == SQLITE:
            self.restore_sqlite(database_file, target, connection)
        else:
            run_program([*restore_args, *PG_RESTORE_OPTIONS, str(database_file)], env)
        connection.close()
        claims = Claim.objects.using(database).count()
        summary = (
            f"{plural(copied, 'evidence file')} copied into {media_root}, "
            f"{len(media) - copied} already there"
        )
        if replaced:
            summary += f"; {replaced} replaced a different file of the same name"
        self.stdout.write(
            self.style.SUCCESS(f"Restored {where} ({plural(claims, 'claim')})") + f"\n  {summary}."
        )

    def verify(self, folder):
        """Every file listed in SHA256SUMS is there with that SHA-256, and every file
        there is listed. Returns the entries; raises naming each bad file."""
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        for name in (MANIFEST, CHECKSUMS):
            if not (folder / name).is_file():
                raise CommandError(f"{folder} is not a Counterclaim backup: it has no {name}.")
        entries = read_checksums(folder / CHECKSUMS)
        problems = []
        listed = set()
        for digest, name in entries:
            listed.add(name)
            path = folder / name
            if not is_safe_relative(name):
                problems.append(f"{name}: not a path inside the backup")
            elif not path.is_file():
                problems.append(f"{name}: missing")
            elif sha256_of(path) != digest:
                problems.append(f"{name}: SHA-256 differs from {CHECKSUMS}")
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name != CHECKSUMS and name not in listed:
                problems.append(f"{name}: not listed in {CHECKSUMS}")
        if MANIFEST not in listed:
            problems.append(f"{MANIFEST}: not listed in {CHECKSUMS}")
        if problems:
            listing = "\n".join(f"  {problem}" for problem in problems)
            raise CommandError(
                f"{folder} does not match its {CHECKSUMS}; nothing was restored.\n{listing}"
            )
        return entries

    def read_manifest(self, folder):
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
            raise CommandError(f"{folder} is not a Counterclaim backup: {MANIFEST} is not ours.")
        if manifest.get("engine") not in ENGINE_NAMES:
            raise CommandError(f"{folder}/{MANIFEST} names no known database engine.")
        return manifest

    def check_sqlite(self, copy, target):
        """Before anything changes: the copy opens and is sound, and the target's
        folder exists."""
        if not target.parent.is_dir():
            raise CommandError(f"The folder of the database file, {target.parent}, does not exist.")
        try:
            with closing(open_sqlite(copy, read_only=True)) as database:
                problems = integrity_problems(database)
        except sqlite3.Error as error:
            raise CommandError(f"{copy} is not a usable SQLite database: {error}") from None
        if problems:
            raise CommandError(f"{copy} is damaged: {'; '.join(problems)}")

    def warn_about_migrations(self, migrations):
        """Say so when the backup's tables are from another version of Counterclaim."""
        current = dict(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())
        differing = sorted(
            app for app in migrations.keys() & current.keys() if migrations[app] != current[app]
        )
        if differing:
            details = ", ".join(
                f"{app} {migrations[app]} (now {current[app]})" for app in differing
            )
            self.stderr.write(
                f"  The backup was taken at other migrations: {details}. After restoring, "
                "run `python manage.py migrate` if the backup is the older one.",
                style_func=self.style.WARNING,
            )

    def confirm(self, yes, question):
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError(f"{question} Pass --yes to go ahead; nothing was changed.")
        answer = input(f"{question}\nType 'yes' to go ahead: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Restore cancelled; nothing was changed.")

    def restore_media(self, folder, media, media_root):
        """Copy the evidence files into MEDIA_ROOT, each written under a temporary
        name and then renamed, so no file is ever half there. Returns how many were
        copied and how many of those replaced a different file."""
        copied = replaced = 0
        for name in media:
            source = folder / name
            target = media_root / name.removeprefix(f"{MEDIA}/")
            existed = target.is_file()
            if existed and sha256_of(target) == sha256_of(source):
                continue
            temporary = target.with_name(f".{target.name}.restoring")
            try:
                copy_file(source, temporary)
                os.replace(temporary, target)
            except OSError as error:
                temporary.unlink(missing_ok=True)
                raise CommandError(f"Cannot write {target}: {error.strerror}.") from None
            copied += 1
            replaced += existed
        return copied, replaced

    def restore_sqlite(self, copy, target, connection):
        """Write the copy into the configured database file through SQLite's backup
        API, which takes the write lock, so the site's processes see the old
        database or the new one, never a mixture."""
        connection.close()
        try:
            with (
                closing(open_sqlite(copy, read_only=True)) as source,
                closing(open_sqlite(target, timeout=sqlite_timeout(connection))) as live,
            ):
                source.backup(live)
        except sqlite3.Error as error:
            raise CommandError(f"Cannot write the database {target}: {error}") from None

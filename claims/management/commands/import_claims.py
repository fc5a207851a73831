import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims.exchange.importer import OBJECTS_PER_BATCH, Importer, ImportFailed


class Command(BaseCommand):
    help = (
        "Import a fixture (json, jsonl, yaml or xml; .gz too). The file is read as a stream "
        f"and checked and written {OBJECTS_PER_BATCH:,} objects at a time in one "
        "transaction, so memory does not grow with its size (YAML alone is read whole). "
        "Every object is checked; all problems are reported at once and nothing is "
        "written when there is one. An object names objects before it in the file or in "
        "the database, as exports do (objects of its own model may also come later). "
        "Existing rows are matched by natural key and updated; each claim in the file gets "
        "exactly the citations, figures and pairings it gives. Acts with the permissions "
        "of --user and records history in their name."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="The editor the import acts as.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report, write nothing."
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--correction-note",
            default="",
            help="Public correction note for every published claim whose words, speaker, "
            "date, assessment or figures the file changes (required when it does).",
        )
        parser.add_argument(
            "--publication-times",
            choices=["keep", "file"],
            default="keep",
            help="Published claims keep their first publication time (keep, the default), "
            "or take the one the file gives (file; needs the publish permission).",
        )

    def handle(
        self,
        *args,
        file,
        user,
        dry_run=False,
        quiet=False,
        correction_note="",
        publication_times="keep",
        **options,
    ):
        try:
            account = get_user_model().objects.get(username=user, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No active user called “{user}”.") from None
        quiet = quiet or not sys.stderr.isatty()
        progress = None if quiet else tqdm(unit="objects", file=sys.stderr)
        importer = Importer(
            file,
            account,
            progress,
            correction_note=correction_note,
            publication_times=publication_times == "file",
        )
        try:
            report = importer.run(dry_run=dry_run)
        except ImportFailed as failure:
            lines = [f"  {line}" for line in failure.lines()]
            raise CommandError(
                f"{file}: {failure.count} problem(s); nothing was imported.\n" + "\n".join(lines)
            ) from None
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        finally:
            if progress:
                progress.close()
        heading = "Would import (dry run, nothing written):" if dry_run else "Imported:"
        self.stdout.write(heading)
        for line in report.lines():
            self.stdout.write(f"  {line}")

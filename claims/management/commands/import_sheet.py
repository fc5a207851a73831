import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from claims import mapping, runs
from claims.exchange.sheets import SheetFailed, SheetImport
from claims.models import Mapping, Run


def load_mapping(given):
    """The mapping a name, identifier or JSON file names: (spec, name)."""
    path = Path(given)
    if path.suffix.lower() == ".json" and path.exists():
        try:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{given}: not a readable JSON mapping ({error})") from None
        try:
            spec = mapping.parse(document)
        except mapping.MappingError as error:
            raise CommandError(f"{given}: {error}") from None
        return spec, spec.name
    saved = Mapping.objects.filter(slug=given).first() or Mapping.objects.filter(name=given).first()
    if saved is None:
        names = ", ".join(Mapping.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(
            f"No mapping called “{given}”, and no such JSON file. Saved mappings: {names}."
        )
    try:
        return mapping.parse(saved.as_document()), saved.name
    except mapping.MappingError as error:
        raise CommandError(f"The mapping “{saved.name}”: {error}") from None


class Command(BaseCommand):
    help = (
        "Import a spreadsheet (CSV or XLSX) of claims and their counterclaims, mapped column "
        "by column by a saved mapping or a mapping's JSON file. Rows become claims, "
        "counterclaims, speakers, sources and citations, checked and written exactly as "
        "import_claims writes a fixture, in one transaction: every problem is reported "
        "(grouped by kind, naming rows and columns) and nothing is written when there is one. "
        "Rows already imported (by their external ID) update their claims; a field an editor "
        "changed since is kept and reported, unless --overwrite."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--mapping",
            required=True,
            help="A saved mapping's name or identifier, or a .json file.",
        )
        parser.add_argument("--user", required=True, help="The editor the import acts as.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Preview: check and report, write nothing."
        )
        parser.add_argument("--sheet", help="The workbook's sheet (default: the first).")
        parser.add_argument("--delimiter", help="The CSV delimiter (default: detected).")
        parser.add_argument("--encoding", help="The CSV encoding, e.g. cp1251 (default: detected).")
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Take the file's values even where an editor changed them since the last import.",
        )
        parser.add_argument(
            "--correction-note",
            default="",
            help="Public correction note for every published claim whose words, speaker or "
            "date the file changes (required when it does).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        try:
            account = get_user_model().objects.get(username=options["user"], is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No active user called “{options['user']}”.") from None
        spec, name = load_mapping(options["mapping"])
        delimiter = options.get("delimiter")
        if delimiter in ("tab", "\\t"):
            delimiter = "\t"
        quiet = options.get("quiet") or not sys.stderr.isatty()
        progress = None if quiet else tqdm(unit="rows", file=sys.stderr)
        sheet_import = SheetImport(
            options["file"],
            spec,
            account,
            mapping_name=name,
            delimiter=delimiter,
            encoding=options.get("encoding"),
            sheet=options.get("sheet"),
            overwrite=options.get("overwrite", False),
            correction_note=options.get("correction_note", ""),
            progress=progress,
        )
        dry_run = options.get("dry_run", False)
        try:
            if dry_run:
                report = sheet_import.run(dry_run=True)
            else:
                report = self._write(sheet_import, account)
        except SheetFailed as failure:
            raise CommandError("\n".join(failure.report.lines())) from None
        except runs.Busy as busy:
            raise CommandError(str(busy)) from None
        finally:
            if progress:
                progress.close()
        heading = "Would import (dry run, nothing written):" if report.dry_run else "Imported:"
        self.stdout.write(heading)
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if report.dry_run:
            for row in report.notes.preview:
                answer = f" | {row['counterclaim'][:60]}" if row["counterclaim"] else ""
                self.stdout.write(
                    f"  row {row['row']}: {row['claim'][:60]}{answer} — {row['speaker']}, "
                    f"{row['said'] or 'undated'}; topics: {', '.join(row['topics']) or '—'}; "
                    f"{' '.join(row['urls'])}"
                )

    def _write(self, sheet_import, account):
        """The import recorded as a run, written inside runs.writing: while it
        writes, the admin says so (and on SQLite refuses saves at once). Called
        inside a transaction (from code that holds one), it simply writes in it."""
        if transaction.get_connection().in_atomic_block:
            return sheet_import.run()
        if runs.refusal():
            raise runs.Busy(runs.refusal())
        run = Run.objects.create(
            kind=Run.Kind.IMPORT_SHEET,
            user=account,
            file=sheet_import.path.name,
            state=Run.State.QUEUED,
            report={"command": True},
        )
        try:
            with runs.writing(run):
                report = sheet_import.run()
        except SheetFailed as failure:
            run.report = {**run.report, "problems": failure.report.problems[:100]}
            runs.finish(run, Run.State.FAILED, error=f"{failure.report.problem_count} problem(s)")
            raise
        except BaseException as error:
            runs.finish(run, Run.State.FAILED, error=str(error) or type(error).__name__)
            raise
        run.done = report.notes.rows
        run.report = {**run.report, "lines": list(report.lines())}
        runs.finish(run, Run.State.DONE)
        return report

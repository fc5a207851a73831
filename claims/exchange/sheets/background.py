"""A spreadsheet import as a run (claims.runs): previewed, then, once an
editor confirms, written; in the request for a small file, by the worker
(`manage.py db_worker`) for one of more than SHEET_BACKGROUND_ROWS rows.
Either way the run's report holds what the admin's import page shows."""

from django.conf import settings
from django.contrib.auth import get_user_model

from ... import db, mapping, runs
from ...models import Claim, Run
from .reading import SheetError
from .run import SheetFailed, SheetImport

__all__ = ["PROGRESS_EVERY", "import_sheet", "in_background", "preview", "write"]

PROGRESS_EVERY = 500  # rows between two reports of progress


class _Progress:
    """tqdm's update(), told to the run every PROGRESS_EVERY rows."""

    def __init__(self, run, total):
        self.run, self.total, self.done, self.told = run, total, 0, 0

    def update(self, count):
        self.done += count
        if self.done - self.told >= PROGRESS_EVERY:
            self.told = self.done
            runs.progress(self.run, self.done, self.total)


def _sheet_import(run, progress=None):
    options = run.report.get("options", {})
    spec = mapping.parse(run.report["mapping"])
    return SheetImport(
        run.path,
        spec,
        run.user,
        mapping_name=spec.name,
        delimiter=options.get("delimiter") or None,
        encoding=options.get("encoding") or None,
        sheet=options.get("sheet") or None,
        overwrite=options.get("overwrite", False),
        correction_note=options.get("correction_note", ""),
        progress=progress,
        reason=f"imported from {run.file} with mapping {spec.name}",
    )


def _as_report(sheet_report):
    """A SheetReport as JSON values, for the run's record."""
    notes, counts = sheet_report.notes, sheet_report.counts
    return {
        "reading": sheet_report.reading_line(),
        "encoding": sheet_report.encoding,
        "delimiter": sheet_report.delimiter,
        "columns": sheet_report.columns,
        "rows": notes.rows,
        "lines": list(sheet_report.lines()),
        "counts": {
            kind: getattr(counts, kind) for kind in ("created", "updated", "unchanged", "deleted")
        },
        "conflicts": notes.conflict_count,
        "new_speakers": [
            {"name": name, "rows": count, "first_row": row}
            for name, (count, row, _) in notes.new_speakers.items()
        ],
        "preview": notes.preview,
        "problems": sheet_report.problems,
        "problem_count": sheet_report.problem_count,
        "hashed_keys": notes.hashed_keys,
        "created": notes.created[:100],
    }


def _do(run, dry_run, total=None):
    progress = _Progress(run, total or 0)
    try:
        report = _sheet_import(run, progress).run(dry_run=dry_run)
        ok = True
    except SheetFailed as failure:
        report, ok = failure.report, False
    except (SheetError, mapping.MappingError, OSError) as error:
        run.report = {**run.report, "outcome": {"problems": [str(error)], "problem_count": 1}}
        return False
    run.report = {**run.report, "outcome": _as_report(report), "dry_run": dry_run}
    run.done = report.notes.rows
    return ok


def preview(run):
    """The dry run: what the import would do and every problem; the run is
    then ready (waiting for confirmation) or failed."""
    runs.progress(run, 0, state=Run.State.PREVIEWING)
    # A dry run writes and rolls back: on a copy where a writer would hold up editors.
    with db.scratch_copy():
        ok = _do(run, dry_run=True)
    run.report = {**run.report, "stage": "preview"}
    runs.finish(run, Run.State.READY if ok else Run.State.FAILED)
    return ok


def write(run):
    """The import itself, in one transaction; the upload deleted after."""
    with runs.writing(run, total=run.done):
        ok = _do(run, dry_run=False, total=run.done)
    run.report = {**run.report, "stage": "result"}
    runs.finish(run, Run.State.DONE if ok else Run.State.FAILED)
    runs.discard_upload(run)
    return ok


def in_background(rows):
    """Whether a file of `rows` rows is previewed and imported by the worker."""
    return rows > settings.SHEET_BACKGROUND_ROWS


@runs.handler(Run.Kind.IMPORT_SHEET)
def import_sheet(run, action="preview", **arguments):
    """What the worker does for a spreadsheet import: preview or write."""
    if run.user is not None:
        run.user = get_user_model().objects.get(pk=run.user_id)  # permissions fresh
    if action == "write":
        write(run)
    else:
        preview(run)


def created_claims(run):
    """(slug, id) of the claims the import created, for links."""
    slugs = (run.report.get("outcome") or {}).get("created", [])
    return list(Claim.objects.filter(slug__in=slugs).values_list("slug", "pk"))

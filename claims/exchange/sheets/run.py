"""One spreadsheet import from start to end: the file opened and checked
against its mapping, its rows turned into fixture objects (`rows`), and
those checked and written by the fixture importer, in one transaction;
then the report, which a dry run (the preview) gives without writing."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from ...mapping import TARGETS
from ..importer import Importer, ImportFailed
from ..importer.outcome import SHOWN, Group, Problem, Report, kind_of
from .reading import SheetError, open_sheet
from .rows import Notes, Translator

__all__ = ["SheetFailed", "SheetImport", "SheetReport", "column_of"]

# Where the importer names an object of a row: "row 12 (claim)".
_POSITION = re.compile(r"^row (\d+) \((\w+)\)")

# The field of an object of each role, and the target of the mapping that gave it.
_FIELD_TARGETS = {
    "claim": {
        "said_on_precision": "said_on",
        "said_qualifier": "said_on",
        "first_published_at": "status",
    },
    "counterclaim": {
        "text": "counterclaim.text",
        "speaker": "counterclaim.speaker",
        "said_on": "counterclaim.said_on",
        "said_on_precision": "counterclaim.said_on",
        "said_qualifier": "counterclaim.said_on",
        "status": "counterclaim.status",
    },
    "speaker": {"name": "speaker", "kind": "speaker.kind", "aliases": "speaker"},
    "source": {
        "url": "appearance.url",
        "title": "appearance.title",
        "language": "appearance.language",
        "publisher": "appearance.publisher",
        "published_on": "appearance.published_on",
    },
    "citation": {"source": "appearance.url"},
    "pairing": {"relation": "counterclaim.relation"},
    "identifier": {"value": "external_id"},
    "topic": {"name": "topics", "slug": "topics"},
}


def column_of(spec, role, field_name):
    """The column (or "constant") a field of a row's object came from."""
    target = _FIELD_TARGETS.get(role, {}).get(field_name, field_name)
    if target not in TARGETS:
        return ""
    entries = spec.of(target)
    if entries:
        return f"“{entries[0].column}”"
    if target in spec.constants:
        return f"constant {target}"
    if role == "counterclaim" and target == "counterclaim.status" and "status" in spec.targets():
        return column_of(spec, "claim", "status")
    return ""


@dataclass
class SheetReport:
    """What an import read, did (or, previewed, would do), and found."""

    file: str
    kind: str = ""
    encoding: str = ""
    encoding_source: str = ""
    delimiter: str = ""
    sheet: str = ""
    columns: list = field(default_factory=list)
    mapping: str = ""
    dry_run: bool = False
    overwrote: bool = False  # conflicts took the file's values (--overwrite)
    counts: Report = field(default_factory=Report)
    notes: Notes = field(default_factory=Notes)
    problems: list = field(default_factory=list)  # lines, one per kind of problem
    problem_count: int = 0

    @property
    def ok(self):
        return not self.problem_count

    def reading_line(self):
        if self.kind == "xlsx":
            return f"{self.file}: sheet “{self.sheet}”, {len(self.columns)} columns"
        delimiter = {"\t": "tab", " ": "space"}.get(self.delimiter, self.delimiter)
        return (
            f"{self.file}: CSV, encoding {self.encoding} ({self.encoding_source}), "
            f"delimiter “{delimiter}”, {len(self.columns)} columns"
        )

    def lines(self):
        """The report as text, for the command line and the admin's pages."""
        notes = self.notes
        yield self.reading_line()
        yield _("rows read: %(rows)s") % {"rows": f"{notes.rows:,}"}
        if notes.hashed_keys:
            yield _(
                "no external ID column: rows are known by their text, speaker and date, so an "
                "edited row will become a new claim"
            )
        yield from self.counts.lines()
        if notes.duplicate_count:
            shown = ", ".join(f"{row} (= {earlier})" for row, earlier in notes.duplicates)
            yield _("exact duplicate rows, imported once: %(count)s: %(rows)s") % {
                "count": f"{notes.duplicate_count:,}",
                "rows": shown,
            }
        if notes.new_speakers:
            names = ", ".join(
                _("%(name)s (%(count)s rows, first row %(row)s)")
                % {"name": name, "count": count, "row": row}
                for name, (count, row, _last) in list(notes.new_speakers.items())[:50]
            )
            more = len(notes.new_speakers) - 50
            if more > 0:
                names += _(", and %(more)s more") % {"more": f"{more:,}"}
            yield _("new speakers to create: %(count)s: %(names)s") % {
                "count": f"{len(notes.new_speakers):,}",
                "names": names,
            }
        for name, slug in notes.aliases_added[:50]:
            yield _("alias added: “%(name)s” for the speaker %(slug)s") % {
                "name": name,
                "slug": slug,
            }
        if notes.conflicts:
            if self.overwrote:
                said = _(
                    "conflicts: %(count)s field(s) changed in the admin since the last import "
                    "were overwritten"
                )
            else:
                said = _(
                    "conflicts: %(count)s field(s) changed in the admin since the last import "
                    "were kept"
                )
            yield said % {"count": f"{notes.conflict_count:,}"}
            for (column, name), (count, rows) in notes.conflicts.items():
                more = ", …" if count > len(rows) else ""
                label = column if column == "constant" else f"“{column}”"
                yield "  " + _("%(field)s (%(column)s): %(count)s rows: %(rows)s") % {
                    "field": name,
                    "column": label,
                    "count": f"{count:,}",
                    "rows": ", ".join(map(str, rows)) + more,
                }
        if notes.unread_dates:
            shown = ", ".join(f"row {row} “{text}”" for row, _column, text in notes.unread)
            yield _(
                "dates that could not be read, left undated with the text in the date note: "
                "%(count)s: %(rows)s"
            ) % {"count": f"{notes.unread_dates:,}", "rows": shown}
        if notes.shortened_count:
            shown = ", ".join(f"row {row}: {url}" for row, url in notes.shortened)
            yield _(
                "links on URL shorteners, kept as given and not followed: %(count)s: %(rows)s"
            ) % {"count": f"{notes.shortened_count:,}", "rows": shown}
        if self.problems:
            yield _("%(count)s problem(s); nothing was imported:") % {
                "count": f"{self.problem_count:,}"
            }
            for line in self.problems:
                yield f"  {line}"


class SheetFailed(Exception):
    """The import found problems, named in its report; nothing was written."""

    def __init__(self, report):
        self.report = report
        super().__init__(f"{report.problem_count} problem(s)")


class _Unreadable(Exception):
    pass


class SheetImport:
    """Imports one spreadsheet with a mapping (claims.mapping.Spec), acting
    as `user`: run() reads, maps, checks and writes it, or reports why not."""

    def __init__(
        self,
        path,
        spec,
        user,
        *,
        mapping_name="",
        delimiter=None,
        encoding=None,
        sheet=None,
        header=None,
        overwrite=False,
        correction_note="",
        progress=None,
        reason="",
    ):
        self.path = Path(path)
        self.spec = spec
        self.user = user
        read = spec.read or {}
        self.delimiter = delimiter or read.get("delimiter") or None
        self.encoding = encoding or read.get("encoding") or None
        self.sheet = sheet or read.get("sheet") or None
        self.header = read.get("header", True) if header is None else header
        self.overwrite = overwrite
        self.correction_note = correction_note
        self.progress = progress
        self.mapping_name = mapping_name or spec.name
        self.reason = reason or f"imported from {self.path.name} with mapping {self.mapping_name}"

    def open(self):
        """The sheet, checked: its size, and every mapped column present."""
        size = self.path.stat().st_size
        limit = settings.SHEET_MAX_BYTES
        if size > limit:
            raise SheetError(
                f"the file is {size / 1e6:,.1f} MB, over the limit of {limit / 1e6:,.0f} MB"
            )
        sheet = open_sheet(
            self.path,
            delimiter=self.delimiter,
            encoding=self.encoding,
            sheet=self.sheet,
            header=self.header,
        )
        missing = sorted({c.column for c in self.spec.columns} - set(sheet.columns))
        if missing:
            sheet.close()
            names = ", ".join(f"“{c}”" for c in sheet.columns)
            raise SheetError(
                f"the mapping names column(s) the file does not have: "
                f"{', '.join(f'“{m}”' for m in missing)}; its columns are {names}"
            )
        return sheet

    def run(self, dry_run=False):
        """The report; SheetFailed (its report naming every problem) when
        there is one, with nothing written. A dry run writes nothing either."""
        report = SheetReport(
            file=self.path.name,
            mapping=self.mapping_name,
            dry_run=dry_run,
            overwrote=self.overwrite,
            columns=[],
        )
        try:
            sheet = self.open()
        except (SheetError, OSError) as error:
            report.problems = [f"{self.path.name}: {error}"]
            report.problem_count = 1
            raise SheetFailed(report) from None
        with sheet:
            report.kind, report.columns = sheet.kind, list(sheet.columns)
            report.encoding = sheet.encoding or ""
            report.encoding_source = sheet.encoding_source or ""
            report.delimiter = sheet.delimiter or ""
            report.sheet = sheet.sheet_name or ""
            importer = Importer(
                self.path,
                self.user,
                correction_note=self.correction_note,
                partial=True,
                reason=self.reason,
            )
            translator = Translator(self.spec, importer.file.problem, overwrite=self.overwrite)
            report.notes = translator.notes
            importer.entries = self._entries(sheet, translator, importer)
            try:
                report.counts = importer.run(dry_run=dry_run)
            except ImportFailed as failure:
                report.problems = self._lines(failure)
                report.problem_count = failure.count
                raise SheetFailed(report) from None
        return report

    def _entries(self, sheet, translator, importer):
        try:
            rows = self._counted(sheet.rows())
            yield from translator.entries(rows)
        except SheetError as error:
            importer.file.problem(self.path.name, "", str(error))
            importer.file.stopped = True
        if not translator.notes.rows:
            importer.file.problem(self.path.name, "", "the file has a header but no rows")

    def _counted(self, rows):
        for row in rows:
            if self.progress:
                self.progress.update(1)
            yield row

    def _lines(self, failure):
        """One line per kind of problem: the rows (the first SHOWN), the
        column, and the message with its value."""
        lines = []
        groups = {}
        for group in failure.groups:
            problem = group.example
            match = _POSITION.match(problem.where)
            if match is None:
                groups.setdefault((problem.where, problem.message), [group, []])
                continue
            role = match.group(2)
            column = problem.field
            if role != "row" and not column.startswith("“") and not column.startswith("constant"):
                column = column_of(self.spec, role, problem.field) or problem.field
            key = (column, kind_of(Problem("", "", problem.message))[2])
            entry = groups.setdefault(
                key, [Group(Problem(problem.where, column, problem.message)), []]
            )
            entry[0].count += group.count
            for place in group.places:
                row = _POSITION.match(place) or re.match(r"^row (\d+)", place)
                number = int(row.group(1)) if row else None
                if number is not None and number not in entry[1] and len(entry[1]) < SHOWN:
                    entry[1].append(number)
        for (column, _message), (group, rows) in groups.items():
            if not rows:
                lines.append(str(group.example))
                continue
            where = (
                f"column {column}: " if column.startswith("“") else f"{column}: " if column else ""
            )
            if group.count == 1:
                lines.append(f"row {rows[0]}, {where}{group.example.message}")
                continue
            more = ", …" if group.count > len(rows) else ""
            numbers = ", ".join(map(str, sorted(rows)))
            lines.append(f"{group.count:,} rows ({numbers}{more}): {where}{group.example.message}")
        return lines

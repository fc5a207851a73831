"""A spreadsheet mapping: which field each column fills, with what options,
and the constants that stand in for columns. The one description of the
mapping's JSON format (README, "Spreadsheet mappings"), read by the saved
mapping's model, the command and the admin's import page alike.

    {
      "format": 1,
      "name": "Case file", "namespace": "watchdog",
      "read": {"delimiter": ";", "encoding": "", "sheet": "", "header": true},
      "columns": [
        {"column": "Case", "target": "external_id"},
        {"column": "Date", "target": "said_on", "format": "DD.MM.YYYY"},
        {"column": "Rebuttal", "target": "counterclaim.text"},
        {"column": "Rebuttal", "target": "counterclaim.evidence", "find_urls": true}
      ],
      "constants": {"counterclaim.relation": "denies"},
      "speakers": {"Спутник": "sputnik"}
    }

A column not listed is ignored; one column may feed several targets; a
constant fills a target no column gives.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .dates import WRITTEN

__all__ = [
    "DATE",
    "FORMAT",
    "LIST",
    "MappingError",
    "NAME",
    "TARGETS",
    "TEXT",
    "URLS",
    "Column",
    "Spec",
    "parse",
]

FORMAT = 1  # the version of the JSON format

# What a target holds, which says how its cells are read: a text is kept as
# written; a name or key is trimmed (no-break spaces too); a date is read in
# its column's format; a list is split on its separator; URLs are split on
# white space, or found inside a text (find_urls).
TEXT, NAME, DATE, LIST, URLS = "text", "name", "date", "list", "urls"

# target -> (what it holds, what an editor reads in the admin's select)
TARGETS = {
    "external_id": (NAME, "The row's identifier in your table (external ID)"),
    "slug": (NAME, "Claim: identifier for a new claim (its permalink)"),
    "text": (TEXT, "Claim: text in English"),
    "text_kind": (NAME, "Claim: wording (verbatim_original, verbatim_translation, …)"),
    "original_text": (TEXT, "Claim: original text"),
    "original_language": (NAME, "Claim: language of the original text"),
    "translator": (NAME, "Claim: translator"),
    "speaker": (NAME, "Claim: speaker's name"),
    "speaker.short_name": (NAME, "Claim: speaker's short name"),
    "speaker.kind": (NAME, "Claim: kind of speaker (person, media, government, …)"),
    "speaker_role": (NAME, "Claim: speaker's role"),
    "speaking_for": (NAME, "Claim: organisation spoken for"),
    "said_on": (DATE, "Claim: date said"),
    "date_note": (TEXT, "Claim: where the date comes from"),
    "place": (NAME, "Claim: place"),
    "topics": (LIST, "Claim: topics"),
    "status": (NAME, "Claim: status (draft, in_review, published)"),
    "assessment": (NAME, "Claim: assessment"),
    "assessment_rationale": (TEXT, "Claim: reason for the assessment"),
    "accused": (LIST, "Claim: parties accused"),
    "internal_notes": (TEXT, "Claim: internal notes (never public)"),
    "appearance.url": (NAME, "Where it appeared: URL"),
    "appearance.title": (NAME, "Where it appeared: title"),
    "appearance.publisher": (NAME, "Where it appeared: publisher"),
    "appearance.language": (NAME, "Where it appeared: language of the document"),
    "appearance.published_on": (DATE, "Where it appeared: publication date"),
    "evidence": (URLS, "Claim: evidence URLs"),
    "counterclaim.text": (TEXT, "Counterclaim: text"),
    "counterclaim.speaker": (NAME, "Counterclaim: speaker's name"),
    "counterclaim.speaker.kind": (NAME, "Counterclaim: kind of speaker"),
    "counterclaim.said_on": (DATE, "Counterclaim: date said"),
    "counterclaim.relation": (NAME, "Counterclaim: how it answers (denies, contradicts, …)"),
    "counterclaim.status": (NAME, "Counterclaim: status"),
    "counterclaim.appearance.url": (NAME, "Counterclaim: where it appeared, URL"),
    "counterclaim.evidence": (URLS, "Counterclaim: evidence URLs"),
}

# The options a column entry may give, by what its target holds.
OPTIONS = {
    TEXT: {"values"},
    NAME: {"values"},
    DATE: {"format", "values", "unreadable"},
    LIST: {"separator", "values"},
    URLS: {"separator", "find_urls", "role"},
}
ROLES = ("supports", "contradicts", "context")
# What a date that cannot be read does: refuse the file (a problem), or
# leave the claim undated and keep what the file said in its date note.
UNREADABLE = ("refuse", "note")
READ = {"delimiter", "encoding", "sheet", "header"}
TOP = {"format", "name", "namespace", "description", "read", "columns", "constants", "speakers"}


class MappingError(ValueError):
    """A mapping that cannot be used, saying where and why."""


@dataclass(frozen=True)
class Column:
    """One column feeding one target, with its options."""

    column: str
    target: str
    format: tuple = ("YYYY-MM-DD",)  # tried in order
    separator: str = ""
    find_urls: bool = False
    role: str = ""
    unreadable: str = "refuse"
    values: tuple = ()  # (cell value, field value) pairs, compared trimmed and case-folded

    @property
    def holds(self):
        return TARGETS[self.target][0]


@dataclass
class Spec:
    name: str
    namespace: str
    columns: list = field(default_factory=list)  # [Column]
    constants: dict = field(default_factory=dict)  # target -> value
    speakers: dict = field(default_factory=dict)  # name in the file -> speaker slug
    read: dict = field(default_factory=dict)
    description: str = ""

    def targets(self):
        return {c.target for c in self.columns} | set(self.constants)

    def of(self, target):
        """The column entries feeding `target`."""
        return [c for c in self.columns if c.target == target]

    def as_document(self):
        """The mapping as its JSON file gives it."""
        columns = []
        for c in self.columns:
            entry = {"column": c.column, "target": c.target}
            holds = c.holds
            if holds == DATE:
                entry["format"] = c.format[0] if len(c.format) == 1 else list(c.format)
                if c.unreadable != "refuse":
                    entry["unreadable"] = c.unreadable
            if holds in (LIST, URLS) and c.separator:
                entry["separator"] = c.separator
            if holds == URLS:
                entry["find_urls"] = c.find_urls
                if c.role:
                    entry["role"] = c.role
            if c.values:
                entry["values"] = dict(c.values)
            columns.append(entry)
        return {
            "format": FORMAT,
            "name": self.name,
            "namespace": self.namespace,
            "description": self.description,
            "read": dict(self.read),
            "columns": columns,
            "constants": dict(self.constants),
            "speakers": dict(self.speakers),
        }


def _text(value, where):
    if not isinstance(value, str):
        raise MappingError(
            _("%(where)s: expected a text, got %(value)s") % {"where": where, "value": repr(value)}
        )
    return value


def _column(number, entry):
    where = f"columns, entry {number}"
    if not isinstance(entry, dict):
        raise MappingError(
            _("%(where)s: expected an object with a column and a target") % {"where": where}
        )
    column = entry.get("column")
    if not isinstance(column, str) or not column.strip():
        raise MappingError(_("%(where)s: give the column's name in “column”") % {"where": where})
    where = f"column “{column}”"
    target = entry.get("target")
    if target not in TARGETS:
        raise MappingError(
            _("%(where)s: unknown target %(target)s; the targets are %(targets)s")
            % {"where": where, "target": repr(target), "targets": ", ".join(TARGETS)}
        )
    holds = TARGETS[target][0]
    allowed = OPTIONS[holds] | {"column", "target"}
    for name in entry:
        if name not in allowed:
            raise MappingError(
                _("%(where)s: the target %(target)s takes no option %(name)s")
                % {"where": where, "target": target, "name": repr(name)}
            )
    written = entry.get("format", "YYYY-MM-DD")
    written = tuple(written) if isinstance(written, list) else (written,)
    for each in written if holds == DATE else ():
        if each not in WRITTEN:
            raise MappingError(
                _("%(where)s: unknown date format %(each)s; the formats are %(written)s")
                % {"where": where, "each": repr(each), "written": ", ".join(WRITTEN)}
            )
    if holds == DATE and not written:
        raise MappingError(_("%(where)s: give a date format") % {"where": where})
    unreadable = entry.get("unreadable", "refuse")
    if unreadable not in UNREADABLE:
        raise MappingError(
            _("%(where)s: “unreadable” is one of %(unreadable)s")
            % {"where": where, "unreadable": ", ".join(UNREADABLE)}
        )
    separator = entry.get("separator", "," if holds == LIST else "")
    _text(separator, f"{where}: separator")
    find_urls = entry.get("find_urls", False)
    if not isinstance(find_urls, bool):
        raise MappingError(_("%(where)s: find_urls is true or false") % {"where": where})
    role = entry.get("role", "")
    if role and role not in ROLES:
        raise MappingError(
            _("%(where)s: unknown role %(role)s; the roles are %(roles)s")
            % {"where": where, "role": repr(role), "roles": ", ".join(ROLES)}
        )
    values = entry.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        raise MappingError(
            _("%(where)s: “values” maps texts in the file to field values") % {"where": where}
        )
    return Column(
        column=column,
        target=target,
        format=written,
        separator=separator,
        find_urls=find_urls,
        role=role,
        unreadable=unreadable,
        values=tuple(values.items()),
    )


def parse(document):
    """A Spec from the mapping's JSON document (a dict); MappingError, naming
    the entry and what is wrong, when it cannot be used."""
    if not isinstance(document, dict):
        raise MappingError(_("a mapping is a JSON object"))
    for name in document:
        if name not in TOP:
            raise MappingError(
                _("unknown entry %(name)s; the entries are %(top)s")
                % {"name": repr(name), "top": ", ".join(sorted(TOP))}
            )
    if document.get("format", FORMAT) != FORMAT:
        raise MappingError(
            _("format %(format)s; this version reads format 1")
            % {"format": repr(document.get("format"))}
        )
    name = _text(document.get("name", ""), "name").strip()
    namespace = _text(document.get("namespace", ""), "namespace").strip()
    if not name:
        raise MappingError(_("name: give the mapping a name"))
    if not namespace:
        raise MappingError(_("namespace: say whose identifiers the rows carry"))
    read = document.get("read") or {}
    if not isinstance(read, dict) or set(read) - READ:
        raise MappingError(
            _("read: an object with some of %(read)s") % {"read": ", ".join(sorted(READ))}
        )
    if "header" in read and not isinstance(read["header"], bool):
        raise MappingError(_("read: header is true or false"))
    for key in ("delimiter", "encoding", "sheet"):
        if read.get(key) is not None:
            _text(read[key], f"read: {key}")
    if read.get("delimiter") and len(read["delimiter"]) != 1:
        raise MappingError(_("read: the delimiter is one character"))
    entries = document.get("columns") or []
    if not isinstance(entries, list):
        raise MappingError(_("columns: a list of {column, target} objects"))
    columns = [_column(number, entry) for number, entry in enumerate(entries, start=1)]
    seen = set()
    for c in columns:
        if (c.column, c.target) in seen:
            raise MappingError(
                _("column “%(column)s”: mapped twice to %(target)s")
                % {"column": c.column, "target": c.target}
            )
        seen.add((c.column, c.target))
    constants = document.get("constants") or {}
    if not isinstance(constants, dict):
        raise MappingError(_("constants: an object of target: value"))
    for target, value in constants.items():
        if target not in TARGETS:
            raise MappingError(
                _("constants: unknown target %(target)s; the targets are %(targets)s")
                % {"target": repr(target), "targets": ", ".join(TARGETS)}
            )
        if TARGETS[target][0] in (DATE, URLS, LIST):
            raise MappingError(
                _("constants: %(target)s takes a column, not a constant") % {"target": target}
            )
        _text(value, f"constants: {target}")
    speakers = document.get("speakers") or {}
    if not isinstance(speakers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in speakers.items()
    ):
        raise MappingError(_("speakers: an object of name in the file: speaker identifier"))
    spec = Spec(
        name=name,
        namespace=namespace,
        columns=columns,
        constants=dict(constants),
        speakers=dict(speakers),
        read=dict(read),
        description=_text(document.get("description", ""), "description"),
    )
    if "text" not in spec.targets():
        raise MappingError(_("no column gives the claim's text (target “text”)"))
    return spec

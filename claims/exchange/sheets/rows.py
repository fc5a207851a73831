"""A spreadsheet's rows as fixture objects: each row read through the
mapping (names and keys trimmed, dates in their column's format, topics
split, URLs found), matched to what is kept (speakers, sources, topics,
the rows' external identifiers), and given as the objects the fixture
importer checks and writes: speakers, topics and sources it needs, the
claim and its counterclaim, their citations, the pairing, and the
identifiers. A row the mapping cannot read is a problem naming the row,
the column and the value; its objects are left out.

Rows are read a chunk at a time (ROWS_PER_CHUNK): the database is asked
about a chunk's names, URLs and identifiers together.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.utils.translation import gettext as _

from ...choices import CitationRole, ClaimStatus
from ...dates import SAID, FuzzyDate, Precision, read_said
from ...links import is_shortened, is_web_address
from ...mapping import DATE, LIST, NAME, URLS
from ...models import Claim, Rebuttal, Source, Speaker
from ...text import fold, name_key, urls_in
from .matching import Identifiers, SourceIndex, SpeakerIndex, TopicIndex, external_ids
from .reading import date_precision

__all__ = ["ANSWER", "PREVIEW_ROWS", "ROWS_PER_CHUNK", "Notes", "Translator", "trimmed"]

ROWS_PER_CHUNK = 200
PREVIEW_ROWS = 20
ANSWER = "#answer"  # a row's counterclaim is known by the row's identifier and this
SHOWN = 10  # rows named for a kind of note

# The claim's fields a row may give, each from the target of the same name.
CLAIM_FIELDS = (
    "text",
    "text_kind",
    "original_text",
    "original_language",
    "translator",
    "speaker_role",
    "date_note",
    "place",
    "status",
    "assessment",
    "assessment_rationale",
    "internal_notes",
)
# Fields whose last imported value is remembered, to tell an editor's change.
TRACKED = (*CLAIM_FIELDS, "speaker", "speaking_for", "said_on", "topics", "accused")

_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\ufeff": ""})


def trimmed(text):
    """A name or key as it is meant: no-break spaces as spaces, white space
    at the ends dropped and runs of it made one."""
    return " ".join(str(text).translate(_SPACES).split())


def _cell_text(value):
    """A cell's value as text: whole numbers without ".0", dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@dataclass
class Notes:
    """What a sheet import tells beside its problems: conflicts kept,
    duplicate rows, new speakers, shortened links, and the first rows as
    they will appear."""

    conflicts: dict = field(default_factory=dict)  # (column, field) -> [count, [rows]]
    duplicates: list = field(default_factory=list)  # (row, earlier row), the first SHOWN
    duplicate_count: int = 0
    new_speakers: dict = field(default_factory=dict)  # name -> [rows count, first row]
    aliases_added: list = field(default_factory=list)  # (name, speaker slug)
    shortened: list = field(default_factory=list)  # (row, url), the first SHOWN
    shortened_count: int = 0
    preview: list = field(default_factory=list)  # the first PREVIEW_ROWS rows, as shown
    rows: int = 0  # rows read
    created: list = field(default_factory=list)  # slugs of the first new claims, for links
    hashed_keys: bool = False  # no external ID column: rows are known by their content
    unread_dates: int = 0  # dates that could not be read, kept in the date note
    unread: list = field(default_factory=list)  # (row, column, text), the first SHOWN

    def count_speaker(self, name, row):
        entry = self.new_speakers[name]  # [rows, first row, last row counted]
        if entry[2] != row:
            entry[0] += 1
            entry[2] = row

    def unread_date(self, row, column, text):
        if (row, text) in {(r, t) for r, _, t in self.unread}:
            return  # one cell feeding two dates is one unreadable date
        self.unread_dates += 1
        if len(self.unread) < SHOWN:
            self.unread.append((row, column, text))

    def conflict(self, row, column, name):
        entry = self.conflicts.setdefault((column, name), [0, []])
        entry[0] += 1
        if len(entry[1]) < SHOWN:
            entry[1].append(row)

    @property
    def conflict_count(self):
        return sum(count for count, _ in self.conflicts.values())


@dataclass
class Read:
    """One row read through the mapping."""

    number: int
    values: dict = field(default_factory=dict)  # target -> value
    columns: dict = field(default_factory=dict)  # target -> column it came from (None: constant)
    problems: int = 0
    said: set = field(default_factory=set)  # (column, message) of its problems
    digest: str = ""

    def get(self, target, default=""):
        return self.values.get(target, default)


class Translator:
    """Reads rows through a mapping and gives the fixture objects they make,
    as (position, raw object) in the order they load. Problems go to
    `problem(where, column, message)`."""

    def __init__(self, spec, problem, *, overwrite=False):
        self.spec = spec
        self.problem = problem
        self.overwrite = overwrite
        self.speakers = SpeakerIndex()
        self.sources = SourceIndex()
        self.topics = TopicIndex()
        self.identifiers = Identifiers()
        self.seen = {}  # identifier -> (row, digest): a row given twice
        self.notes = Notes(hashed_keys="external_id" not in spec.targets())
        self.new_speakers = {}  # name key -> slug made for it (a placeholder until named)
        self.new_speaker_names = {}  # name key -> the name as first written
        self.made_speakers = {}  # slug made -> the name as first written
        self.new_topics = {}  # name key -> slug
        self.chosen = {name_key(n): slug for n, slug in spec.speakers.items()}
        self.aliased = set()  # speakers given an alias by this import

    # Reading a row --------------------------------------------------------------------------

    def _say(self, read, column, value, message):
        label = f"“{column}”" if column else _("constant")
        shown = f" “{value}”" if value not in ("", None) and f"“{value}”" not in message else ""
        message = f"{shown.strip()} {message}".strip()
        if (label, message) in read.said:
            return  # a cell feeding two targets is one problem
        read.said.add((label, message))
        read.problems += 1
        self.problem(f"row {read.number} (row)", label, message)

    def read(self, row):
        """A Read of `row`: each target's value from its first non-empty
        column, else its constant; problems said, naming the column."""
        read = Read(row.number)
        for column, message in row.problems:
            self._say(read, column, "", message)
        given = []
        for target in sorted(self.spec.targets()):
            for entry in self.spec.of(target):
                cell = row.cells.get(entry.column)
                if cell is None:
                    continue
                value = self._value(read, entry, cell)
                if value not in (None, "", []):
                    read.values[target] = value
                    read.columns[target] = entry.column
                    given.append((entry.column, target, _cell_text(cell.value)))
                    break
            if target not in read.values and target in self.spec.constants:
                read.values[target] = self.spec.constants[target]
                read.columns[target] = None
        if not read.get("text").strip():
            self._say(read, self._column("text"), "", _("the claim's text is empty"))
        read.digest = hashlib.sha256(json.dumps(sorted(given)).encode()).hexdigest()
        return read

    def _column(self, target):
        entries = self.spec.of(target)
        return entries[0].column if entries else None

    def _value(self, read, entry, cell):
        holds, value = entry.holds, cell.value
        if holds == DATE:
            return self._date(read, entry, cell)
        text = _cell_text(value)
        if holds == URLS:
            return self._urls(read, entry, text)
        if holds != LIST:
            if holds == NAME:
                text = trimmed(text)
            return self._replaced(entry, text)
        separator = entry.separator or ","
        parts, seen = [], set()
        for part in text.split(separator):
            part = self._replaced(entry, trimmed(part))
            if part and name_key(part) not in seen:
                seen.add(name_key(part))
                parts.append(part)
        return parts

    @staticmethod
    def _replaced(entry, text):
        for given, meant in entry.values:
            if fold(trimmed(given)) == fold(trimmed(text)):
                return meant
        return text

    def _date(self, read, entry, cell):
        value = cell.value
        if isinstance(value, datetime.datetime | datetime.date):
            day = value.date() if isinstance(value, datetime.datetime) else value
            precision = date_precision(cell.number_format) or Precision.DAY
            return FuzzyDate(day, precision)
        text = self._replaced(entry, trimmed(_cell_text(value)))
        if not text:
            return None
        if isinstance(value, int | float) and "excel" not in entry.format:
            text = _cell_text(value)
        if entry.target == "said_on" and SAID in entry.format:
            try:
                qualifier, said, until = read_said(text)
                read.values["_said"] = (qualifier, until)
                return said or until or _NOT_STATED
            except ValueError:
                pass
        try:
            return _parsed(text, entry.format)
        except ValueError as error:
            if entry.unreadable == "note":
                read.values.setdefault("_unread_dates", []).append((entry.target, text))
                self.notes.unread_date(read.number, entry.column, text)
                return None
            self._say(read, entry.column, "", str(error))
            return None

    def _urls(self, read, entry, text):
        if entry.find_urls:
            return urls_in(text)
        separator = entry.separator or None
        found = []
        for part in text.split(separator):
            part = trimmed(part)
            if not part:
                continue
            if not is_web_address(part):
                self._say(read, entry.column, part, _("is not an http(s) address"))
                continue
            found.append(part)
        return found

    # A chunk of rows ----------------------------------------------------------------------

    def entries(self, rows):
        """The fixture objects of `rows` (Row), a chunk at a time."""
        rows = iter(rows)
        given = 0
        while chunk := list(islice(rows, ROWS_PER_CHUNK)):
            self.sources.made.next_chunk(given)
            self.identifiers.next_chunk(given)
            for entry in self._chunk(chunk):
                given += 1
                yield entry

    def _chunk(self, rows):
        reads = []
        for row in rows:
            self.notes.rows += 1
            read = self.read(row)
            self._check_addresses(read)
            if read.problems:
                continue
            key = self._key(read)
            earlier = self.seen.get(key)
            if earlier is not None:
                if earlier[1] == read.digest[:16]:
                    self.notes.duplicate_count += 1
                    if len(self.notes.duplicates) < SHOWN:
                        self.notes.duplicates.append((read.number, earlier[0]))
                else:
                    self.problem(
                        f"row {read.number} (row)",
                        self._key_label(),
                        _("the identifier “%(key)s” is also row %(row)s's, with other values")
                        % {"key": key, "row": earlier[0]},
                    )
                continue
            self.seen[key] = (read.number, read.digest[:16])
            read.values["_key"] = key
            reads.append(read)
        if not reads:
            return
        known = external_ids(
            self.spec.namespace, [k for r in reads for k in (r.get("_key"), r.get("_key") + ANSWER)]
        )
        self.sources.load(
            url
            for r in reads
            for url in (
                r.get("appearance.url"),
                r.get("counterclaim.appearance.url"),
                *r.get("evidence", []),
                *r.get("counterclaim.evidence", []),
            )
            if url
        )
        out = _Objects()
        plans = [self._plan(read, known, out) for read in reads]
        self._name_new(out)
        current = self._current(plans, known)
        for plan in plans:
            self._claims(plan, known, current, out)
        yield from out.entries()

    def _key(self, read):
        if "external_id" in read.values:
            return trimmed(read.get("external_id"))
        words = (fold(read.get("text")), name_key(read.get("speaker")), str(read.get("said_on")))
        return "sha256:" + hashlib.sha256("\u241f".join(words).encode()).hexdigest()[:24]

    def _key_label(self):
        column = self._column("external_id")
        return f"“{column}”" if column else "row"

    def _check_addresses(self, read):
        for target in ("appearance.url", "counterclaim.appearance.url"):
            url = read.get(target)
            if url and not is_web_address(url):
                self._say(read, read.columns.get(target), url, _("is not an http(s) address"))
                read.values.pop(target)

    # What a row names ---------------------------------------------------------------------

    def _speaker(self, read, target, out, kind_target=None, name=None):
        """The slug of the speaker a row names under `target` (new ones made
        later, in _name_new), or None."""
        name = trimmed(read.get(target) if name is None else name)
        if not name:
            return None
        key = name_key(name)
        if key in self.chosen:  # the editor said which speaker this name is
            slug = self.chosen[key]
            if slug not in self.speakers.speakers:
                self._say(
                    read,
                    read.columns.get(target),
                    name,
                    _("is mapped to “%(slug)s”, which is no speaker") % {"slug": slug},
                )
                return None
            if key not in {name_key(n) for n in self._names_of(slug)}:
                aliases = self.speakers.alias(slug, name)
                out.alias(slug, aliases, read.number)
                self.notes.aliases_added.append((name, slug))
            return slug
        found = self.speakers.find(name)
        if len(found) == 1 and next(iter(found)) in self.made_speakers:
            self.notes.count_speaker(self.made_speakers[next(iter(found))], read.number)
        if len(found) > 1:
            self._say(
                read,
                read.columns.get(target),
                name,
                _(
                    "names several speakers (%(slugs)s): give one of their identifiers, or map "
                    "the name to one"
                )
                % {"slugs": ", ".join(sorted(found))},
            )
            return None
        if found:
            return next(iter(found))
        if key in self.new_speakers:
            self.notes.count_speaker(self.new_speaker_names[key], read.number)
            return self.new_speakers[key]
        kind = read.get(kind_target) if kind_target else ""
        placeholder = out.new_speaker(key, name, kind or Speaker.Kind.OTHER, read.number)
        self.new_speakers[key] = placeholder
        self.new_speaker_names[key] = name
        self.notes.new_speakers[name] = [1, read.number, read.number]
        return placeholder

    def _names_of(self, slug):
        name, aliases = self.speakers.speakers[slug]
        return [name, *aliases]

    def _source(self, read, target, url, out, **fields):
        """The slug of the source at `url`: one kept under the same address,
        or a new one; None (a problem) when two are kept under it."""
        if is_shortened(url):
            self.notes.shortened_count += 1
            if len(self.notes.shortened) < SHOWN:
                self.notes.shortened.append((read.number, url))
        found = self.sources.find(url)
        if len(found) > 1:
            self._say(
                read,
                read.columns.get(target),
                url,
                _("is the address of several sources (%(slugs)s): keep one in the admin")
                % {"slugs": ", ".join(found)},
            )
            return None
        if found:
            return found[0]
        placeholder = out.new_source(url, read.number, fields)
        self.sources.add(url, placeholder)
        return placeholder

    def _plan(self, read, known, out):
        """What one row makes, with placeholders for what is still to name."""
        plan = {"read": read}
        if not read.problems:
            plan["speaker"] = self._speaker(read, "speaker", out, "speaker.kind")
            plan["speaking_for"] = self._speaker(read, "speaking_for", out)
            plan["accused"] = [
                self._speaker(read, "accused", out, name=name) for name in read.get("accused", [])
            ]
            plan["topics"] = [
                self._topic(name, out, read.number) for name in read.get("topics", [])
            ]
            url = read.get("appearance.url")
            if url:
                publisher = self._speaker(read, "appearance.publisher", out)
                published = read.get("appearance.published_on")
                plan["appearance"] = self._source(
                    read,
                    "appearance.url",
                    url,
                    out,
                    title=read.get("appearance.title"),
                    language=read.get("appearance.language"),
                    publisher=publisher,
                    published=published,
                )
            plan["evidence"] = [
                self._source(read, "evidence", u, out) for u in read.get("evidence", [])
            ]
            if read.get("counterclaim.text").strip():
                plan["counter_speaker"] = self._speaker(
                    read, "counterclaim.speaker", out, "counterclaim.speaker.kind"
                )
                url = read.get("counterclaim.appearance.url")
                plan["counter_appearance"] = (
                    self._source(read, "counterclaim.appearance.url", url, out) if url else None
                )
                plan["counter_evidence"] = [
                    self._source(read, "counterclaim.evidence", u, out)
                    for u in read.get("counterclaim.evidence", [])
                ]
        key = read.get("_key")
        plan["slug"] = known[key][0] if key in known else out.new_claim(plan, "claim")
        if read.get("counterclaim.text").strip():
            answer = key + ANSWER
            plan["counter_slug"] = (
                known[answer][0] if answer in known else out.new_claim(plan, "counterclaim")
            )
        return plan

    def _topic(self, name, out, row):
        slug = self.topics.find(name)
        if slug:
            return slug
        key = name_key(name)
        if key not in self.new_topics:
            self.new_topics[key] = out.new_topic(name, row)
        return self.new_topics[key]

    def _name_new(self, out):
        """Slugs for what the chunk makes: a few queries for all of them."""
        made = self.identifiers.make(
            "speaker", [(name, "speaker") for (_key, name, _kind, _row) in out.speakers.values()]
        )
        for placeholder, slug in zip(list(out.speakers), made, strict=True):
            out.rename(placeholder, slug)
            key, name, _kind, _row = out.speakers[slug]
            self.speakers.add(slug, name)
            self.new_speakers[key] = slug
            self.made_speakers[slug] = self.new_speaker_names[key]
        made = self.identifiers.make("topic", [(name, "topic") for name, _ in out.topics.values()])
        for placeholder, slug in zip(list(out.topics), made, strict=True):
            out.rename(placeholder, slug)
            self.topics.add(out.topics[slug][0], slug)
            self.new_topics[name_key(out.topics[slug][0])] = slug
        made = self.identifiers.make(
            "source",
            [(_source_words(url), "source") for url, _row, _fields in out.sources.values()],
        )
        for placeholder, slug in zip(list(out.sources), made, strict=True):
            out.rename(placeholder, slug)
            self.sources.add(out.sources[slug][0], slug)
        wanted = []
        for plan, role in out.claims.values():
            wanted.append((self._claim_words(plan, role, out), "claim"))
        made = self.identifiers.make("claim", wanted)
        for placeholder, slug in zip(list(out.claims), made, strict=True):
            out.rename(placeholder, slug)

    def _claim_words(self, plan, role, out):
        read = plan["read"]
        prefix = "counterclaim." if role == "counterclaim" else ""
        if not prefix and read.get("slug"):
            return read.get("slug")  # kept when free, else given a number
        speaker = out.final(plan.get("counter_speaker" if prefix else "speaker")) or ""
        date = read.get(f"{prefix}said_on")
        text = read.get(f"{prefix}text")
        first = " ".join(text.split()[:8])
        when = date.isoformat() if isinstance(date, FuzzyDate) else ""
        return f"{speaker} {when} {first}"

    # The claims -------------------------------------------------------------------------

    def _current(self, plans, known):
        """The kept values of the claims the chunk's rows update (those whose
        identifiers are known), in the form a row's object gives them."""
        slugs = [slug for slug, _ in known.values()]
        if not slugs:
            return {}
        claims = Claim.objects.filter(slug__in=slugs).values(
            "pk", "slug", *CLAIM_FIELDS, "said_on", "said_on_precision", "said_qualifier",
            "speaker__slug", "speaking_for__slug",
        )  # fmt: skip
        found = {row["pk"]: _written_form(row) for row in claims}
        for name in ("topics", "accused"):
            through = Claim._meta.get_field(name).remote_field.through
            target = Claim._meta.get_field(name).m2m_reverse_field_name()
            rows = through.objects.filter(claim_id__in=list(found)).values_list(
                "claim_id", f"{target}__slug"
            )
            for claim_id, slug in rows:
                found[claim_id][name].append([slug])
        for values in found.values():
            values["topics"].sort()
            values["accused"].sort()
        return {values["slug"]: values for values in found.values()}

    def _claims(self, plan, known, current, out):
        read = plan["read"]
        if read.problems:
            return
        key, slug = read.get("_key"), out.final(plan["slug"])
        number = read.number
        fields = {"slug": slug}
        for name in CLAIM_FIELDS:
            if name in read.values:
                fields[name] = read.get(name)
        for name in ("speaker", "speaking_for"):
            if name in read.values:
                fields[name] = [out.final(plan[name])] if plan.get(name) else None
        if "said_on" in self.spec.targets():
            fields.update(_said(read.get("said_on", None), *read.get("_said", (None, None))))
        for target, text in read.get("_unread_dates", []):
            if target == "said_on":
                note = _("The table gives “%(text)s”, which is not a date.") % {"text": text}
                fields["date_note"] = " ".join(filter(None, [fields.get("date_note"), note]))
        if "accused" in read.values:
            fields["accused"] = sorted([out.final(a)] for a in set(plan["accused"]) if a)
        if "topics" in read.values:
            fields["topics"] = sorted([out.final(t)] for t in set(plan["topics"]))
        if key not in known and len(self.notes.created) < 100:
            self.notes.created.append(slug)
        wanted = fields
        fields = self._keep_editors(read, known.get(key), current.get(slug), fields)
        out.add(number, "claim", "claims.claim", fields)
        if plan.get("appearance"):
            out.cite(number, slug, out.final(plan["appearance"]), CitationRole.APPEARED_IN)
        role = self._role("evidence", CitationRole.SUPPORTS)
        for source in plan.get("evidence", []):
            if source:
                out.cite(number, slug, out.final(source), role)
        out.add(
            number,
            "identifier",
            "claims.externalid",
            {
                "namespace": self.spec.namespace,
                "value": key,
                "claim": [slug],
                "written": {n: wanted[n] for n in TRACKED if n in wanted},
            },
        )
        self._preview(plan, fields, out)
        if "counter_slug" not in plan:
            return
        counter = out.final(plan["counter_slug"])
        status = read.get("counterclaim.status") or read.get("status") or ClaimStatus.DRAFT
        answer = {"slug": counter, "text": read.get("counterclaim.text"), "status": status}
        if plan.get("counter_speaker"):
            answer["speaker"] = [out.final(plan["counter_speaker"])]
        if "counterclaim.said_on" in self.spec.targets():
            answer.update(_said(read.get("counterclaim.said_on", None)))
        wanted = answer
        answer = self._keep_editors(read, known.get(key + ANSWER), current.get(counter), answer)
        out.add(number, "counterclaim", "claims.claim", answer)
        if plan.get("counter_appearance"):
            out.cite(number, counter, out.final(plan["counter_appearance"]), "appeared_in")
        role = self._role("counterclaim.evidence", CitationRole.SUPPORTS)
        for source in plan.get("counter_evidence", []):
            if source:
                out.cite(number, counter, out.final(source), role)
        relation = read.get("counterclaim.relation") or Rebuttal.Relation.CONTRADICTS
        out.add(
            number,
            "pairing",
            "claims.rebuttal",
            {"claim": [slug], "counterclaim": [counter], "relation": relation},
        )
        out.add(
            number,
            "identifier",
            "claims.externalid",
            {
                "namespace": self.spec.namespace,
                "value": key + ANSWER,
                "claim": [counter],
                "written": {n: wanted[n] for n in TRACKED if n in wanted},
            },
        )

    def _role(self, target, default):
        entries = self.spec.of(target)
        return (entries[0].role if entries and entries[0].role else default).__str__()

    def _keep_editors(self, read, known, current, fields):
        """Editors' changes win: a field changed in the admin since the last
        import (its kept value is not the one the import wrote) keeps the
        editor's value and is reported, unless the import overwrites."""
        if known is None or current is None:
            return fields
        written = known[1]
        kept = dict(fields)
        for name in TRACKED:
            if name not in fields or name not in written:
                continue
            related = ("said_on_precision", "said_qualifier") if name == "said_on" else ()
            if current.get(name) != written[name] and fields[name] != current.get(name):
                column = read.columns.get(name) or read.columns.get(name.split(".")[0])
                self.notes.conflict(read.number, column or "constant", name)
                if not self.overwrite:
                    kept[name] = current.get(name)
                    for other in related:
                        kept[other] = current.get(other)
        return kept

    def _preview(self, plan, fields, out):
        if len(self.notes.preview) >= PREVIEW_ROWS:
            return
        read = plan["read"]
        said = read.get("said_on", None)
        said = said if isinstance(said, FuzzyDate) else None
        self.notes.preview.append(
            {
                "row": read.number,
                "claim": fields.get("text", ""),
                "counterclaim": read.get("counterclaim.text"),
                "speaker": trimmed(read.get("speaker")),
                "said": str(said) if said else "",
                "topics": list(read.get("topics", [])),
                "urls": [u for u in (read.get("appearance.url"), *read.get("evidence", [])) if u]
                + list(read.get("counterclaim.evidence", [])),
            }
        )


def _parsed(text, formats):
    """The date in the first of `formats` it is written in; the first
    format's ValueError when none reads it."""
    first = None
    for written in formats:
        try:
            return FuzzyDate.parse_as(text, written)
        except ValueError as error:
            first = first or error
    raise first


_NOT_STATED = "not stated"  # a date column saying so in words


def _said(date, qualifier=None, until=None):
    """The fields of when a claim was said: a date (or none), how it is
    qualified, and the latest bound of something said repeatedly."""
    if date is None or date == _NOT_STATED:
        return {"said_on": None, "said_on_precision": Precision.DAY, "said_qualifier": "not_stated"}
    fields = {"said_qualifier": qualifier or "on"}
    if qualifier == "repeatedly" and until is not None and until is date:
        fields.update(said_on=None, said_on_precision=Precision.DAY)  # only the latest bound
    else:
        fields.update(said_on=date.start.isoformat(), said_on_precision=str(date.precision))
    if until is not None:
        fields.update(said_until=until.start.isoformat(), said_until_precision=str(until.precision))
    return fields


def _source_words(url):
    return url.split("://", 1)[-1].removeprefix("www.")


def _written_form(row):
    """A claim's values (a row of values()) in the form a row's object gives them."""
    values = {name: row[name] for name in CLAIM_FIELDS}
    values["slug"] = row["slug"]
    values["speaker"] = [row["speaker__slug"]] if row["speaker__slug"] else None
    values["speaking_for"] = [row["speaking_for__slug"]] if row["speaking_for__slug"] else None
    values["said_on"] = row["said_on"].isoformat() if row["said_on"] else None
    values["said_on_precision"] = row["said_on_precision"]
    values["said_qualifier"] = row["said_qualifier"]
    values["topics"], values["accused"] = [], []
    return values


class _Objects:
    """The objects a chunk makes, in load order, with placeholders for the
    slugs not made yet (renamed in one go once they are)."""

    def __init__(self):
        self.speakers = {}  # placeholder/slug -> (key, name, kind, row)
        self.topics = {}  # -> (name, row)
        self.sources = {}  # -> (url, row, fields)
        self.claims = {}  # -> (plan, role)
        self.aliases = {}  # speaker slug -> (aliases, row)
        self.rows = []  # (row, role, label, fields), claims and what follows them
        self.names = {}  # placeholder -> slug
        self.cited = set()
        self.count = 0

    def _placeholder(self, kind):
        self.count += 1
        return f"\x00{kind}{self.count}"

    def new_speaker(self, key, name, kind, row):
        placeholder = self._placeholder("speaker")
        self.speakers[placeholder] = (key, name, kind, row)
        return placeholder

    def new_topic(self, name, row):
        placeholder = self._placeholder("topic")
        self.topics[placeholder] = (name, row)
        return placeholder

    def new_source(self, url, row, fields):
        placeholder = self._placeholder("source")
        self.sources[placeholder] = (url, row, fields)
        return placeholder

    def new_claim(self, plan, role):
        placeholder = self._placeholder("claim")
        self.claims[placeholder] = (plan, role)
        return placeholder

    def alias(self, slug, aliases, row):
        self.aliases[slug] = (list(aliases), row)

    def rename(self, placeholder, slug):
        self.names[placeholder] = slug
        for table in (self.speakers, self.topics, self.sources, self.claims):
            if placeholder in table:
                table[slug] = table.pop(placeholder)

    def final(self, name):
        return self.names.get(name, name) if name else name

    def add(self, row, role, label, fields):
        self.rows.append((row, role, label, fields))

    def cite(self, row, claim, source, role):
        if (claim, source, role) in self.cited:
            return
        self.cited.add((claim, source, role))
        self.add(
            row,
            "citation",
            "claims.citation",
            {"claim": [claim], "source": [source], "role": role, "locator": ""},
        )

    def entries(self):
        for slug, (_key, name, kind, row) in self.speakers.items():
            yield f"row {row} (speaker)", _object("claims.speaker", slug=slug, name=name, kind=kind)
        for slug, (aliases, row) in self.aliases.items():
            yield f"row {row} (speaker)", _object("claims.speaker", slug=slug, aliases=aliases)
        for slug, (name, row) in self.topics.items():
            yield f"row {row} (topic)", _object("claims.topic", slug=slug, name=name)
        for slug, (url, row, fields) in self.sources.items():
            values = {"slug": slug, "url": url, "kind": Source.Kind.OTHER}
            if fields:
                values["kind"] = Source.Kind.NEWS_ARTICLE
                if fields.get("title"):
                    values["title"] = fields["title"]
                if fields.get("language"):
                    values["language"] = fields["language"]
                if fields.get("publisher"):
                    values["publisher"] = [self.final(fields["publisher"])]
                if fields.get("published"):
                    values["published_on"] = fields["published"].start.isoformat()
                    values["published_precision"] = str(fields["published"].precision)
            yield f"row {row} (source)", {"model": "claims.source", "fields": values}
        order = {"claim": 0, "counterclaim": 0, "citation": 1, "pairing": 2, "identifier": 3}
        for row, role, label, fields in sorted(self.rows, key=lambda r: order[r[1]]):
            yield f"row {row} ({role})", {"model": label, "fields": fields}


def _object(label, **fields):
    return {"model": label, "fields": fields}

"""Fixtures in: read a file as a stream, check and write it a batch at a
time, all in one transaction.

Unlike loaddata, an import checks what the admin would (field values,
choices, model rules, database constraints, natural keys that lead nowhere,
duplicates) and reports every problem at once, each naming the file, the
object and the field; when there is one, nothing is written. The checks run
set-wise: existing rows are fetched a batch at a time by natural key, and the
database constraints are evaluated in Python from their own definitions.

Memory follows the batch, not the file. Objects are read one at a time (JSON
through an incremental decoder, JSONL line by line, XML with iterparse;
gzip transparently; YAML alone is read whole, as PyYAML builds the whole
document) and taken OBJECTS_PER_BATCH at a time: each batch is checked,
then its sound objects are written, inside the one transaction of the whole
import. A natural key resolves against the database, which by then holds the
rows of the earlier batches, and against the current batch; so an object must
come after the objects it names, as in every export (dependency order). The
exception is a model naming itself (a speaker's organisations, a source's
relays, a figure's whole), which exports sort by slug: such an object waits
for the next batch while objects of its model keep coming. Any other key
that names a later object is reported as leading nowhere.

What the import has been given so far is kept in a temporary table, one row
per object (model, id, position), not in Python: it tells a duplicate from
an earlier batch, which parts of the file's claims the file no longer gives
(deleted at the end), and which published claims to check once their parts
are written. Problems are collected over the whole file (the first
MAX_PROBLEMS kept, the rest counted) and raised at the end, which rolls the
transaction back: a problem anywhere means nothing is written. A dry run
rolls back too. One limit of checking a batch at a time: an object naming an
object of an earlier batch that had a problem is left out unchecked (its
own problems show once that one is fixed).

Writing uses bulk operations: rows that did not change are left alone, so
importing the same file twice changes nothing, and each claim in the file
gets exactly the citations, figures and pairings the file gives it. History
records are written for every row created, changed or deleted, attributed to
the importing user, whose permissions the import respects.
"""

import datetime
import gzip
import io
import json
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from defusedxml import DefusedXmlException, ElementTree
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, reset_queries, transaction
from django.db.models import F, Q
from django.db.models.deletion import Collector
from django.db.models.expressions import RawSQL
from django.utils import timezone

from . import workflow
from .db import update_statistics
from .exchange import MODELS, exported_fields
from .models import (
    Citation,
    Claim,
    Correction,
    Figure,
    Rebuttal,
    Source,
    Speaker,
    refresh_search_documents,
)

LABELS = {f"claims.{m._meta.model_name}": m for m in MODELS}
BATCH = 500  # rows per query
OBJECTS_PER_BATCH = 250  # objects checked and written together: memory follows this
MAX_PROBLEMS = 1000  # problems kept to report; the rest are counted
MAX_WAITING = 50_000  # objects waiting for one of their own model further on
MAX_SKIPPED = 100_000  # keys of unwritable objects remembered, so those naming them stay quiet
REFRESH = 100  # search documents rebuilt at a time
SEEN = "claims_import_seen"  # the temporary table of what the import has been given


@dataclass
class Problem:
    where: str
    field: str
    message: str

    def __str__(self):
        return (
            f"{self.where}: {self.field}: {self.message}"
            if self.field
            else (f"{self.where}: {self.message}")
        )


class _DryRun(Exception):
    """Raised to undo a dry run's writes."""


class ImportFailed(Exception):
    def __init__(self, problems, more=0):
        self.problems = problems
        self.more = more  # problems found beyond those kept
        super().__init__(f"{self.count} problem(s)")

    @property
    def count(self):
        return len(self.problems) + self.more


@dataclass
class Item:
    """One object of the file."""

    model: type
    position: str
    fields: dict
    raw: dict = None
    key: tuple = ()
    instance: object = None
    existing: object = None
    relations: dict = field(default_factory=dict)  # fk name -> target key (or None)
    many: dict = field(default_factory=dict)  # m2m name -> [target keys]

    @property
    def label(self):
        return f"claims.{self.model._meta.model_name}"

    def references(self):
        """(model, key) of every object it names."""
        for name, key in self.relations.items():
            if key is not None:
                yield self.model._meta.get_field(name).related_model, key
        for name, keys in self.many.items():
            related = self.model._meta.get_field(name).related_model
            for key in keys:
                yield related, key


# --- Reading ----------------------------------------------------------------------------------

READ_SIZE = 1 << 16  # characters read at a time
MAX_OBJECT = 1 << 24  # an object larger than this (16 M characters) is not read on
WHITESPACE = re.compile(r"[ \t\n\r]*")


def _failed(where, message):
    return ImportFailed([Problem(where, "", message)])


def _format(path):
    name = str(path).lower().removesuffix(".gz")
    for suffix, fmt in (
        (".jsonl", "jsonl"),
        (".json", "json"),
        (".yaml", "yaml"),
        (".yml", "yaml"),
        (".xml", "xml"),
    ):
        if name.endswith(suffix):
            return fmt
    raise _failed(str(path), "unknown format: name it .json, .jsonl, .yaml or .xml (.gz)")


@contextmanager
def _binary(path):
    """The bytes of the file, decompressed as they are read when it is gzip."""
    with open(path, "rb") as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw, mode="rb") as zipped:
                yield zipped
        else:
            yield raw


def _is_blank(path):
    with _binary(path) as stream:
        while chunk := stream.read(READ_SIZE):
            if chunk.strip():
                return False
    return True


class _JSONArray:
    """The objects of a JSON array, decoded one at a time from a text stream
    through a sliding buffer: memory follows the largest object, not the file."""

    def __init__(self, text, name):
        self.text, self.name = text, name
        self.decoder = json.JSONDecoder()
        self.buffer, self.start = "", 0  # buffer[start:] is not read yet
        self.lines, self.column = 0, 0  # where buffer[0] is in the file
        self.eof = False

    def _more(self):
        chunk = self.text.read(READ_SIZE)
        if not chunk:
            self.eof = True
            return False
        done = self.buffer[: self.start]
        newlines = done.count("\n")
        self.lines += newlines
        self.column = len(done) - done.rfind("\n") - 1 if newlines else self.column + len(done)
        self.buffer, self.start = self.buffer[self.start :] + chunk, 0
        return True

    def _skip_whitespace(self):
        while True:
            self.start = WHITESPACE.match(self.buffer, self.start).end()
            if self.start < len(self.buffer) or not self._more():
                return

    def _at(self, index):
        """'line L, column C' of buffer[index] in the file."""
        line = self.lines + self.buffer.count("\n", 0, index) + 1
        newline = self.buffer.rfind("\n", 0, index)
        column = index - newline if newline >= 0 else self.column + index + 1
        return f"line {line}, column {column}"

    def _invalid(self, message, index, number):
        after = f", after object {number}" if number else ""
        return _failed(self.name, f"not valid JSON: {message} ({self._at(index)}{after})")

    def __iter__(self):
        self._skip_whitespace()
        if self.start == len(self.buffer):
            return
        if self.buffer[self.start] != "[":
            if self.buffer[self.start] == "{":
                raise _failed(self.name, "a fixture is a list of objects")
            raise self._invalid("expecting '['", self.start, 0)
        self.start += 1
        number = 0
        while True:
            self._skip_whitespace()
            if self.start == len(self.buffer):
                raise self._invalid("the file ends inside the list", self.start, number)
            if self.buffer[self.start] == "]":
                self.start += 1
                self._skip_whitespace()
                if self.start < len(self.buffer):
                    raise self._invalid("extra data after the list", self.start, number)
                return
            if number:
                if self.buffer[self.start] != ",":
                    raise self._invalid("expecting ',' delimiter", self.start, number)
                self.start += 1
                self._skip_whitespace()
            number += 1
            yield number, self._decode(number - 1)

    def _decode(self, number):
        while True:
            try:
                obj, self.start = self.decoder.raw_decode(self.buffer, self.start)
                return obj
            except json.JSONDecodeError as error:
                # Perhaps only cut off by the end of the buffer: read on.
                cut = error.pos >= len(self.buffer) - 16 or error.msg.startswith("Unterminated")
                if not cut or len(self.buffer) - self.start > MAX_OBJECT or not self._more():
                    raise self._invalid(error.msg, error.pos, number) from None


def _json_lines(text, name):
    for number, line in enumerate(text, start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                raise _failed(
                    f"{name} line {number}", f"not valid JSON: {error.msg} (column {error.colno})"
                ) from None


def _xml_fields(element):
    fields = {}
    for node in element.findall("field"):
        if node.find("None") is not None:
            fields[node.get("name")] = None
        elif node.get("rel") == "ManyToManyRel":
            fields[node.get("name")] = [
                [n.text or "" for n in value.findall("natural")] for value in node.findall("object")
            ]
        elif node.get("rel") == "ManyToOneRel":
            fields[node.get("name")] = [n.text or "" for n in node.findall("natural")]
        else:
            fields[node.get("name")] = node.text or ""
    return fields


def _xml_objects(stream):
    """Each <object model=...> as it ends; what has been read is let go."""
    depth, root, number = 0, None, 0
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            root = element if root is None else root
            depth += 1
            continue
        depth -= 1
        if element.tag != "object" or element.get("model") is None:
            continue  # a many-to-many value is read with its object
        number += 1
        yield number, {"model": element.get("model"), "fields": _xml_fields(element)}
        if depth == 1:
            root.clear()


def read(path):
    """The objects of a fixture file as (position, raw dict), one at a time;
    ImportFailed when the file cannot be read, naming where."""
    name = Path(path).name
    fmt = _format(path)
    try:
        if _is_blank(path):
            raise _failed(name, "the file is empty")
        with _binary(path) as stream:
            if fmt == "xml":
                for number, obj in _xml_objects(stream):
                    yield f"{name} object {number}", obj
                return
            text = io.TextIOWrapper(stream, encoding="utf-8-sig")
            if fmt == "json":
                for number, obj in _JSONArray(text, name):
                    yield f"{name} object {number}", obj
            elif fmt == "jsonl":
                for number, obj in _json_lines(text, name):
                    yield f"{name} line {number}", obj
            else:
                # PyYAML builds the whole document: a YAML file is read whole.
                data = yaml.safe_load(text)
                if not isinstance(data, list):
                    raise _failed(name, "a fixture is a list of objects")
                for number, obj in enumerate(data, start=1):
                    yield f"{name} item {number}", obj
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise _failed(name, f"not a readable gzip file ({error})") from None
    except UnicodeDecodeError as error:
        raise _failed(name, f"not UTF-8 text ({error.reason})") from None
    except yaml.YAMLError as error:
        raise _failed(name, f"not valid YAML: {error}") from None
    except ElementTree.ParseError as error:
        raise _failed(name, f"not valid XML: {error}") from None
    except DefusedXmlException as error:
        # Entity declarations can expand into gigabytes or read local files.
        raise _failed(name, f"XML with entity or DTD declarations is refused ({error})") from None


# --- Keys ---------------------------------------------------------------------------------------


def natural_key(model, values):
    """The natural key of an object from its (raw) field values."""
    if model is Citation:
        return (
            _first(values.get("claim")),
            _first(values.get("source")),
            values.get("role"),
            values.get("locator", ""),
        )
    if model is Figure:
        return (_first(values.get("claim")), _int(values.get("position")))
    if model is Rebuttal:
        return (_first(values.get("claim")), _first(values.get("counterclaim")))
    return (values.get("slug"),)


def _is_key(value):
    """A natural key: a non-empty list of strings and numbers."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(part, str | int) and not isinstance(part, bool) for part in value)
    )


def _first(value):
    return value[0] if isinstance(value, list | tuple) and value else value


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _describe(item):
    key = ", ".join(str(part) for part in item.key)
    return f"{item.position} ({item.label} [{key}])"


def _comparable(value):
    """Times as precisely as a JSON fixture keeps them: milliseconds."""
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if hasattr(value, "name") and not isinstance(value, str):  # a stored file
        return value.name or ""
    return value


# --- Constraints, from their own definitions ---------------------------------------------------


def _value(obj, name):
    return getattr(obj, obj._meta.get_field(name).attname)


def _lookup(obj, lookup, expected):
    name, *rest = lookup.split("__")
    current = _value(obj, name)
    operator = "exact"
    for part in rest:
        if part in ("day", "month", "year"):
            current = getattr(current, part) if current is not None else None
        else:
            operator = part
    if isinstance(expected, F):
        expected = _value(obj, expected.name)
    if operator == "isnull":
        return (current is None) == expected
    if current is None or expected is None:
        return None  # unknown, as in SQL: a CHECK passes
    comparisons = {
        "exact": current == expected,
        "lt": current < expected,
        "lte": current <= expected,
        "gt": current > expected,
        "gte": current >= expected,
    }
    if operator not in comparisons:
        raise NotImplementedError(lookup)
    return comparisons[operator]


def _holds(q, obj):
    """Q evaluated on an instance with SQL's three-valued logic."""
    results = [
        _holds(child, obj) if isinstance(child, Q) else _lookup(obj, *child) for child in q.children
    ]
    if q.connector == Q.AND:
        value = False if False in results else (None if None in results else True)
    else:
        value = True if True in results else (None if None in results else False)
    if q.negated and value is not None:
        value = not value
    return value


def _condition_fields(q):
    names = []
    for child in q.children:
        if isinstance(child, Q):
            names += _condition_fields(child)
        else:
            names.append(child[0].split("__")[0])
            if isinstance(child[1], F):
                names.append(child[1].name)
    return list(dict.fromkeys(names))


def check_constraints(obj):
    """(fields, message) for each check constraint `obj` breaks."""
    broken = []
    for constraint in obj._meta.constraints:
        if isinstance(constraint, models.CheckConstraint) and (
            _holds(constraint.condition, obj) is False
        ):
            fields = ", ".join(_condition_fields(constraint.condition))
            broken.append((fields, constraint.violation_error_message))
    return broken


# --- The import -----------------------------------------------------------------------------------


# Fields stamped with the time of a save; a file that leaves one out gets the time of the import.
STAMPED = {
    f
    for model in MODELS
    for f in model._meta.concrete_fields
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
}


@contextmanager
def keep_timestamps():
    """Rows keep the creation and change times the file gives them: bulk
    inserts would otherwise stamp them with the time of the import."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in STAMPED]
    for f in STAMPED:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class Report:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)
    deleted: dict = field(default_factory=dict)
    corrected: int = 0

    def lines(self):
        for model in MODELS:
            label = f"claims.{model._meta.model_name}"
            counts = [
                f"{getattr(self, kind).get(label, 0)} {kind}"
                for kind in ("created", "updated", "unchanged", "deleted")
            ]
            yield f"{label}: {', '.join(counts)}"
        if self.corrected:
            yield f"corrections recorded: {self.corrected} published claim(s)"


PARTS = {
    Citation: ("claim", "source"),
    Figure: ("claim", "part_of__claim", "measure"),
    Rebuttal: ("claim", "counterclaim"),
}


def _label(raw):
    return str(raw.get("model")).lower() if isinstance(raw, dict) else None


class Importer:
    """Imports one file: run() reads, checks and writes it a batch at a time."""

    def __init__(self, path, user, progress=None, correction_note=""):
        self.path = Path(path)
        self.correction_note = correction_note.strip()
        self.name = self.path.name
        self.reason = f"imported from {self.name}"
        self.user = user
        self.progress = progress
        self.problems = []  # the first MAX_PROBLEMS
        self.more_problems = 0
        self.said = set()  # problems with the whole file already reported
        self.objects = 0  # objects read
        self.waiting = []  # (position, raw) of objects waiting for one of their own model
        self.skipped = set()  # (model, key) of objects not written for a problem
        self.stopped = False
        self.report = Report()
        self._new_batch()

    def _new_batch(self):
        self.items = []
        self.by_key = {}  # (model, key) -> Item
        self.existing = {}  # (model, key) -> instance from the database
        self.flawed = set()  # where a problem was found
        self.blocked = set()  # ids of items naming an object that was not written
        self.corrections = {}  # slug of a published claim -> what the file corrects
        self.replaced = []  # pairings the other way round, which the file replaces
        self.to_create, self.to_update = [], []
        self.to_write, self.unwritten = [], []

    def problem(self, where, field_name, message):
        self.flawed.add(where)
        if where == self.name:
            if (field_name, message) in self.said:
                return  # a problem with the whole file is said once, not once per batch
            self.said.add((field_name, message))
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, field_name, message))
        else:
            self.more_problems += 1

    # The whole file ------------------------------------------------------------

    def run(self, dry_run=False):
        """Read, check and write the file in one transaction. Raises
        ImportFailed, having written nothing, when there is a problem
        anywhere; a dry run goes as far and then undoes everything."""
        try:
            with transaction.atomic(), keep_timestamps():
                self._start()
                try:
                    for batch, next_label in self._batches():
                        self._take(batch, next_label)
                        if self.stopped:
                            break
                except ImportFailed as failure:  # the file cannot be read on
                    for problem in failure.problems:
                        self.problem(problem.where, problem.field, problem.message)
                    self.stopped = True
                if not self.objects and not self.problems:
                    self.problem(self.name, "", "the file holds no objects")
                if not self.stopped:
                    self._finish(dry_run)
                if self.problems:
                    raise ImportFailed(self.problems, self.more_problems)
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE {SEEN}")
                if dry_run:
                    raise _DryRun
        except _DryRun:
            return self.report
        update_statistics()
        return self.report

    def _start(self):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SEEN}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {SEEN} (model VARCHAR(20) NOT NULL, id BIGINT NOT NULL, "
                "position TEXT NOT NULL, changed INTEGER NOT NULL, published INTEGER NOT NULL, "
                "PRIMARY KEY (model, id))"
            )
        # Corrections above this id are this import's: one per claim, however
        # many batches change it.
        self.first_correction = Correction.objects.aggregate(last=models.Max("pk"))["last"] or 0

    def _batches(self):
        """The objects OBJECTS_PER_BATCH at a time, each batch with the model
        label of the object after it (None after the last)."""
        batch = []
        for entry in read(self.path):
            if len(batch) == OBJECTS_PER_BATCH:
                yield batch, _label(entry[1])
                batch = []
            batch.append(entry)
        yield batch, None

    def _seen(self, model, ids):
        """{id: (position, published before)} of the rows of `model` among
        `ids` that the file has already given."""
        ids, found = sorted(set(ids)), {}
        with connection.cursor() as cursor:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                cursor.execute(
                    f"SELECT id, position, published FROM {SEEN} "  # nosec B608 (the temporary table's fixed name; values are parameters)
                    f"WHERE model = %s AND id IN ({', '.join(['%s'] * len(chunk))})",
                    [model._meta.model_name, *chunk],
                )
                found.update((row[0], (row[1], bool(row[2]))) for row in cursor.fetchall())
        return found

    def _given(self, model, condition=""):
        """A subquery: the ids of the rows of `model` the file gave."""
        return RawSQL(  # nosec B611 (the temporary table's fixed name; values are parameters)
            f"SELECT id FROM {SEEN} WHERE model = %s{condition}",  # nosec B608 (fixed name)
            [model._meta.model_name],
        )

    # One batch -------------------------------------------------------------------

    def _take(self, batch, next_label):
        reset_queries()  # with DEBUG on, Django would keep every query of the import
        self._new_batch()
        entries, self.waiting = self.waiting + batch, []
        self.objects += len(batch)
        for position, raw in entries:
            self._parse(position, raw)
        if self.progress:
            self.progress.update(len(batch))
        self._load_existing()
        if next_label is not None:
            self._wait(next_label)
        self._resolve()
        self._check_repeats()
        # The rules are checked on every object that parsed and resolved, so
        # one broken key does not hide another object's broken rule.
        self._check_rules(
            [i for i in self.items if _describe(i) not in self.flawed and id(i) not in self.blocked]
        )
        self._check_permissions()
        self._plan(self._sound())
        self._check_corrections()
        try:
            with transaction.atomic():
                self._write()
        except DatabaseError as error:
            if not self.problems:
                raise
            # Only after a problem, whose objects are left out, can a row
            # break a database rule: the file is refused either way.
            self.problem(self.name, "", f"checking stopped at {entries[0][0]}: {error}")
            self.stopped = True

    def _wait(self, next_label):
        """Objects naming one of their own model that is not there yet (a
        speaker's organisation later in slug order) wait for the next batch
        while objects of their model keep coming, and so do the objects
        naming a waiting one."""
        waiting, grew = set(), True
        while grew:
            grew = False
            for item in self.items:
                if id(item) in waiting or _describe(item) in self.flawed:
                    continue  # an object with a problem is checked now, and said once
                for model, key in item.references():
                    target = self.by_key.get((model, key))
                    if target is not None:
                        late = id(target) in waiting
                    else:
                        late = (
                            model is item.model
                            and item.label == next_label
                            and (model, key) not in self.existing
                        )
                    if late:
                        waiting.add(id(item))
                        grew = True
                        break
        if not waiting or len(waiting) > MAX_WAITING:
            return  # too many: checked now, their keys reported as leading nowhere
        self.waiting = [(i.position, i.raw) for i in self.items if id(i) in waiting]
        for item in self.items:
            if id(item) in waiting:
                del self.by_key[(item.model, item.key)]
        self.items = [i for i in self.items if id(i) not in waiting]

    def _check_repeats(self):
        """An object the file already gave in an earlier batch."""
        for model in MODELS:
            items = [i for i in self.items if i.model is model and i.existing is not None]
            earlier = self._seen(model, [i.existing.pk for i in items]) if items else {}
            for item in items:
                if item.existing.pk in earlier:
                    message = f"the same {item.label} appears twice: also at "
                    self.problem(_describe(item), "", message + earlier[item.existing.pk][0])

    def _sound(self):
        """The objects to write: those without a problem that name none with
        one. The keys of the others are remembered (up to MAX_SKIPPED), so
        objects of later batches that name them are left out quietly."""
        bad = {id(i) for i in self.items if id(i) in self.blocked or _describe(i) in self.flawed}
        grew = bool(bad)
        while grew:
            grew = False
            for item in self.items:
                if id(item) in bad:
                    continue
                for model, key in item.references():
                    target = self.by_key.get((model, key))
                    if target is not None and id(target) in bad:
                        bad.add(id(item))
                        grew = True
                        break
        for item in self.items:
            if id(item) in bad and len(self.skipped) < MAX_SKIPPED:
                self.skipped.add((item.model, item.key))
        # Still given by the file: their rows are not parts it dropped.
        self.unwritten = [i for i in self.items if id(i) in bad and i.existing is not None]
        return [i for i in self.items if id(i) not in bad]

    def _parse(self, position, raw):
        if not isinstance(raw, dict) or "model" not in raw:
            self.problem(position, "", "not an object with a model and fields")
            return
        label = raw["model"]
        model = LABELS.get(str(label).lower())
        if model is None:
            self.problem(
                position, "model", f"unknown model {label!r}; expected one of {', '.join(LABELS)}"
            )
            return
        values = raw.get("fields")
        if not isinstance(values, dict):
            self.problem(position, "fields", "missing, or not a mapping of field names to values")
            return
        item = Item(
            model=model, position=position, fields=values, raw=raw, key=natural_key(model, values)
        )
        where = _describe(item)
        allowed = set(exported_fields(model))
        for name in values:
            if name not in allowed:
                self.problem(where, name, f"no such field on {item.label}")
        instance = model()
        for name in exported_fields(model):
            model_field = model._meta.get_field(name)
            present = name in values
            value = values.get(name)
            if model_field.many_to_many:
                if value in (None, ""):
                    value = []
                if not isinstance(value, list) or not all(_is_key(v) for v in value):
                    self.problem(where, name, 'expected a list of natural keys, e.g. [["slug"]]')
                    continue
                item.many[name] = [tuple(v) for v in value]
                continue
            if model_field.many_to_one:
                if value is None or value == []:
                    if not model_field.null:
                        self.problem(where, name, "required" if not present else "cannot be empty")
                    item.relations[name] = None
                    continue
                if not isinstance(value, list | tuple):
                    value = [value]
                if not _is_key(value):
                    self.problem(where, name, 'expected a natural key, e.g. ["slug"]')
                    continue
                item.relations[name] = tuple(_int(v) if i else v for i, v in enumerate(value))
                continue
            if not present:
                if model_field in STAMPED:
                    setattr(instance, model_field.attname, timezone.now())
                    continue
                if model_field.has_default() or model_field.blank or model_field.null:
                    continue
                self.problem(where, name, "required field missing")
                continue
            try:
                if value is None and not model_field.null and model_field.blank:
                    value = ""
                cleaned = model_field.clean(value, instance)
                setattr(instance, model_field.attname, cleaned)
            except ValidationError as error:
                self.problem(where, name, " ".join(error.messages))
            except (TypeError, ValueError, AttributeError):
                self.problem(where, name, f"{value!r} is not a value this field can hold")
        item.instance = instance
        if model is Figure:
            item.key = (item.relations.get("claim", (None,))[0], instance.position)
        if (
            None in item.key
            or "" in item.key[:1]
            or not all(isinstance(part, str | int) for part in item.key)
        ):
            self.problem(where, "", "its natural key is incomplete or malformed")
            return
        previous = self.by_key.get((model, item.key))
        if previous:
            self.problem(
                where, "", f"the same {item.label} appears twice: also at {previous.position}"
            )
            return
        self.by_key[(model, item.key)] = item
        self.items.append(item)

    def _targets(self):
        """Every natural key the file names, by model."""
        wanted = {model: set() for model in MODELS}
        for item in self.items:
            wanted[item.model].add(item.key)
            for name, key in item.relations.items():
                if key is not None:
                    wanted[item.model._meta.get_field(name).related_model].add(key)
            for name, keys in item.many.items():
                wanted[item.model._meta.get_field(name).related_model].update(keys)
        return wanted

    def _load_existing(self):
        """Rows already in the database under the keys the batch names,
        fetched a chunk at a time; the many-to-many values of the batch's
        own objects with them."""
        wanted = self._targets()
        for model in MODELS:
            if model in PARTS:
                slugs = sorted({key[0] for key in wanted[model]})
                for start in range(0, len(slugs), BATCH):
                    rows = model.objects.filter(claim__slug__in=slugs[start : start + BATCH])
                    for obj in rows.select_related(*PARTS[model]):
                        self.existing[(model, obj.natural_key())] = obj
                continue
            own = {i.key[0] for i in self.items if i.model is model}
            many = [f.name for f in model._meta.local_many_to_many]
            named = {key[0] for key in wanted[model] if len(key) == 1}
            for slugs, prefetch in ((own, many), (named - own, [])):
                slugs = sorted(slugs)
                for start in range(0, len(slugs), BATCH):
                    rows = model.objects.filter(slug__in=slugs[start : start + BATCH])
                    for obj in rows.prefetch_related(*prefetch):
                        self.existing[(model, obj.natural_key())] = obj

    def _target(self, model, key):
        """The instance a natural key names: from the batch, else the database."""
        item = self.by_key.get((model, key))
        if item:
            return item.instance
        return self.existing.get((model, key))

    def _resolve(self):
        provisional = 0
        for item in self.items:
            item.existing = self.existing.get((item.model, item.key))
            if item.existing is not None:
                item.instance.pk = item.existing.pk
            else:
                provisional -= 1  # a stand-in id until the row is written
                item.instance.pk = provisional
        for item in self.items:
            where = _describe(item)
            for name, key in item.relations.items():
                model_field = item.model._meta.get_field(name)
                if key is None:
                    setattr(item.instance, model_field.attname, None)
                    continue
                target = self._target(model_field.related_model, key)
                if target is None:
                    self._leads_nowhere(item, where, name, model_field.related_model, key)
                    continue
                setattr(item.instance, name, target)
            for name, keys in item.many.items():
                related = item.model._meta.get_field(name).related_model
                for key in keys:
                    if self._target(related, key) is None:
                        self._leads_nowhere(item, where, name, related, key)

    def _leads_nowhere(self, item, where, name, model, key):
        if (model, key) in self.skipped:
            self.blocked.add(id(item))  # it names an object with a problem of its own
            return
        if model is item.model and where in self.flawed:
            return  # it did not wait for later objects of its model: its problem is said
        label = f"claims.{model._meta.model_name}"
        self.problem(where, name, f"no {label} with the natural key {list(key)}")

    def _check_rules(self, items):
        pairs = {}
        for item in items:
            where, obj = _describe(item), item.instance
            self._check_choices(item, where)
            self._check_read_only(item, where)
            try:
                obj.clean()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    self.problem(where, "" if name == "__all__" else name, " ".join(messages))
            for fields, message in check_constraints(obj):
                self.problem(where, fields, message)
            for name, keys in item.many.items():
                linked = item.model._meta.get_field(name).related_model
                if linked is item.model and workflow.links_itself(item.key, keys):
                    self.problem(where, name, workflow.SELF_LINK)
            if item.model is Rebuttal:
                pairs[item.key] = item
        for (claim, counter), item in pairs.items():
            if (counter, claim) in pairs and claim < counter:
                self.problem(
                    _describe(item), "", "these two claims are paired both ways round in the file"
                )
        self._check_pairs_standing(pairs)
        self._check_unique_names()

    def _check_pairs_standing(self, pairs):
        """A pairing the other way round in the database: given earlier in
        the file (paired both ways round), replaced (the file gives the
        pairings of that claim), or standing (a problem)."""
        counters = sorted({counter for (_, counter) in pairs})
        standing = {}
        for start in range(0, len(counters), BATCH):
            rows = Rebuttal.objects.filter(claim__slug__in=counters[start : start + BATCH])
            for pairing in rows.select_related("claim", "counterclaim"):
                standing[pairing.natural_key()] = pairing
        reverse = {
            (counter, claim): item
            for (claim, counter), item in pairs.items()
            if (counter, claim) in standing
        }
        if not reverse:
            return
        given = self._seen(Rebuttal, [standing[key].pk for key in reverse])
        claims_given = self._seen(Claim, [standing[key].claim_id for key in reverse])
        in_batch = {item.key[0] for item in self.items if item.model is Claim}
        for key, item in reverse.items():
            pairing = standing[key]
            if pairing.pk in given:
                message = "these two claims are paired both ways round in the file"
                self.problem(_describe(item), "", message)
            elif pairing.claim_id in claims_given or key[0] in in_batch:
                self.replaced.append(pairing)
            else:
                message = "these two claims are already paired the other way round"
                self.problem(_describe(item), "", message)
        if self.replaced and not self.user.has_perm("claims.delete_rebuttal"):
            plural = Rebuttal._meta.verbose_name_plural
            self.problem(self.name, "", f"{self.user} may not delete {plural}")

    def _check_choices(self, item, where):
        """Links the admin would not offer, e.g. a person as the body spoken for."""
        for name in [*item.relations, *item.many]:
            model_field = item.model._meta.get_field(name)
            allowed = model_field.remote_field.limit_choices_to
            if not allowed:
                continue
            related = model_field.related_model
            if name in item.relations:
                keys = [item.relations[name]] if item.relations[name] else []
            else:
                keys = item.many[name]
            for key in keys:
                target = self._target(related, key)
                if target is not None and _holds(Q(allowed), target) is False:
                    self.problem(where, name, f"{list(key)} is not a valid choice here")

    def _check_read_only(self, item, where):
        """Fields editors cannot set by hand cannot be set by a file either."""
        obj, old = item.instance, item.existing
        if item.model is Source:
            for name in ("file", "file_sha256"):
                now = _comparable(getattr(obj, name))
                before = _comparable(getattr(old, name)) if old else ""
                if now != before:
                    self.problem(
                        where,
                        name,
                        "evidence files do not travel in fixtures; upload it in the admin",
                    )
        if item.model is Claim:
            before = old.first_published_at if old else None
            if _comparable(obj.first_published_at) != _comparable(before) and not (
                workflow.may_publish(self.user)
            ):
                self.problem(where, "first_published_at", f"{self.user} may not change it")
            if obj.status == Claim.Status.PUBLISHED and not obj.first_published_at:
                obj.first_published_at = timezone.now()

    def _check_unique_names(self):
        for model in MODELS:
            if not any(f.name == "name" and f.unique for f in model._meta.fields):
                continue
            items = [i for i in self.items if i.model is model]
            seen = {}
            for item in items:
                other = seen.setdefault(item.instance.name, item)
                if other is not item:
                    self.problem(_describe(item), "name", f"also the name of {other.position}")
            names = [i.instance.name for i in items]
            for start in range(0, len(names), BATCH):
                taken = dict(
                    model.objects.filter(name__in=names[start : start + BATCH]).values_list(
                        "name", "slug"
                    )
                )
                for item in items:
                    slug = taken.get(item.instance.name)
                    if slug and slug != item.key[0]:
                        self.problem(
                            _describe(item),
                            "name",
                            f"already the name of {model._meta.model_name} “{slug}”",
                        )

    def _check_permissions(self):
        user = self.user
        for model in MODELS:
            plural = model._meta.verbose_name_plural
            items = [i for i in self.items if i.model is model]
            adds = any(i.existing is None for i in items)
            if adds and not user.has_perm(workflow.permission("add", model)):
                self.problem(self.name, "", f"{user} may not add {plural}")
            changes = any(i.existing is not None for i in items)
            if changes and not user.has_perm(workflow.permission("change", model)):
                self.problem(self.name, "", f"{user} may not change {plural}")
        for item in self.items:
            if item.model is not Claim:
                continue
            before = item.existing.status if item.existing else Claim.Status.DRAFT
            if item.instance.status != before:
                refusal = workflow.publishing_refusal(user, before, item.instance.status)
                if refusal:
                    self.problem(_describe(item), "status", refusal)

    # Planning and writing -----------------------------------------------------------------

    def _plan(self, items):
        report = self.report
        for item in items:
            label = item.label
            if item.existing is None:
                self.to_create.append(item)
                report.created[label] = report.created.get(label, 0) + 1
            elif self._changed(item):
                self.to_update.append(item)
                report.updated[label] = report.updated.get(label, 0) + 1
            else:
                report.unchanged[label] = report.unchanged.get(label, 0) + 1
        self.to_write = items

    def _published_before(self, slugs):
        """{slug: whether the claim was published before this import}."""
        published = Claim.Status.PUBLISHED
        claims = {slug: self.existing.get((Claim, (slug,))) for slug in slugs}
        earlier = self._seen(
            Claim,
            [c.pk for s, c in claims.items() if c is not None and (Claim, (s,)) not in self.by_key],
        )
        return {
            slug: claim is not None
            and (earlier[claim.pk][1] if claim.pk in earlier else claim.status == published)
            for slug, claim in claims.items()
        }

    def _check_corrections(self):
        """A published claim's substance changes only as a correction
        (workflow.substantive_changes, on the rows as stored and as the file
        gives them): with a public note, given for the whole import, by
        someone who may correct."""
        published = Claim.Status.PUBLISHED
        corrections, where = {}, {}
        for item in self.to_update:
            if item.model is Claim and item.existing.status == published:
                changed = workflow.substantive_changes(item.existing, item.instance)
                if changed:
                    corrections.setdefault(item.key[0], []).extend(changed)
                    where.setdefault(item.key[0], _describe(item))
        figures = [item for item in self.to_create + self.to_update if item.model is Figure]
        before = self._published_before({item.key[0] for item in figures}) if figures else {}
        for item in figures:
            slug = item.key[0]
            stored = [item.existing] if item.existing is not None else []
            if before[slug] and workflow.figures_changed(stored, [item.instance]):
                changed = corrections.setdefault(slug, [])
                if workflow.FIGURES not in changed:
                    changed.append(workflow.FIGURES)
                where.setdefault(slug, _describe(item))
        self.corrections = self._allowed_corrections(corrections, where)

    def _allowed_corrections(self, corrections, where):
        allowed = {}
        for slug, changed in sorted(corrections.items()):
            if not self.correction_note:
                message = (
                    f"{workflow.correction_needed_message(changed)} Give it with --correction-note."
                )
                self.problem(where[slug], "", message)
            elif not workflow.may_correct(self.user):
                message = f"{self.user} may not correct the published claim {slug!r}"
                self.problem(where[slug], "", message)
            else:
                allowed[slug] = changed
        return allowed

    def _concrete(self, model):
        return [f for f in model._meta.concrete_fields if f.serialize and not f.primary_key]

    def _changed(self, item):
        old, new = item.existing, item.instance
        if any(
            _comparable(getattr(old, f.attname)) != _comparable(getattr(new, f.attname))
            for f in self._concrete(item.model)
        ):
            return True
        return any(self._m2m_pks(item, name) != self._current_pks(item, name) for name in item.many)

    @staticmethod
    def _current_pks(item, name):
        if item.existing is None:
            return set()
        return {obj.pk for obj in getattr(item.existing, name).all()}  # prefetched

    def _m2m_pks(self, item, name):
        related = item.model._meta.get_field(name).related_model
        return {self._target(related, key).pk for key in item.many[name]}

    def _write(self):
        history = {"default_user": self.user, "default_change_reason": self.reason}
        if self.replaced:
            self._delete(Rebuttal, self.replaced)
        for model in MODELS:
            created = [i for i in self.to_create if i.model is model]
            updated = [i for i in self.to_update if i.model is model]
            later = []
            for item in created:
                item.instance.pk = None
            for item in created:
                self._refresh_ids(item)
                whole = getattr(item.instance, "part_of", None) if model is Figure else None
                if whole is not None and whole.pk is None:
                    # Its whole is new too: link them once both exist.
                    later.append((item, whole))
                    item.instance.part_of = None
            model.objects.bulk_create([i.instance for i in created], batch_size=BATCH)
            for item, whole in later:
                item.instance.part_of = whole
            if later:
                model.objects.bulk_update(
                    [i.instance for i, _ in later], ["part_of"], batch_size=BATCH
                )
            for item in updated:
                self._refresh_ids(item)
            if updated:
                fields = [f.name for f in self._concrete(model) if not f.auto_created]
                model.objects.bulk_update([i.instance for i in updated], fields, batch_size=BATCH)
            self._write_many(model, created + updated)
            records = []
            if created:
                records += model.history.bulk_history_create(
                    [i.instance for i in created], **history
                )
            if updated:
                records += model.history.bulk_history_create(
                    [i.instance for i in updated], update=True, **history
                )
            self._write_many_history(model, records)
        self._write_corrections(history)
        changed = self.to_create + self.to_update
        touched = {i.instance.pk for i in changed if i.model is Claim}
        touched |= {i.instance.claim_id for i in changed if i.model is Citation}
        others = [i.instance.pk for i in self.to_update if i.model in (Speaker, Source)]
        if others:
            touched |= set(
                Claim.objects.filter(
                    Q(speaker__in=others)
                    | Q(speaking_for__in=others)
                    | Q(citations__source__in=others)
                ).values_list("pk", flat=True)
            )
        self._to_refresh(touched)
        self._remember()

    def _remember(self):
        """What the batch gave, for the batches after it and the end."""
        changed = {id(i) for i in self.to_create + self.to_update}
        published = Claim.Status.PUBLISHED
        rows = [
            (
                item.model._meta.model_name,
                item.instance.pk,
                item.position,
                int(id(item) in changed),
                int(
                    item.model is Claim
                    and bool(item.existing)
                    and item.existing.status == published
                ),
            )
            for item in self.to_write + self.unwritten
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {SEEN} (model, id, position, changed, published) "  # nosec B608 (the temporary table's fixed name; values are parameters)
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                rows,
            )

    def _to_refresh(self, claim_ids):
        """Claims whose search documents are rebuilt at the end, once each."""
        rows = [("search", pk) for pk in sorted(pk for pk in claim_ids if pk)]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {SEEN} (model, id, position, changed, published) "  # nosec B608 (the temporary table's fixed name; values are parameters)
                "VALUES (%s, %s, '', 0, 0) ON CONFLICT DO NOTHING",
                rows,
            )

    def _delete(self, model, objs):
        """Deleted through the collector with these very instances, so the
        history of each deletion names the user and the file."""
        for obj in objs:
            obj._history_user, obj._change_reason = self.user, self.reason
        collector = Collector(using=model.objects.db)
        collector.collect(objs)
        _, counts = collector.delete()
        label = f"claims.{model._meta.model_name}"
        deleted = self.report.deleted
        deleted[label] = deleted.get(label, 0) + counts.get(model._meta.label, 0)

    def _write_corrections(self, history):
        """One public correction for each published claim the file corrects,
        however many batches correct it."""
        if not self.corrections:
            return
        claims = {slug: self.existing[(Claim, (slug,))] for slug in self.corrections}
        earlier = {
            correction.claim_id: correction
            for correction in Correction.objects.filter(
                pk__gt=self.first_correction, claim__in=[c.pk for c in claims.values()]
            )
        }
        new, merged = [], []
        for slug, changed in sorted(self.corrections.items()):
            correction = earlier.get(claims[slug].pk)
            if correction is None:
                new.append(
                    Correction(claim=claims[slug], note=self.correction_note, changed=changed)
                )
            else:
                correction.changed += [name for name in changed if name not in correction.changed]
                merged.append(correction)
        Correction.objects.bulk_create(new, batch_size=BATCH)
        Correction.history.bulk_history_create(new, **history)
        if merged:
            Correction.objects.bulk_update(merged, ["changed"], batch_size=BATCH)
            Correction.history.bulk_history_create(merged, update=True, **history)
        self.report.corrected += len(new)

    # The end of the file ----------------------------------------------------------------

    def _finish(self, dry_run):
        """What needs the whole file: the parts it no longer gives its claims
        go, then the published claims it changed are checked. After a
        problem, only the checks run."""
        dropped = self._dropped()
        if Figure in dropped:
            self._correct_dropped_figures(dropped[Figure])
        if self.problems:
            return
        if Figure in dropped:
            # Figures the file keeps must not go with a whole that it drops.
            Figure.objects.filter(part_of__in=dropped[Figure]).exclude(
                pk__in=dropped[Figure]
            ).update(part_of=None)
        for model, rows in dropped.items():
            while chunk := list(rows.select_related(*PARTS[model]).order_by("pk")[:BATCH]):
                reset_queries()
                if model is Citation:
                    self._to_refresh({citation.claim_id for citation in chunk})
                self._delete(model, chunk)
        self._check_publication()
        if not dry_run and not self.problems:
            self._refresh_search()

    def _dropped(self):
        """{model: rows} of the parts of the file's claims that it no longer gives."""
        claims = self._given(Claim)
        dropped = {}
        for model in PARTS:
            rows = model.objects.filter(claim__in=claims).exclude(pk__in=self._given(model))
            if rows.exists():
                if not self.user.has_perm(f"claims.delete_{model._meta.model_name}"):
                    plural = model._meta.verbose_name_plural
                    self.problem(self.name, "", f"{self.user} may not delete {plural}")
                dropped[model] = rows
        return dropped

    def _correct_dropped_figures(self, figures):
        """Dropping a figure of a claim published before the import is a
        correction; recorded a chunk of claims at a time (checked only,
        after a problem)."""
        published = self._given(Claim, " AND published = 1")
        rows = (
            figures.filter(claim__in=published)
            .order_by("claim__slug", "position")
            .values_list("claim__slug", "position")
        )
        where = {}
        for slug, position in rows.iterator(chunk_size=BATCH):
            if slug not in where and len(where) == BATCH:
                self._correct_figures_of(where)
                where = {}
            where.setdefault(slug, f"claims.figure {[slug, position]}")
        if where:
            self._correct_figures_of(where)

    def _correct_figures_of(self, where):
        dropped = {slug: [workflow.FIGURES] for slug in where}
        self.corrections = self._allowed_corrections(dropped, where)
        if self.problems or not self.corrections:
            return
        self.existing = {
            (Claim, (claim.slug,)): claim
            for claim in Claim.objects.filter(slug__in=list(self.corrections))
        }
        self._write_corrections({"default_user": self.user, "default_change_reason": self.reason})

    def _check_publication(self):
        """Published claims the file gives meet the rule for publishing
        (workflow.publication_problems), now that their parts are written:
        an unchanged claim may have lost the citation it was published on.
        Read a chunk at a time, with the citations the rule reads."""
        given = self._given(Claim)
        position = RawSQL(  # nosec B611 (the temporary table's fixed name; values are parameters)
            f"SELECT position FROM {SEEN} WHERE model = 'claim' "  # nosec B608 (the temporary table's fixed name; values are parameters)
            f"AND {SEEN}.id = {Claim._meta.db_table}.id",
            [],
        )
        citations = models.Prefetch(
            "citations",
            queryset=Citation.objects.select_related("source").prefetch_related("source__relays"),
        )
        published = (
            Claim.objects.filter(pk__in=given, status=Claim.Status.PUBLISHED)
            .annotate(import_position=position)
            .prefetch_related(citations)
            .order_by("pk")
        )
        for number, claim in enumerate(published.iterator(chunk_size=BATCH)):
            if number % BATCH == 0:
                reset_queries()
            for message in workflow.publication_problems(claim):
                where = f"{claim.import_position} (claims.claim [{claim.slug}])"
                self.problem(where, "status", message)

    def _refresh_search(self):
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {SEEN} WHERE model = 'search' AND id > %s "  # nosec B608 (the temporary table's fixed name; values are parameters)
                    "ORDER BY id LIMIT %s",
                    [last, REFRESH],
                )
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return
            reset_queries()
            refresh_search_documents(ids)
            last = ids[-1]

    def _refresh_ids(self, item):
        """Point foreign keys at the rows' real ids, now that they exist."""
        for name, key in item.relations.items():
            if key is not None:
                target = self._target(item.model._meta.get_field(name).related_model, key)
                setattr(item.instance, name, target)

    def _write_many(self, model, items):
        """Many-to-many links as the file gives them: a few queries for the batch."""
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            source_field, target_field = self._through_fields(model, m2m.name)
            links = []
            for item in items:
                if m2m.name not in item.many:
                    continue
                wanted = self._m2m_pks(item, m2m.name)
                current = self._current_pks(item, m2m.name)
                if current - wanted:
                    through.objects.filter(
                        **{source_field: item.instance.pk, f"{target_field}__in": current - wanted}
                    ).delete()
                links += [
                    through(**{f"{source_field}_id": item.instance.pk, f"{target_field}_id": pk})
                    for pk in sorted(wanted - current)
                ]
            through.objects.bulk_create(links, batch_size=BATCH)

    @staticmethod
    def _write_many_history(model, records):
        """The many-to-many links of each new history record, as the history
        of a single save would keep them: a few queries for all of them."""
        history_model = model.history.model
        for m2m in getattr(history_model, "_history_m2m_fields", []):
            kept = apps.get_model("claims", f"{history_model.__name__}_{m2m.name}")
            through = m2m.remote_field.through
            source = m2m.m2m_field_name()
            links = {}
            ids = sorted({record.id for record in records})
            for start in range(0, len(ids), BATCH):
                rows = through.objects.filter(**{f"{source}__in": ids[start : start + BATCH]})
                for row in rows:
                    links.setdefault(getattr(row, f"{source}_id"), []).append(row)
            kept.objects.bulk_create(
                [
                    kept(
                        history_id=record.history_id,
                        **{f.attname: getattr(row, f.attname) for f in through._meta.fields},
                    )
                    for record in records
                    for row in links.get(record.id, [])
                ],
                batch_size=BATCH,
            )

    @staticmethod
    def _through_fields(model, name):
        m2m = model._meta.get_field(name)
        return m2m.m2m_field_name(), m2m.m2m_reverse_field_name()

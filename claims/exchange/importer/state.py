"""What an import holds: the file's state for the whole import (problems,
the temporary table of what it was given), a batch's, and one object's."""

import datetime
from dataclasses import dataclass, field

from django.db import connection, models
from django.db.models.expressions import RawSQL

from ...models import Correction
from ..export import MODELS
from .outcome import Group, ImportFailed, Problem, Report, kind_of

__all__ = [
    "BATCH",
    "MAX_PROBLEMS",
    "SEEN",
    "STAMPED",
    "Batch",
    "ImportFile",
    "Item",
    "comparable",
    "concrete",
    "current_pks",
]

BATCH = 500  # rows per query
MAX_PROBLEMS = 1000  # problems kept to report; the rest are counted
SEEN = "claims_import_seen"  # the temporary table of what the import has been given

# Fields stamped with the time of a save; a file that leaves one out gets the time of the import.
STAMPED = {
    f
    for model in MODELS
    for f in model._meta.concrete_fields
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
}


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
    absent: set = field(default_factory=set)  # fields a partial import's object leaves out
    many: dict = field(default_factory=dict)  # m2m name -> [target keys]

    @property
    def label(self):
        return self.model._meta.label_lower

    def references(self):
        """(model, key) of every object it names."""
        for name, key in self.relations.items():
            if key is not None:
                yield self.model._meta.get_field(name).related_model, key
        for name, keys in self.many.items():
            related = self.model._meta.get_field(name).related_model
            for key in keys:
                yield related, key


def comparable(value):
    """Times as precisely as a JSON fixture keeps them: milliseconds."""
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if hasattr(value, "name") and not isinstance(value, str):  # a stored file
        return value.name or ""
    return value


def concrete(model):
    """The fields of a row that a fixture gives and a write sets."""
    return [f for f in model._meta.concrete_fields if f.serialize and not f.primary_key]


def current_pks(item, name):
    """The ids an existing row links to through the many-to-many `name`."""
    if item.existing is None:
        return set()
    return {obj.pk for obj in getattr(item.existing, name).all()}  # prefetched


class ImportFile:
    """The state of one file's import, kept across its batches: who imports
    it and why, the problems found, the keys of objects left out, the objects
    waiting for the next batch, the report, and the temporary table SEEN of
    what the file has given (model, id, position, changed, published before)."""

    def __init__(
        self, name, user, correction_note="", partial=False, publication_times=False, reason=""
    ):
        self.name = name
        self.user = user
        self.correction_note = correction_note.strip()
        # A partial import's objects give some fields: the others keep their
        # stored values, and the parts of a claim it does not give stay.
        self.partial = partial
        self.publication_times = publication_times  # take the file's first publication times
        self.reason = reason or f"imported from {name}"
        self.problems = []  # the first MAX_PROBLEMS
        self.groups = {}  # every problem, counted by kind (outcome.kind_of)
        self.more_problems = 0
        self.said = set()  # problems with the whole file already reported
        self.waiting = []  # (position, raw) of objects waiting for one of their own model
        self.skipped = set()  # (model, key) of objects not written for a problem
        self.stopped = False
        self.report = Report()
        self.first_correction = 0

    def problem(self, where, field_name, message):
        if where == self.name:
            if (field_name, message) in self.said:
                return  # a problem with the whole file is said once, not once per batch
            self.said.add((field_name, message))
        problem = Problem(where, field_name, message)
        self.groups.setdefault(kind_of(problem), Group(problem)).add(problem)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    def failure(self):
        return ImportFailed(self.problems, self.more_problems, list(self.groups.values()))

    @property
    def history(self):
        """Who and why, for the history records the import writes."""
        return {"default_user": self.user, "default_change_reason": self.reason}

    def start(self):
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

    def end(self):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {SEEN}")

    def seen(self, model, ids):
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

    def given(self, model, condition=""):
        """A subquery: the ids of the rows of `model` the file gave."""
        return RawSQL(  # nosec B611 (the temporary table's fixed name; values are parameters)
            f"SELECT id FROM {SEEN} WHERE model = %s{condition}",  # nosec B608 (fixed name)
            [model._meta.model_name],
        )

    def position_in_file(self, model):
        """An annotation: where in the file a row of `model` was given."""
        return RawSQL(  # nosec B611 (the temporary table's fixed name; values are parameters)
            f"SELECT position FROM {SEEN} WHERE model = %s "  # nosec B608 (the temporary table's fixed name; values are parameters)
            f"AND {SEEN}.id = {model._meta.db_table}.id",
            [model._meta.model_name],
        )

    def remember(self, rows):
        """(model, id, position, changed, published before) rows given so far."""
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {SEEN} (model, id, position, changed, published) "  # nosec B608 (the temporary table's fixed name; values are parameters)
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                rows,
            )

    def refresh_later(self, claim_ids):
        """Claims whose search documents are rebuilt at the end, once each."""
        self.remember([("search", pk, "", 0, 0) for pk in sorted(pk for pk in claim_ids if pk)])

    def to_refresh(self, after, limit):
        """The next `limit` ids of claims to refresh, above `after`."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {SEEN} WHERE model = 'search' AND id > %s "  # nosec B608 (the temporary table's fixed name; values are parameters)
                "ORDER BY id LIMIT %s",
                [after, limit],
            )
            return [row[0] for row in cursor.fetchall()]


@dataclass
class Batch:
    """One batch of objects, made for the batch and let go after it."""

    file: ImportFile
    items: list = field(default_factory=list)
    by_key: dict = field(default_factory=dict)  # (model, key) -> Item
    existing: dict = field(default_factory=dict)  # (model, key) -> instance from the database
    flawed: set = field(default_factory=set)  # where a problem was found
    blocked: set = field(default_factory=set)  # ids of items naming an object not written
    corrections: dict = field(default_factory=dict)  # published claim's slug -> what changed
    replaced: list = field(default_factory=list)  # pairings the other way round, replaced
    to_create: list = field(default_factory=list)
    to_update: list = field(default_factory=list)
    to_write: list = field(default_factory=list)  # the objects without a problem
    unwritten: list = field(default_factory=list)  # existing rows of objects with one

    def problem(self, where, field_name, message):
        self.flawed.add(where)
        self.file.problem(where, field_name, message)

    def target(self, model, key):
        """The instance a natural key names: from the batch, else the database."""
        item = self.by_key.get((model, key))
        if item:
            return item.instance
        return self.existing.get((model, key))

    def m2m_pks(self, item, name):
        """The ids the file links an object to through the many-to-many `name`."""
        related = item.model._meta.get_field(name).related_model
        return {self.target(related, key).pk for key in item.many[name]}

"""Fixtures in: validate a whole file first, then write it in one transaction.

Unlike loaddata, an import checks what the admin would (field values,
choices, model rules, database constraints, natural keys that lead nowhere,
duplicates) and reports every problem at once, each naming the file, the
object and the field, before anything is written. The checks run set-wise:
existing rows are fetched a batch at a time by natural key, and the database
constraints are evaluated in Python from their own definitions.

Writing uses bulk operations: rows that did not change are left alone, so
importing the same file twice changes nothing, and each claim in the file
gets exactly the citations, figures and pairings the file gives it. History
records are written for every row created, changed or deleted, attributed to
the importing user, whose permissions the import respects.
"""

import datetime
import gzip
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from defusedxml import DefusedXmlException, ElementTree
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.deletion import Collector
from django.utils import timezone

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
BATCH = 500
PUBLISH = "claims.publish_claim"


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
    def __init__(self, problems):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


@dataclass
class Item:
    """One object of the file."""

    model: type
    position: str
    fields: dict
    key: tuple = ()
    instance: object = None
    existing: object = None
    relations: dict = field(default_factory=dict)  # fk name -> target key (or None)
    many: dict = field(default_factory=dict)  # m2m name -> [target keys]

    @property
    def label(self):
        return f"claims.{self.model._meta.model_name}"


# --- Reading ----------------------------------------------------------------------------------


def _open_text(path):
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ImportFailed(
                [Problem(str(path), "", f"not a readable gzip file ({error})")]
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed([Problem(str(path), "", f"not UTF-8 text ({error.reason})")]) from None


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
    raise ImportFailed(
        [Problem(str(path), "", "unknown format: name it .json, .jsonl, .yaml or .xml (.gz)")]
    )


def _xml_objects(text, name):
    root = ElementTree.fromstring(text)
    objects = []
    for element in root.iter("object"):
        if element.get("model") is None:
            continue  # a many-to-many value, read below
        fields = {}
        for node in element.findall("field"):
            if node.find("None") is not None:
                fields[node.get("name")] = None
            elif node.get("rel") == "ManyToManyRel":
                fields[node.get("name")] = [
                    [n.text or "" for n in value.findall("natural")]
                    for value in node.findall("object")
                ]
            elif node.get("rel") == "ManyToOneRel":
                fields[node.get("name")] = [n.text or "" for n in node.findall("natural")]
            else:
                fields[node.get("name")] = node.text or ""
        objects.append({"model": element.get("model"), "fields": fields})
    return objects


def read(path):
    """The objects of a fixture file as (position, raw dict), or ImportFailed."""
    name = Path(path).name
    fmt = _format(path)
    text = _open_text(path)
    if not text.strip():
        raise ImportFailed([Problem(name, "", "the file is empty")])
    try:
        if fmt == "json":
            data = json.loads(text)
            where = "object"
        elif fmt == "jsonl":
            data, where = [], "line"
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        data.append((number, json.loads(line)))
                    except json.JSONDecodeError as error:
                        raise ImportFailed(
                            [Problem(f"{name} line {number}", "", f"not valid JSON: {error.msg}")]
                        ) from None
            return [(f"{name} line {n}", obj) for n, obj in data]
        elif fmt == "yaml":
            data = yaml.safe_load(text)
            where = "item"
        else:
            data = _xml_objects(text, name)
            where = "object"
    except json.JSONDecodeError as error:
        raise ImportFailed(
            [
                Problem(
                    name,
                    "",
                    f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
                )
            ]
        ) from None
    except yaml.YAMLError as error:
        raise ImportFailed([Problem(name, "", f"not valid YAML: {error}")]) from None
    except ElementTree.ParseError as error:
        raise ImportFailed([Problem(name, "", f"not valid XML: {error}")]) from None
    except DefusedXmlException as error:
        # Entity declarations can expand into gigabytes or read local files.
        message = f"XML with entity or DTD declarations is refused ({error})"
        raise ImportFailed([Problem(name, "", message)]) from None
    if not isinstance(data, list):
        raise ImportFailed([Problem(name, "", "a fixture is a list of objects")])
    return [(f"{name} {where} {n}", obj) for n, obj in enumerate(data, start=1)]


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


@contextmanager
def keep_timestamps():
    """Rows keep the creation and change times the file gives them: bulk
    inserts would otherwise stamp them with the time of the import."""
    stamped = [
        f
        for model in MODELS
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in stamped]
    for f in stamped:
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


class Importer:
    def __init__(self, path, user, progress=None, correction_note=""):
        self.path = Path(path)
        self.correction_note = correction_note.strip()
        self.corrections = {}  # slug of a published claim -> what the file corrects
        self.name = self.path.name
        self.user = user
        self.progress = progress
        self.problems = []
        self.items = []
        self.by_key = {}  # (model, key) -> Item
        self.existing = {}  # (model, key) -> instance from the database
        self.report = Report()

    def problem(self, where, field_name, message):
        self.problems.append(Problem(where, field_name, message))

    # Validation -------------------------------------------------------------------

    def validate(self):
        for position, raw in read(self.path):
            self._parse(position, raw)
            if self.progress:
                self.progress.update(1)
        if not self.items and not self.problems:
            self.problem(self.name, "", "the file holds no objects")
        self._load_existing()
        self._resolve()
        # The rules are checked on every object that parsed and resolved, so
        # one broken key does not hide another object's broken rule.
        flawed = {problem.where for problem in self.problems}
        self._check_rules([item for item in self.items if _describe(item) not in flawed])
        self._check_permissions()
        if self.problems:
            raise ImportFailed(self.problems)
        self._plan()
        self._check_corrections()
        return self.report

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
        item = Item(model=model, position=position, fields=values, key=natural_key(model, values))
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
                if getattr(model_field, "auto_now", False) or getattr(
                    model_field, "auto_now_add", False
                ):
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
        """Rows already in the database under the keys the file names, and
        the parts of every claim in the file, fetched a batch at a time."""
        wanted = self._targets()
        for model in MODELS:
            if model in (Citation, Figure, Rebuttal):
                continue
            slugs = sorted({key[0] for key in wanted[model] if len(key) == 1})
            many = [f.name for f in model._meta.local_many_to_many]
            for start in range(0, len(slugs), BATCH):
                batch = model.objects.filter(slug__in=slugs[start : start + BATCH])
                for obj in batch.prefetch_related(*many):
                    self.existing[(model, obj.natural_key())] = obj
        claim_slugs = sorted({item.key[0] for item in self.items if item.model is Claim})
        self.claim_parts = {Citation: [], Figure: [], Rebuttal: []}
        for start in range(0, len(claim_slugs), BATCH):
            batch = claim_slugs[start : start + BATCH]
            for model, related in (
                (Citation, ("claim", "source")),
                (Figure, ("claim", "part_of__claim", "measure")),
                (Rebuttal, ("claim", "counterclaim")),
            ):
                for obj in model.objects.filter(claim__slug__in=batch).select_related(*related):
                    self.existing[(model, obj.natural_key())] = obj
                    self.claim_parts[model].append(obj)
        # Parts the file gives for claims it does not hold: fetched by claim.
        for model, related in (
            (Citation, ("claim", "source")),
            (Figure, ("claim", "part_of__claim", "measure")),
            (Rebuttal, ("claim", "counterclaim")),
        ):
            others = sorted({key[0] for key in wanted[model]} - set(claim_slugs))
            for start in range(0, len(others), BATCH):
                batch = model.objects.filter(claim__slug__in=others[start : start + BATCH])
                for obj in batch.select_related(*related):
                    self.existing.setdefault((model, obj.natural_key()), obj)

    @staticmethod
    def _key_lookup(model, key):
        if model is Citation:
            return {
                "claim__slug": key[0],
                "source__slug": key[1],
                "role": key[2],
                "locator": key[3],
            }
        if model is Figure:
            return {"claim__slug": key[0], "position": key[1]}
        return {"claim__slug": key[0], "counterclaim__slug": key[1]}

    def _target(self, model, key):
        """The instance a natural key names: from the file, else the database."""
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
                    label = f"claims.{model_field.related_model._meta.model_name}"
                    self.problem(where, name, f"no {label} with the natural key {list(key)}")
                    continue
                setattr(item.instance, name, target)
            for name, keys in item.many.items():
                related = item.model._meta.get_field(name).related_model
                for key in keys:
                    if self._target(related, key) is None:
                        label = f"claims.{related._meta.model_name}"
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
            if item.model is Figure and obj.part_of_id is not None:
                whole_key = item.relations.get("part_of")
                if whole_key and whole_key[0] != item.key[0]:
                    self.problem(
                        where, "part_of", "a figure can only be part of a figure of the same claim"
                    )
            for name, keys in item.many.items():
                if item.model in (Speaker, Source) and item.key in keys:
                    self.problem(where, name, "cannot be linked to itself")
            if item.model is Rebuttal:
                pairs[item.key] = item
        for (claim, counter), item in pairs.items():
            if (counter, claim) in pairs and claim < counter:
                self.problem(
                    _describe(item), "", "these two claims are paired both ways round in the file"
                )
        # A pairing the other way round that stays in the database (the
        # pairings of claims in the file are replaced by the file's).
        in_file = {item.key[0] for item in self.items if item.model is Claim}
        outside = sorted({counter for (_, counter) in pairs if counter not in in_file})
        standing = set()
        for start in range(0, len(outside), BATCH):
            standing |= set(
                Rebuttal.objects.filter(claim__slug__in=outside[start : start + BATCH]).values_list(
                    "claim__slug", "counterclaim__slug"
                )
            )
        for (claim, counter), item in pairs.items():
            if (counter, claim) in standing:
                self.problem(
                    _describe(item), "", "these two claims are already paired the other way round"
                )
        self._check_unique_names()

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
                self.user.has_perm(PUBLISH)
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
            name = model._meta.model_name
            items = [i for i in self.items if i.model is model]
            if any(i.existing is None for i in items) and not user.has_perm(f"claims.add_{name}"):
                self.problem(self.name, "", f"{user} may not add {model._meta.verbose_name_plural}")
            if any(i.existing is not None for i in items) and not user.has_perm(
                f"claims.change_{name}"
            ):
                self.problem(
                    self.name, "", f"{user} may not change {model._meta.verbose_name_plural}"
                )
        if not user.has_perm(PUBLISH):
            for item in self.items:
                if item.model is not Claim:
                    continue
                before = item.existing.status if item.existing else Claim.Status.DRAFT
                guarded = {Claim.Status.PUBLISHED, Claim.Status.WITHDRAWN}
                if item.instance.status != before and guarded & {before, item.instance.status}:
                    message = f"{user} may not publish, unpublish or withdraw claims"
                    self.problem(_describe(item), "status", message)

    # Planning and writing -----------------------------------------------------------------

    def _plan(self):
        report = self.report
        self.to_create, self.to_update = [], []
        for item in self.items:
            label = item.label
            if item.existing is None:
                self.to_create.append(item)
                report.created[label] = report.created.get(label, 0) + 1
            elif self._changed(item):
                self.to_update.append(item)
                report.updated[label] = report.updated.get(label, 0) + 1
            else:
                report.unchanged[label] = report.unchanged.get(label, 0) + 1
        in_file = {(i.model, i.key) for i in self.items}
        self.to_delete = {
            model: [
                obj for obj in self.claim_parts[model] if (model, obj.natural_key()) not in in_file
            ]
            for model in (Rebuttal, Figure, Citation)
        }
        for model, objs in self.to_delete.items():
            if objs:
                report.deleted[f"claims.{model._meta.model_name}"] = len(objs)
        if any(self.to_delete.values()):
            for model, objs in self.to_delete.items():
                if objs and not self.user.has_perm(f"claims.delete_{model._meta.model_name}"):
                    raise ImportFailed(
                        [
                            Problem(
                                self.name,
                                "",
                                f"{self.user} may not delete {model._meta.verbose_name_plural}",
                            )
                        ]
                    )

    def _check_corrections(self):
        """A published claim's substance (Claim.SUBSTANTIVE and its figures)
        changes only as a correction: with a public note, given for the whole
        import, by someone who may publish."""
        published = Claim.Status.PUBLISHED
        corrections, where = {}, {}
        for item in self.to_update:
            if item.model is Claim and item.existing.status == published:
                changed = [
                    str(Claim._meta.get_field(name.removesuffix("_id")).verbose_name)
                    for name in Claim.SUBSTANTIVE
                    if _comparable(getattr(item.existing, name))
                    != _comparable(getattr(item.instance, name))
                ]
                if changed:
                    corrections.setdefault(item.key[0], []).extend(changed)
                    where.setdefault(item.key[0], _describe(item))
        figures = [
            (item.key[0], _describe(item))
            for item in self.to_create + self.to_update
            if item.model is Figure
        ]
        figures += [
            (figure.claim.slug, f"claims.figure {list(figure.natural_key())}")
            for figure in self.to_delete[Figure]
        ]
        for slug, described in figures:
            claim = self.existing.get((Claim, (slug,)))
            if claim is not None and claim.status == published:
                changed = corrections.setdefault(slug, [])
                if "figures" not in changed:
                    changed.append("figures")
                where.setdefault(slug, described)
        problems = []
        for slug, changed in sorted(corrections.items()):
            if not self.correction_note:
                message = (
                    f"{Claim.correction_needed_message(changed)} Give it with --correction-note."
                )
                problems.append(Problem(where[slug], "", message))
            elif not self.user.has_perm(PUBLISH):
                message = f"{self.user} may not correct the published claim {slug!r}"
                problems.append(Problem(where[slug], "", message))
        if problems:
            raise ImportFailed(problems)
        self.corrections = corrections
        if corrections:
            self.report.corrected = len(corrections)

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

    def write(self, dry_run=False):
        """Write everything in one transaction. Publishing is checked by the
        claims' own rule (Claim.publication_problems) once their parts are
        written; a claim that fails it undoes the whole import. A dry run
        goes as far and then undoes everything."""
        try:
            with transaction.atomic(), keep_timestamps():
                self._write()
                problems = self._publication_problems()
                if problems:
                    raise ImportFailed(problems)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return self.report

    def _publication_problems(self):
        problems = []
        for item in self.to_create + self.to_update:
            claim = item.instance
            if item.model is Claim and claim.status == Claim.Status.PUBLISHED:
                for message in claim.publication_problems():
                    problems.append(Problem(_describe(item), "status", message))
        return problems

    def _write(self):
        reason = f"imported from {self.name}"
        history = {"default_user": self.user, "default_change_reason": reason}
        doomed = [figure.pk for figure in self.to_delete[Figure]]
        if doomed:
            # Figures the file keeps must not go with a whole that it drops.
            Figure.objects.filter(part_of__in=doomed).exclude(pk__in=doomed).update(part_of=None)
        for model, objs in self.to_delete.items():
            if objs:
                # Deleted through the collector with these very instances, so
                # the history of each deletion names the user and the file.
                for obj in objs:
                    obj._history_user, obj._change_reason = self.user, reason
                collector = Collector(using=model.objects.db)
                collector.collect(objs)
                collector.delete()
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
            self._write_many(created + updated)
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
            if self.progress:
                self.progress.update(len(created) + len(updated))
        self._write_corrections(history)
        touched = {i.instance.pk for i in self.to_create + self.to_update if i.model is Claim}
        touched |= {
            i.instance.claim_id for i in self.to_create + self.to_update if i.model is Citation
        }
        touched |= {o.claim_id for o in self.to_delete[Citation]}
        others = [i.instance.pk for i in self.to_update if i.model in (Speaker, Source)]
        if others:
            touched |= set(
                Claim.objects.filter(
                    Q(speaker__in=others)
                    | Q(speaking_for__in=others)
                    | Q(citations__source__in=others)
                ).values_list("pk", flat=True)
            )
        touched = sorted(pk for pk in touched if pk)
        for start in range(0, len(touched), 1000):
            refresh_search_documents(touched[start : start + 1000])
        return self.report

    def _write_corrections(self, history):
        """One public correction for each published claim the file corrects."""
        if not self.corrections:
            return
        corrections = [
            Correction(
                claim=self.existing[(Claim, (slug,))], note=self.correction_note, changed=changed
            )
            for slug, changed in sorted(self.corrections.items())
        ]
        Correction.objects.bulk_create(corrections, batch_size=BATCH)
        Correction.history.bulk_history_create(corrections, **history)

    def _refresh_ids(self, item):
        """Point foreign keys at the rows' real ids, now that they exist."""
        for name, key in item.relations.items():
            if key is not None:
                target = self._target(item.model._meta.get_field(name).related_model, key)
                setattr(item.instance, name, target)

    def _write_many(self, items):
        for item in items:
            for name in item.many:
                wanted = self._m2m_pks(item, name)
                current = self._current_pks(item, name)
                if wanted != current:
                    through = item.model._meta.get_field(name).remote_field.through
                    source_field, target_field = self._through_fields(item.model, name)
                    through.objects.filter(**{source_field: item.instance.pk}).exclude(
                        **{f"{target_field}__in": wanted}
                    ).delete()
                    through.objects.bulk_create(
                        [
                            through(
                                **{f"{source_field}_id": item.instance.pk, f"{target_field}_id": pk}
                            )
                            for pk in sorted(wanted - current)
                        ]
                    )

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

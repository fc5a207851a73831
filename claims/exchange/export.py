"""Fixtures out: a selection of claims and everything they need, as a Django
fixture with natural keys only, written as a stream.

The writer feeds Django's own serializers (json, jsonl, yaml, xml), so plain
`loaddata` reads the result, but it hands them rows fetched a chunk at a
time with every related row they name already joined or prefetched: a
handful of queries per chunk, never one per row, and never all rows in
memory. Objects come in dependency order, each model sorted by natural key,
so the same data always gives the same bytes.
"""

import gzip
import io
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from django.core import serializers
from django.db import reset_queries
from django.db.models import Prefetch

from ..db import id_list
from ..models import (
    Citation,
    Claim,
    ExternalId,
    Figure,
    Mapping,
    Measure,
    Rebuttal,
    Source,
    Speaker,
    Topic,
    links_of,
)

__all__ = [
    "CHUNK",
    "FORMATS",
    "MODELS",
    "ORDER",
    "PRIVATE",
    "Plan",
    "Selection",
    "exported_fields",
    "format_for",
    "open_output",
    "rows",
    "write",
]

FORMATS = ("json", "jsonl", "yaml", "xml")
CHUNK = 500  # rows per query: memory follows this, not the size of the data

# Every model a fixture carries, in the order they load. The rows'
# identifiers in other tables and the saved mappings are editors' data:
# never in a published export.
MODELS = [Topic, Measure, Speaker, Source, Claim, Citation, Figure, Rebuttal, ExternalId, Mapping]
PRIVATE = {ExternalId, Mapping}
ORDER = {
    Topic: ["slug"],
    Measure: ["slug"],
    Speaker: ["slug"],
    Source: ["slug"],
    Claim: ["slug"],
    Citation: ["claim__slug", "source__slug", "role", "locator"],
    Figure: ["claim__slug", "position"],
    Rebuttal: ["claim__slug", "counterclaim__slug"],
    ExternalId: ["namespace", "value"],
    Mapping: ["slug"],
}


@dataclass
class Selection:
    """Which claims to export. Empty lists and None mean no restriction."""

    published_only: bool = False
    speakers: list = field(default_factory=list)
    topics: list = field(default_factory=list)
    slugs: list = field(default_factory=list)
    since: object = None
    until: object = None

    @property
    def is_everything(self):
        return not (self.speakers or self.topics or self.slugs or self.since or self.until)

    def claims(self):
        claims = Claim.objects.all()
        if self.published_only:
            claims = claims.published()
        if self.speakers:
            claims = claims.filter(speaker__slug__in=self.speakers)
        if self.topics:
            claims = claims.filter(topics__slug__in=self.topics).distinct()
        if self.slugs:
            claims = claims.filter(slug__in=self.slugs)
        if self.since or self.until:
            claims = claims.said_within(self.since, self.until)
        return claims


class Plan:
    """The rows of each model an export writes: the selected claims, the
    claims they are answered by (and those claims' answers, and so on), and
    every speaker, source, topic and measure those rows name."""

    def __init__(self, selection):
        self.selection = selection
        self.published_only = selection.published_only
        claims = Claim.objects.published() if self.published_only else Claim.objects.all()
        sources = Source.objects.public() if self.published_only else Source.objects.all()
        # Rows of the parts are narrowed through joins (or a list of ids), not
        # IN (subquery) filters, which SQLite plans poorly on large tables.
        if selection.is_everything:
            self.claims = claims
            claim_side = {"claim__status": Claim.Status.PUBLISHED} if self.published_only else {}
            answer_side = (
                {"counterclaim__status": Claim.Status.PUBLISHED} if self.published_only else {}
            )
        else:
            ids = id_list(self._claim_closure(selection.claims(), claims))
            self.claims = claims.filter(pk__in=ids)
            claim_side, answer_side = {"claim__in": ids}, {"counterclaim__in": ids}
        source_side = {"source__restricted": False} if self.published_only else {}
        self.citations = Citation.objects.filter(**claim_side, **source_side)
        self.figures = Figure.objects.filter(**claim_side)
        self.rebuttals = Rebuttal.objects.filter(**claim_side, **answer_side)
        if selection.is_everything and not self.published_only:
            self.sources = sources
            self.speakers = Speaker.objects.all()
            self.topics = Topic.objects.all()
            self.measures = Measure.objects.all()
        else:
            self.sources = sources.filter(pk__in=id_list(self._source_closure(sources)))
            self.speakers = Speaker.objects.filter(pk__in=id_list(self._speaker_closure()))
            self.topics = Topic.objects.filter(claims__in=self.claims).distinct()
            self.measures = Measure.objects.filter(figures__in=self.figures).distinct()

    @staticmethod
    def _claim_closure(selected, allowed):
        """The selected claims and, transitively, the claims answering them."""
        found = set(selected.values_list("pk", flat=True))
        frontier = set(found)
        while frontier:
            answers = set(
                Rebuttal.objects.filter(
                    claim__in=id_list(frontier), counterclaim__in=allowed
                ).values_list("counterclaim", flat=True)
            )
            frontier = answers - found
            found |= frontier
        return found

    def _source_closure(self, allowed):
        found = set(self.citations.values_list("source", flat=True))
        frontier = set(found)
        while frontier:
            relayed = set(
                allowed.filter(relayed_by__in=id_list(frontier)).values_list("pk", flat=True)
            )
            frontier = relayed - found
            found |= frontier
        return found

    def _speaker_closure(self):
        named = set()
        for rows, column in [
            (self.claims, "speaker"),
            (self.claims, "speaking_for"),
            (self.claims, "accused"),
            (self.figures, "attributed_to"),
            (self.sources, "publisher"),
        ]:
            named |= set(rows.exclude(**{f"{column}__isnull": True}).values_list(column, flat=True))
        # The organisations they belong to, and theirs.
        frontier = set(named)
        while frontier:
            bodies = set(
                Speaker.organisations.through.objects.filter(
                    from_speaker__in=id_list(frontier)
                ).values_list("to_speaker", flat=True)
            )
            frontier = bodies - named
            named |= frontier
        return named

    def querysets(self):
        """(model, rows) in load order, each with what its natural keys need."""
        # Many-to-many values in natural-key order too, for byte-identical output.
        sources_relays = Prefetch("relays", queryset=self.sources.order_by("slug"))
        return [
            (Topic, self.topics),
            (Measure, self.measures),
            (
                Speaker,
                self.speakers.prefetch_related(
                    Prefetch("organisations", queryset=self.speakers.order_by("slug"))
                ),
            ),
            (Source, self.sources.select_related("publisher").prefetch_related(sources_relays)),
            # Their topics and accused parties are attached a chunk at a time, by rows().
            (Claim, self.claims.select_related("speaker", "speaking_for")),
            (Citation, self.citations.select_related("claim", "source")),
            (
                Figure,
                self.figures.select_related("claim", "measure", "attributed_to", "part_of__claim"),
            ),
            (Rebuttal, self.rebuttals.select_related("claim", "counterclaim")),
            *self._private(),
        ]

    def _private(self):
        if self.published_only:
            return []
        if self.selection.is_everything:
            ids = ExternalId.objects.all()
            mappings = [(Mapping, Mapping.objects.all())]
        else:
            ids = ExternalId.objects.filter(claim__in=self.claims)
            mappings = []
        return [(ExternalId, ids.select_related("claim")), *mappings]

    def count(self):
        return sum(rows.count() for _, rows in self.querysets())


def exported_fields(model):
    """The fields a fixture carries: everything serializable but the key."""
    return [
        f.name
        for f in model._meta.local_fields + model._meta.local_many_to_many
        if f.serialize and not f.primary_key
    ]


def rows(plan, progress=None):
    """Every object of the export, in order, ready for a serializer."""
    for model, queryset in plan.querysets():
        objects = queryset.order_by(*ORDER[model]).iterator(chunk_size=CHUNK)
        if model is Claim:
            objects = _with_links(objects)
        for obj in objects:
            if plan.published_only and hasattr(obj, "internal_notes"):
                obj.internal_notes = ""
            if progress:
                progress.update(1)
            yield obj


class _Linked(list):
    """A claim's topics or accused parties, where prefetch_related() would
    keep them: the serializer iterates them, or asks for an iterator()."""

    def iterator(self, chunk_size=None):
        return iter(self)


def _with_links(claims):
    """Claims with their topics and accused parties, in natural-key order,
    read a chunk at a time (claims.models.links_of). Lighter than a
    QuerySet per claim and field, which would hold far more per chunk."""
    while chunk := list(islice(claims, CHUNK)):
        ids = [claim.pk for claim in chunk]
        linked = {
            name: links_of(name, ids, order_by=["slug"], fields=["slug"])
            for name in ("topics", "accused")
        }
        for claim in chunk:
            claim._prefetched_objects_cache = {
                name: _Linked(found.get(claim.pk, ())) for name, found in linked.items()
            }
        yield from chunk


def _batches(objects):
    """Objects grouped by model, a chunk at a time: each serializer call
    writes one model's rows."""
    batch, model = [], None
    for obj in objects:
        if batch and (type(obj) is not model or len(batch) == CHUNK):
            yield model, batch
            batch = []
            # With DEBUG on, Django keeps the last 9,000 queries, each with its
            # list of ids: at a million claims, far more than the export needs.
            reset_queries()
        model = type(obj)
        batch.append(obj)
    if batch:
        yield model, batch


def write(plan, fmt, stream, progress=None):
    """Write the export to a binary `stream`."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n", write_through=True)
    options = {"use_natural_foreign_keys": True, "use_natural_primary_keys": True}
    objects = rows(plan, progress)
    if fmt == "json":
        # One JSON array, streamed: Django's serializer writes each object as
        # it comes; the brackets and commas between batches are ours.
        text.write("[\n")
        first = True
        for model, batch in _batches(objects):
            chunk = serializers.serialize(
                "json", batch, indent=2, fields=exported_fields(model), **options
            )
            body = chunk.strip()[1:-1].strip("\n")
            if body:
                text.write(("" if first else ",\n") + body)
                first = False
        text.write("\n]\n")
    elif fmt == "jsonl":
        for model, batch in _batches(objects):
            serializers.serialize(
                "jsonl", batch, stream=text, fields=exported_fields(model), **options
            )
    elif fmt == "yaml":
        for model, batch in _batches(objects):
            serializers.serialize(
                "yaml",
                batch,
                stream=text,
                fields=exported_fields(model),
                allow_unicode=True,
                **options,
            )
    elif fmt == "xml":
        text.write('<?xml version="1.0" encoding="utf-8"?>\n<django-objects version="1.0">')
        for model, batch in _batches(objects):
            chunk = serializers.serialize(
                "xml", batch, indent=2, fields=exported_fields(model), **options
            )
            start = chunk.index('<django-objects version="1.0">') + len(
                '<django-objects version="1.0">'
            )
            text.write(chunk[start : chunk.rindex("</django-objects>")].rstrip("\n"))
        text.write("\n</django-objects>\n")
    else:
        raise ValueError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    text.flush()
    text.detach()


@contextmanager
def open_output(path):
    """A binary stream to `path` (gzip when it ends in .gz: no stored name,
    mtime 0, so the same data gives the same bytes), or to stdout."""
    if path in (None, "-"):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with open(path, "wb") as raw:
        if str(path).endswith(".gz"):
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
                yield zipped
        else:
            yield raw


def format_for(path, default="json"):
    """The format a file name implies: claims.jsonl.gz -> jsonl."""
    name = str(path or "").lower().removesuffix(".gz")
    for fmt in FORMATS:
        if name.endswith("." + fmt) or (fmt == "yaml" and name.endswith(".yml")):
            return fmt
    return default

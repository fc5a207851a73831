"""Writing a checked batch in bulk (rows, links, history, corrections); at the
end, deleting the parts the file dropped and refreshing search documents."""

from contextlib import contextmanager

from django.apps import apps
from django.db import reset_queries
from django.db.models import Q
from django.db.models.deletion import Collector

from ... import workflow
from ...models import (
    Citation,
    Claim,
    Correction,
    Figure,
    Rebuttal,
    Source,
    Speaker,
    refresh_search_documents,
)
from ..export import MODELS
from .check import allowed_corrections
from .keys import PARTS
from .state import BATCH, STAMPED, concrete, current_pks

__all__ = [
    "REFRESH",
    "correct_dropped_figures",
    "delete",
    "delete_dropped",
    "dropped",
    "keep_timestamps",
    "refresh_search",
    "write",
    "write_corrections",
]

REFRESH = 100  # search documents rebuilt at a time


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


# One batch ------------------------------------------------------------------------------------


def write(batch, file):
    """The batch's creates and updates, model by model in dependency order,
    with their links and history; then its corrections, and what it gave
    remembered in the file's table."""
    history = file.history
    if batch.replaced:
        delete(file, Rebuttal, batch.replaced)
    for model in MODELS:
        created = [i for i in batch.to_create if i.model is model]
        updated = [i for i in batch.to_update if i.model is model]
        later = []
        for item in created:
            item.instance.pk = None
        for item in created:
            _refresh_ids(batch, item)
            whole = getattr(item.instance, "part_of", None) if model is Figure else None
            if whole is not None and whole.pk is None:
                # Its whole is new too: link them once both exist.
                later.append((item, whole))
                item.instance.part_of = None
        model.objects.bulk_create([i.instance for i in created], batch_size=BATCH)
        for item, whole in later:
            item.instance.part_of = whole
        if later:
            model.objects.bulk_update([i.instance for i, _ in later], ["part_of"], batch_size=BATCH)
        for item in updated:
            _refresh_ids(batch, item)
        if updated:
            fields = [f.name for f in concrete(model) if not f.auto_created]
            fields += getattr(model, "DERIVED_FIELDS", ())
            model.objects.bulk_update([i.instance for i in updated], fields, batch_size=BATCH)
        _write_many(batch, model, created + updated)
        records = []
        if created:
            records += model.history.bulk_history_create([i.instance for i in created], **history)
        if updated:
            records += model.history.bulk_history_create(
                [i.instance for i in updated], update=True, **history
            )
        _write_many_history(model, records)
    if batch.corrections:
        claims = {slug: batch.existing[(Claim, (slug,))] for slug in batch.corrections}
        write_corrections(file, batch.corrections, claims)
    changed = batch.to_create + batch.to_update
    touched = {i.instance.pk for i in changed if i.model is Claim}
    touched |= {i.instance.claim_id for i in changed if i.model is Citation}
    others = [i.instance.pk for i in batch.to_update if i.model in (Speaker, Source)]
    if others:
        touched |= set(
            Claim.objects.filter(
                Q(speaker__in=others) | Q(speaking_for__in=others) | Q(citations__source__in=others)
            ).values_list("pk", flat=True)
        )
    file.refresh_later(touched)
    _remember(batch, file)


def _remember(batch, file):
    """What the batch gave, for the batches after it and the end."""
    changed = {id(i) for i in batch.to_create + batch.to_update}
    published = Claim.Status.PUBLISHED
    file.remember(
        [
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
            for item in batch.to_write + batch.unwritten
        ]
    )


def _refresh_ids(batch, item):
    """Point foreign keys at the rows' real ids, now that they exist."""
    for name, key in item.relations.items():
        if key is not None:
            target = batch.target(item.model._meta.get_field(name).related_model, key)
            setattr(item.instance, name, target)


def _write_many(batch, model, items):
    """Many-to-many links as the file gives them: a few queries for the batch."""
    for m2m in model._meta.local_many_to_many:
        through = m2m.remote_field.through
        source_field, target_field = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
        links = []
        for item in items:
            if m2m.name not in item.many:
                continue
            wanted = batch.m2m_pks(item, m2m.name)
            current = current_pks(item, m2m.name)
            if current - wanted:
                through.objects.filter(
                    **{source_field: item.instance.pk, f"{target_field}__in": current - wanted}
                ).delete()
            links += [
                through(**{f"{source_field}_id": item.instance.pk, f"{target_field}_id": pk})
                for pk in sorted(wanted - current)
            ]
        through.objects.bulk_create(links, batch_size=BATCH)


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


def delete(file, model, objs):
    """Deleted through the collector with these very instances, so the
    history of each deletion names the user and the file."""
    for obj in objs:
        obj._history_user, obj._change_reason = file.user, file.reason
    collector = Collector(using=model.objects.db)
    collector.collect(objs)
    _, counts = collector.delete()
    label = model._meta.label_lower
    deleted = file.report.deleted
    deleted[label] = deleted.get(label, 0) + counts.get(model._meta.label, 0)


def write_corrections(file, corrections, claims):
    """One public correction for each published claim the file corrects,
    however many batches correct it. `corrections` is {slug: what changed},
    `claims` the claim of each slug."""
    earlier = {
        correction.claim_id: correction
        for correction in Correction.objects.filter(
            pk__gt=file.first_correction, claim__in=[c.pk for c in claims.values()]
        )
    }
    new, merged = [], []
    for slug, changed in sorted(corrections.items()):
        correction = earlier.get(claims[slug].pk)
        if correction is None:
            new.append(Correction(claim=claims[slug], note=file.correction_note, changed=changed))
        else:
            correction.changed += [name for name in changed if name not in correction.changed]
            merged.append(correction)
    Correction.objects.bulk_create(new, batch_size=BATCH)
    Correction.history.bulk_history_create(new, **file.history)
    if merged:
        Correction.objects.bulk_update(merged, ["changed"], batch_size=BATCH)
        Correction.history.bulk_history_create(merged, update=True, **file.history)
    file.report.corrected += len(new)


# The end of the file --------------------------------------------------------------------------


def dropped(file):
    """{model: rows} of the parts of the file's claims that it no longer gives."""
    claims = file.given(Claim)
    found = {}
    for model in PARTS:
        rows = model.objects.filter(claim__in=claims).exclude(pk__in=file.given(model))
        if rows.exists():
            if not file.user.has_perm(workflow.permission("delete", model)):
                plural = model._meta.verbose_name_plural
                file.problem(file.name, "", f"{file.user} may not delete {plural}")
            found[model] = rows
    return found


def correct_dropped_figures(file, figures):
    """Dropping a figure of a claim published before the import is a
    correction; recorded a chunk of claims at a time (checked only,
    after a problem)."""
    published = file.given(Claim, " AND published = 1")
    rows = (
        figures.filter(claim__in=published)
        .order_by("claim__slug", "position")
        .values_list("claim__slug", "position")
    )
    where = {}
    for slug, position in rows.iterator(chunk_size=BATCH):
        if slug not in where and len(where) == BATCH:
            _correct_figures_of(file, where)
            where = {}
        where.setdefault(slug, f"claims.figure {[slug, position]}")
    if where:
        _correct_figures_of(file, where)


def _correct_figures_of(file, where):
    dropped_figures = {slug: [workflow.FIGURES] for slug in where}
    corrections = allowed_corrections(file, dropped_figures, where)
    if file.problems or not corrections:
        return
    claims = {claim.slug: claim for claim in Claim.objects.filter(slug__in=list(corrections))}
    write_corrections(file, corrections, claims)


def delete_dropped(file, parts):
    """The parts the file dropped, a chunk at a time; figures the file keeps
    must not go with a whole that it drops."""
    if Figure in parts:
        Figure.objects.filter(part_of__in=parts[Figure]).exclude(pk__in=parts[Figure]).update(
            part_of=None
        )
    for model, rows in parts.items():
        while chunk := list(rows.select_related(*PARTS[model]).order_by("pk")[:BATCH]):
            reset_queries()
            if model is Citation:
                file.refresh_later({citation.claim_id for citation in chunk})
            delete(file, model, chunk)


def refresh_search(file):
    """The search documents of every claim the import touched, REFRESH at a time."""
    last = 0
    while ids := file.to_refresh(last, REFRESH):
        reset_queries()
        refresh_search_documents(ids)
        last = ids[-1]

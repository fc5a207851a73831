"""Checking a batch before any of it is written (values, keys, rules, choices,
read-only fields, permissions, corrections), and publication at the end."""

from django.core.exceptions import ValidationError
from django.db import models, reset_queries
from django.db.models import Q
from django.utils import timezone

from ... import workflow
from ...models import Citation, Claim, ExternalId, Figure, Rebuttal, Source
from ..export import MODELS, exported_fields
from .constraints import check_constraints, holds
from .keys import LABELS, PARTS, as_int, describe, is_complete, is_key, natural_key
from .state import BATCH, STAMPED, Item, comparable, concrete, current_pks

__all__ = [
    "MAX_SKIPPED",
    "MAX_WAITING",
    "allowed_corrections",
    "check_corrections",
    "check_permissions",
    "check_publication",
    "check_repeats",
    "check_rules",
    "fill_absent",
    "load_existing",
    "parse",
    "plan",
    "resolve",
    "sound",
    "wait",
]

MAX_WAITING = 50_000  # objects waiting for one of their own model further on
MAX_SKIPPED = 100_000  # keys of unwritable objects remembered, so those naming them stay quiet


# Parsing and resolving -------------------------------------------------------------------


def parse(batch, position, raw):
    """One raw object read into an Item of the batch: its field values
    cleaned, its keys taken apart, every problem with them said."""
    if not isinstance(raw, dict) or "model" not in raw:
        batch.problem(position, "", "not an object with a model and fields")
        return
    label = raw["model"]
    model = LABELS.get(str(label).lower())
    if model is None:
        batch.problem(
            position, "model", f"unknown model {label!r}; expected one of {', '.join(LABELS)}"
        )
        return
    values = raw.get("fields")
    if not isinstance(values, dict):
        batch.problem(position, "fields", "missing, or not a mapping of field names to values")
        return
    item = Item(
        model=model, position=position, fields=values, raw=raw, key=natural_key(model, values)
    )
    where = describe(item)
    allowed = set(exported_fields(model))
    for name in values:
        if name not in allowed:
            batch.problem(where, name, f"no such field on {item.label}")
    instance = model()
    for name in exported_fields(model):
        model_field = model._meta.get_field(name)
        present = name in values
        value = values.get(name)
        if not present and batch.file.partial:
            item.absent.add(name)  # kept as stored, or the default (fill_absent)
            continue
        if model_field.many_to_many:
            if value in (None, ""):
                value = []
            if not isinstance(value, list) or not all(is_key(v) for v in value):
                batch.problem(where, name, 'expected a list of natural keys, e.g. [["slug"]]')
                continue
            item.many[name] = [tuple(v) for v in value]
            continue
        if model_field.many_to_one:
            if value is None or value == []:
                if not model_field.null:
                    batch.problem(where, name, "required" if not present else "cannot be empty")
                item.relations[name] = None
                continue
            if not isinstance(value, list | tuple):
                value = [value]
            if not is_key(value):
                batch.problem(where, name, 'expected a natural key, e.g. ["slug"]')
                continue
            item.relations[name] = tuple(as_int(v) if i else v for i, v in enumerate(value))
            continue
        if not present:
            if model_field in STAMPED:
                setattr(instance, model_field.attname, timezone.now())
                continue
            if model_field.has_default() or model_field.blank or model_field.null:
                continue
            batch.problem(where, name, "required field missing")
            continue
        try:
            if value is None and not model_field.null and model_field.blank:
                value = ""
            cleaned = model_field.clean(value, instance)
            setattr(instance, model_field.attname, cleaned)
        except ValidationError as error:
            batch.problem(where, name, " ".join(error.messages))
        except (TypeError, ValueError, AttributeError):
            batch.problem(where, name, f"{value!r} is not a value this field can hold")
    item.instance = instance
    if model is Figure:
        item.key = (item.relations.get("claim", (None,))[0], instance.position)
    if not is_complete(item.key):
        batch.problem(where, "", "its natural key is incomplete or malformed")
        return
    previous = batch.by_key.get((model, item.key))
    if previous:
        batch.problem(
            where, "", f"the same {item.label} appears twice: also at {previous.position}"
        )
        return
    batch.by_key[(model, item.key)] = item
    batch.items.append(item)


def _targets(batch):
    """Every natural key the batch names, by model."""
    wanted = {model: set() for model in MODELS}
    for item in batch.items:
        wanted[item.model].add(item.key)
        for model, key in item.references():
            wanted[model].add(key)
    return wanted


def load_existing(batch):
    """Rows already in the database under the keys the batch names,
    fetched a chunk at a time; the many-to-many values of the batch's
    own objects with them."""
    wanted = _targets(batch)
    for model in MODELS:
        if model is ExternalId:
            by_namespace = {}
            for namespace, value in wanted[model]:
                by_namespace.setdefault(namespace, []).append(value)
            for namespace, values in sorted(by_namespace.items()):
                values.sort()
                for start in range(0, len(values), BATCH):
                    rows = model.objects.of_keys(namespace, values[start : start + BATCH])
                    for obj in rows.select_related("claim"):
                        batch.existing[(model, obj.natural_key())] = obj
            continue
        if model in PARTS:
            slugs = sorted({key[0] for key in wanted[model]})
            for start in range(0, len(slugs), BATCH):
                rows = model.objects.filter(claim__slug__in=slugs[start : start + BATCH])
                for obj in rows.select_related(*PARTS[model]):
                    batch.existing[(model, obj.natural_key())] = obj
            continue
        own = {i.key[0] for i in batch.items if i.model is model}
        many = [f.name for f in model._meta.local_many_to_many]
        named = {key[0] for key in wanted[model] if len(key) == 1}
        for slugs, prefetch in ((own, many), (named - own, [])):
            slugs = sorted(slugs)
            for start in range(0, len(slugs), BATCH):
                rows = model.objects.filter(slug__in=slugs[start : start + BATCH])
                for obj in rows.prefetch_related(*prefetch):
                    batch.existing[(model, obj.natural_key())] = obj


def wait(batch, next_label):
    """Objects naming one of their own model that is not there yet (a
    speaker's organisation later in slug order) wait for the next batch
    while objects of their model keep coming, and so do the objects
    naming a waiting one. Returns their (position, raw), taken out of the
    batch."""
    waiting, grew = set(), True
    while grew:
        grew = False
        for item in batch.items:
            if id(item) in waiting or describe(item) in batch.flawed:
                continue  # an object with a problem is checked now, and said once
            for model, key in item.references():
                target = batch.by_key.get((model, key))
                if target is not None:
                    late = id(target) in waiting
                else:
                    late = (
                        model is item.model
                        and item.label == next_label
                        and (model, key) not in batch.existing
                    )
                if late:
                    waiting.add(id(item))
                    grew = True
                    break
    if not waiting or len(waiting) > MAX_WAITING:
        return []  # too many: checked now, their keys reported as leading nowhere
    later = [(i.position, i.raw) for i in batch.items if id(i) in waiting]
    for item in batch.items:
        if id(item) in waiting:
            del batch.by_key[(item.model, item.key)]
    batch.items = [i for i in batch.items if id(i) not in waiting]
    return later


def resolve(batch, skipped):
    """Each object matched to its row (or given a stand-in id), and each key
    it names to an instance; `skipped` holds the keys of objects left out
    for a problem of their own."""
    provisional = 0
    for item in batch.items:
        item.existing = batch.existing.get((item.model, item.key))
        if item.existing is not None:
            item.instance.pk = item.existing.pk
        else:
            provisional -= 1  # a stand-in id until the row is written
            item.instance.pk = provisional
    for item in batch.items:
        for name, key in item.relations.items():
            model_field = item.model._meta.get_field(name)
            if key is None:
                setattr(item.instance, model_field.attname, None)
                continue
            target = batch.target(model_field.related_model, key)
            if target is None:
                _leads_nowhere(batch, skipped, item, name, model_field.related_model, key)
                continue
            setattr(item.instance, name, target)
        for name, keys in item.many.items():
            related = item.model._meta.get_field(name).related_model
            for key in keys:
                if batch.target(related, key) is None:
                    _leads_nowhere(batch, skipped, item, name, related, key)


def fill_absent(batch):
    """In a partial import, the fields an object does not give: kept as
    stored for an existing row; for a new one, the default, and a problem
    when the field is required."""
    for item in batch.items:
        if not item.absent:
            continue
        where = describe(item)
        for name in sorted(item.absent):
            model_field = item.model._meta.get_field(name)
            if model_field.many_to_many:
                continue  # links not given are left as they are
            if item.existing is not None:
                setattr(
                    item.instance, model_field.attname, getattr(item.existing, model_field.attname)
                )
            elif model_field in STAMPED:
                setattr(item.instance, model_field.attname, timezone.now())
            elif not (model_field.has_default() or model_field.blank or model_field.null):
                batch.problem(where, name, "required field missing")


def _leads_nowhere(batch, skipped, item, name, model, key):
    where = describe(item)
    if (model, key) in skipped:
        batch.blocked.add(id(item))  # it names an object with a problem of its own
        return
    if model is item.model and where in batch.flawed:
        return  # it did not wait for later objects of its model: its problem is said
    label = model._meta.label_lower
    batch.problem(where, name, f"no {label} with the natural key {list(key)}")


def check_repeats(batch, file):
    """An object the file already gave in an earlier batch."""
    for model in MODELS:
        items = [i for i in batch.items if i.model is model and i.existing is not None]
        earlier = file.seen(model, [i.existing.pk for i in items]) if items else {}
        for item in items:
            if item.existing.pk in earlier:
                message = f"the same {item.label} appears twice: also at "
                batch.problem(describe(item), "", message + earlier[item.existing.pk][0])


# Rules ----------------------------------------------------------------------------------------


def check_rules(batch, items, file):
    """The model's own rules (clean(), check constraints, no self-links,
    choices, read-only fields) on `items`, then pairings and unique names."""
    pairs = {}
    for item in items:
        where, obj = describe(item), item.instance
        _check_choices(batch, item, where)
        _check_read_only(batch, item, where, file.user)
        try:
            obj.clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                batch.problem(where, "" if name == "__all__" else name, " ".join(messages))
        for fields, message in check_constraints(obj):
            batch.problem(where, fields, message)
        for name, keys in item.many.items():
            linked = item.model._meta.get_field(name).related_model
            if linked is item.model and workflow.links_itself(item.key, keys):
                batch.problem(where, name, workflow.SELF_LINK)
        if item.model is Rebuttal:
            pairs[item.key] = item
    for (claim, counter), item in pairs.items():
        if (counter, claim) in pairs and claim < counter:
            batch.problem(
                describe(item), "", "these two claims are paired both ways round in the file"
            )
    _check_pairs_standing(batch, pairs, file)
    _check_unique_names(batch)


def _check_pairs_standing(batch, pairs, file):
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
    given = file.seen(Rebuttal, [standing[key].pk for key in reverse])
    claims_given = file.seen(Claim, [standing[key].claim_id for key in reverse])
    in_batch = {item.key[0] for item in batch.items if item.model is Claim}
    for key, item in reverse.items():
        pairing = standing[key]
        if pairing.pk in given:
            message = "these two claims are paired both ways round in the file"
            batch.problem(describe(item), "", message)
        elif pairing.claim_id in claims_given or key[0] in in_batch:
            batch.replaced.append(pairing)
        else:
            message = "these two claims are already paired the other way round"
            batch.problem(describe(item), "", message)
    if batch.replaced and not file.user.has_perm(workflow.permission("delete", Rebuttal)):
        plural = Rebuttal._meta.verbose_name_plural
        batch.problem(file.name, "", f"{file.user} may not delete {plural}")


def _check_choices(batch, item, where):
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
            target = batch.target(related, key)
            if target is not None and holds(Q(allowed), target) is False:
                batch.problem(where, name, f"{list(key)} is not a valid choice here")


def _check_read_only(batch, item, where, user):
    """Fields editors cannot set by hand cannot be set by a file either."""
    obj, old = item.instance, item.existing
    if item.model is Source:
        for name in ("file", "file_sha256"):
            now = comparable(getattr(obj, name))
            before = comparable(getattr(old, name)) if old else ""
            if now != before:
                batch.problem(
                    where,
                    name,
                    "evidence files do not travel in fixtures; upload it in the admin",
                )
    if item.model is Claim:
        _check_publication_time(batch, item, where, user)


def _check_publication_time(batch, item, where, user):
    """Publication time is history: a claim published before keeps its
    first publication time unless the import is told to take the file's
    (publication_times) and the user may publish; the report counts both."""
    obj, old, file = item.instance, item.existing, batch.file
    before = old.first_published_at if old else None
    differs = comparable(obj.first_published_at) != comparable(before)
    given = "first_published_at" in item.fields
    if before is not None and (not given or not file.publication_times):
        if given and differs:
            file.report.publication_times_kept += 1
        obj.first_published_at = before
    elif differs:
        if not workflow.may_publish(user):
            batch.problem(where, "first_published_at", f"{user} may not change it")
        elif before is not None:
            file.report.publication_times_changed += 1
    if obj.status == Claim.Status.PUBLISHED and not obj.first_published_at:
        obj.first_published_at = timezone.now()


def _check_unique_names(batch):
    for model in MODELS:
        if not any(f.name == "name" and f.unique for f in model._meta.fields):
            continue
        items = [i for i in batch.items if i.model is model]
        seen = {}
        for item in items:
            other = seen.setdefault(item.instance.name, item)
            if other is not item:
                batch.problem(describe(item), "name", f"also the name of {other.position}")
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
                    batch.problem(
                        describe(item),
                        "name",
                        f"already the name of {model._meta.model_name} “{slug}”",
                    )


def check_permissions(batch, user):
    """What the user may add and change, and the status moves they may make
    (workflow.permission, workflow.publishing_refusal)."""
    for model in MODELS:
        plural = model._meta.verbose_name_plural
        items = [i for i in batch.items if i.model is model]
        adds = any(i.existing is None for i in items)
        if adds and not user.has_perm(workflow.permission("add", model)):
            batch.problem(batch.file.name, "", f"{user} may not add {plural}")
        changes = any(i.existing is not None for i in items)
        if changes and not user.has_perm(workflow.permission("change", model)):
            batch.problem(batch.file.name, "", f"{user} may not change {plural}")
    for item in batch.items:
        if item.model is not Claim:
            continue
        before = item.existing.status if item.existing else Claim.Status.DRAFT
        if item.instance.status != before:
            refusal = workflow.publishing_refusal(user, before, item.instance.status)
            if refusal:
                batch.problem(describe(item), "status", refusal)


# What to write --------------------------------------------------------------------------------


def sound(batch, skipped):
    """The objects to write: those without a problem that name none with
    one. The keys of the others are added to `skipped` (up to MAX_SKIPPED),
    so objects of later batches that name them are left out quietly."""
    bad = {id(i) for i in batch.items if id(i) in batch.blocked or describe(i) in batch.flawed}
    grew = bool(bad)
    while grew:
        grew = False
        for item in batch.items:
            if id(item) in bad:
                continue
            for model, key in item.references():
                target = batch.by_key.get((model, key))
                if target is not None and id(target) in bad:
                    bad.add(id(item))
                    grew = True
                    break
    for item in batch.items:
        if id(item) in bad and len(skipped) < MAX_SKIPPED:
            skipped.add((item.model, item.key))
    # Still given by the file: their rows are not parts it dropped.
    batch.unwritten = [i for i in batch.items if id(i) in bad and i.existing is not None]
    return [i for i in batch.items if id(i) not in bad]


def plan(batch, items, report):
    """Each sound object to create, to update, or unchanged (counted in `report`)."""
    for item in items:
        label = item.label
        if item.existing is None:
            batch.to_create.append(item)
            report.created[label] = report.created.get(label, 0) + 1
        elif _changed(batch, item):
            batch.to_update.append(item)
            report.updated[label] = report.updated.get(label, 0) + 1
        else:
            report.unchanged[label] = report.unchanged.get(label, 0) + 1
    batch.to_write = items


def _changed(batch, item):
    old, new = item.existing, item.instance
    if any(
        comparable(getattr(old, f.attname)) != comparable(getattr(new, f.attname))
        for f in concrete(item.model)
    ):
        return True
    return any(batch.m2m_pks(item, name) != current_pks(item, name) for name in item.many)


# Corrections ----------------------------------------------------------------------------------


def _published_before(batch, file, slugs):
    """{slug: whether the claim was published before this import}."""
    published = Claim.Status.PUBLISHED
    claims = {slug: batch.existing.get((Claim, (slug,))) for slug in slugs}
    earlier = file.seen(
        Claim,
        [c.pk for s, c in claims.items() if c is not None and (Claim, (s,)) not in batch.by_key],
    )
    return {
        slug: claim is not None
        and (earlier[claim.pk][1] if claim.pk in earlier else claim.status == published)
        for slug, claim in claims.items()
    }


def check_corrections(batch, file):
    """A published claim's substance changes only as a correction
    (workflow.substantive_changes, on the rows as stored and as the file
    gives them): with a public note, given for the whole import, by
    someone who may correct."""
    published = Claim.Status.PUBLISHED
    corrections, where = {}, {}
    for item in batch.to_update:
        if item.model is Claim and item.existing.status == published:
            changed = workflow.substantive_changes(item.existing, item.instance)
            if changed:
                corrections.setdefault(item.key[0], []).extend(changed)
                where.setdefault(item.key[0], describe(item))
    figures = [item for item in batch.to_create + batch.to_update if item.model is Figure]
    before = _published_before(batch, file, {item.key[0] for item in figures}) if figures else {}
    for item in figures:
        slug = item.key[0]
        stored = [item.existing] if item.existing is not None else []
        if before[slug] and workflow.figures_changed(stored, [item.instance]):
            changed = corrections.setdefault(slug, [])
            if workflow.FIGURES not in changed:
                changed.append(workflow.FIGURES)
            where.setdefault(slug, describe(item))
    batch.corrections = allowed_corrections(file, corrections, where)


def allowed_corrections(file, corrections, where):
    """The corrections the import may record: with the file's note, by a
    user who may correct (workflow.may_correct); a problem for each other."""
    allowed = {}
    for slug, changed in sorted(corrections.items()):
        if not file.correction_note:
            message = (
                f"{workflow.correction_needed_message(changed)} Give it with --correction-note."
            )
            file.problem(where[slug], "", message)
        elif not workflow.may_correct(file.user):
            message = f"{file.user} may not correct the published claim {slug!r}"
            file.problem(where[slug], "", message)
        else:
            allowed[slug] = changed
    return allowed


# The end of the file --------------------------------------------------------------------------


def check_publication(file):
    """Published claims the file gives meet the rule for publishing
    (workflow.publication_problems), now that their parts are written:
    an unchanged claim may have lost the citation it was published on.
    Read a chunk at a time, with the citations the rule reads."""
    citations = models.Prefetch(
        "citations",
        queryset=Citation.objects.select_related("source").prefetch_related("source__relays"),
    )
    published = (
        Claim.objects.filter(pk__in=file.given(Claim), status=Claim.Status.PUBLISHED)
        .annotate(import_position=file.position_in_file(Claim))
        .prefetch_related(citations)
        .order_by("pk")
    )
    for number, claim in enumerate(published.iterator(chunk_size=BATCH)):
        if number % BATCH == 0:
            reset_queries()
        for message in workflow.publication_problems(claim):
            where = f"{claim.import_position} (claims.claim [{claim.slug}])"
            file.problem(where, "status", message)

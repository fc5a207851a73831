"""The editorial rules, each in one function: who is an editor, who may
publish and who may correct, what publishing needs, what counts as a
correction, and the rules on links (nothing linked to itself, a figure and
its whole). The models, the admin and the importer ask these functions; none
of them restates a rule. docs/architecture.md lists every caller.

The rules work on the objects they are given (instances, or mappings of
field values) and import no model, since the models call them.
"""

from decimal import Decimal

from .choices import Assessment, CitationRole, ClaimStatus, DateQualifier

# Permissions, by their full names.
VIEW = "claims.view_claim"
CHANGE = "claims.change_claim"
PUBLISH = "claims.publish_claim"

# Statuses readers see or saw: moving a claim into or out of one needs PUBLISH.
GUARDED = frozenset({ClaimStatus.PUBLISHED, ClaimStatus.WITHDRAWN})

# Changing one of these once the claim is published is a correction.
SUBSTANTIVE = (
    "text",
    "text_kind",
    "original_text",
    "original_language",
    "speaker_id",
    "speaking_for_id",
    "said_qualifier",
    "said_on",
    "said_on_precision",
    "said_until",
    "said_until_precision",
    "assessment",
)
# What a figure says; adding, changing or removing one of a published claim
# is a correction of its "figures".
FIGURE_FIELDS = (
    "position",
    "measure_id",
    "value_min",
    "value_max",
    "qualifier",
    "stated_as",
    "period_start",
    "period_start_precision",
    "period_end",
    "period_end_precision",
    "place",
    "attributed_to_id",
    "part_of_id",
)
FIGURES = "figures"


def permission(action, model):
    """The name of Django's permission to `action` ("add", "change",
    "delete", "view") objects of `model`."""
    meta = model._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


# --- Who may ---------------------------------------------------------------------------


def is_editor(user):
    """Someone who works in the admin: may read drafts and restricted
    material on the public pages too."""
    return bool(user.is_authenticated and user.is_staff and user.has_perm(VIEW))


def may_publish(user):
    return user.has_perm(PUBLISH)


def may_correct(user):
    """Correcting a published claim changes what readers see: only those
    who may publish may do it."""
    return may_publish(user)


def publishing_refusal(user, old, new):
    """Why `user` may not move a claim from status `old` to `new` as far as
    readers are concerned, or None: into or out of what they see (or saw)
    needs PUBLISH."""
    if ({old, new} & GUARDED) and not may_publish(user):
        return f"{user} may not publish, unpublish or withdraw claims"
    return None


def move_refusal(user, old, new):
    """Why `user` may not move a claim from status `old` to `new`, or None:
    publishing_refusal(), and any move needs CHANGE."""
    refusal = publishing_refusal(user, old, new)
    if refusal is None and not user.has_perm(CHANGE):
        refusal = f"{user} may not change claims"
    return refusal


# --- What publishing needs -------------------------------------------------------------


def publication_problems(claim):
    """Why `claim` cannot be published yet, in words for an editor. Reads
    the claim's citations (prefetched ones, when they are)."""
    problems = []
    if not claim.speaker_id:
        problems.append("It has no speaker.")
    if claim.said_qualifier != DateQualifier.NOT_STATED and not (claim.said_on or claim.said_until):
        problems.append("It has no date: give one, or choose “date not stated”.")
    if not any(c.role == CitationRole.APPEARED_IN for c in claim.citations.all()):
        problems.append("It has no appearance: cite where it was made or reported.")
    if claim.assessment == Assessment.CORROBORATED and claim.independent_sources() < 2:
        problems.append(
            "“Corroborated” needs at least two independent sources: different publishers, "
            "not relaying the same original."
        )
    return problems


def withdrawal_problem(reason):
    """A withdrawn claim's permalink keeps explaining why: it needs a reason."""
    if not (reason or "").strip():
        return "Say publicly why it is withdrawn."
    return None


# --- What is a correction --------------------------------------------------------------


def _value(obj, name):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name)


def _figure(figure):
    values = []
    for name in FIGURE_FIELDS:
        value = _value(figure, name)
        if value is None and name.endswith("_id"):
            # A form's cleaned data names the object, not its id.
            related = _value(figure, name.removesuffix("_id"))
            value = getattr(related, "pk", related)
        if isinstance(value, Decimal):
            value = value.normalize()  # 10.00 as stored is 10 as typed
        values.append(value)
    return tuple(values)


def substantive_changes(old, new, old_figures=(), new_figures=(), fields=None):
    """What changing a published claim from `old` to `new` corrects: the
    names (as editors read them) of the substantive fields that differ, then
    "figures" when its figures differ. `new` is the claim; `old` the stored
    claim or a mapping of its stored values; figures are instances or
    mappings of their values; `fields`, if given, narrows the comparison to
    those fields. Empty when nothing substantive changed."""
    names = [
        name
        for name in SUBSTANTIVE
        if fields is None or name in fields or name.removesuffix("_id") in fields
    ]
    changed = [
        str(new._meta.get_field(name.removesuffix("_id")).verbose_name)
        for name in names
        if _value(old, name) != _value(new, name)
    ]
    if figures_changed(old_figures, new_figures):
        changed.append(FIGURES)
    return changed


def figures_changed(old_figures, new_figures):
    """Whether two sets of a claim's figures say different things: one
    added, removed or changed in any of FIGURE_FIELDS."""
    return sorted(map(_figure, old_figures), key=repr) != sorted(
        map(_figure, new_figures), key=repr
    )


def correction_needed_message(changes):
    return (
        f"This claim is published: changing its {', '.join(changes)} is a correction. "
        "Write a correction note; it is shown publicly with the date."
    )


# --- Links -----------------------------------------------------------------------------


def links_itself(obj, linked):
    """Whether `obj` is among the objects it links to (a speaker among the
    bodies it belongs to, a source among those it relays): never allowed.
    Objects compare by primary key; natural keys (tuples) as they are."""
    own = _key(obj)
    return own is not None and any(_key(other) == own for other in linked)


def _key(obj):
    return obj if isinstance(obj, tuple) else obj.pk


SELF_LINK = "cannot be linked to itself"


def whole_problem(part, whole):
    """Why figure `part` cannot be part of figure `whole`, or None: a whole
    is another figure of the same claim, not one of its own parts, counting
    the same unit, and not smaller than the part."""
    if whole.claim_id != part.claim_id:
        return "A figure can only be part of another figure of the same claim."
    if part.pk and part.pk in whole_chain(whole):
        return "A figure cannot be part of itself, directly or through others."
    if part.measure_id and whole.measure.unit != part.measure.unit:
        return f"The parts must count the same unit as the whole ({whole.measure.unit})."
    if part.value_min is not None and part.value_min > (whole.value_max or whole.value_min):
        return "A part cannot be larger than the whole."
    return None


def whole_chain(whole):
    """The ids of `whole` and of every figure it is part of, up the chain
    (a cycle ends it)."""
    seen = []
    while whole is not None and whole.pk not in seen:
        seen.append(whole.pk)
        whole = whole.part_of
    return seen

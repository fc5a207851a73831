"""Natural keys: an object's key from its raw field values, whether a value
is a key at all, and how a problem names the object."""

from ...models import Citation, ExternalId, Figure, Rebuttal
from ..export import MODELS

__all__ = [
    "LABELS",
    "PARTS",
    "as_int",
    "describe",
    "first",
    "is_complete",
    "is_key",
    "label_of",
    "natural_key",
]

LABELS = {m._meta.label_lower: m for m in MODELS}

# The parts of a claim, keyed by its slug; what is fetched with each.
PARTS = {
    Citation: ("claim", "source"),
    Figure: ("claim", "part_of__claim", "measure"),
    Rebuttal: ("claim", "counterclaim"),
}


def natural_key(model, values):
    """The natural key of an object from its (raw) field values."""
    if model is Citation:
        return (
            first(values.get("claim")),
            first(values.get("source")),
            values.get("role"),
            values.get("locator", ""),
        )
    if model is Figure:
        return (first(values.get("claim")), as_int(values.get("position")))
    if model is Rebuttal:
        return (first(values.get("claim")), first(values.get("counterclaim")))
    if model is ExternalId:
        return (values.get("namespace"), values.get("value"))
    return (values.get("slug"),)


def is_key(value):
    """A natural key: a non-empty list of strings and numbers."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(part, str | int) and not isinstance(part, bool) for part in value)
    )


def is_complete(key):
    """Whether an object's own key has every part, each a string or number."""
    return not (
        None in key or "" in key[:1] or not all(isinstance(part, str | int) for part in key)
    )


def first(value):
    return value[0] if isinstance(value, list | tuple) and value else value


def as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def describe(item):
    """How a problem names an object: its position, model and key."""
    key = ", ".join(str(part) for part in item.key)
    return f"{item.position} ({item.label} [{key}])"


def label_of(raw):
    """The model label a raw object gives, lower-cased (None if not an object)."""
    return str(raw.get("model")).lower() if isinstance(raw, dict) else None

"""Check constraints evaluated in Python from their own definitions, with
SQL's three-valued logic, so a batch is checked before anything is written."""

from django.db import models
from django.db.models import F, Q

__all__ = ["check_constraints", "condition_fields", "holds", "lookup"]


def _value(obj, name):
    return getattr(obj, obj._meta.get_field(name).attname)


def lookup(obj, path, expected):
    """Whether obj meets one lookup (`field__op` = expected): True, False or
    None (unknown, as in SQL, when a value compared is NULL)."""
    name, *rest = path.split("__")
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
        raise NotImplementedError(path)
    return comparisons[operator]


def holds(q, obj):
    """Q evaluated on an instance with SQL's three-valued logic."""
    results = [
        holds(child, obj) if isinstance(child, Q) else lookup(obj, *child) for child in q.children
    ]
    if q.connector == Q.AND:
        value = False if False in results else (None if None in results else True)
    else:
        value = True if True in results else (None if None in results else False)
    if q.negated and value is not None:
        value = not value
    return value


def condition_fields(q):
    """The fields a condition reads, in order, each once."""
    names = []
    for child in q.children:
        if isinstance(child, Q):
            names += condition_fields(child)
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
            holds(constraint.condition, obj) is False
        ):
            fields = ", ".join(condition_fields(constraint.condition))
            broken.append((fields, constraint.violation_error_message))
    return broken

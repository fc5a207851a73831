"""What differs between SQLite and PostgreSQL outside search, behind one
interface: the backend module for the database in use is chosen here, by
its vendor, and nowhere else (`backend_of` chooses search's backend too).

- `id_list(ids)`: a subquery over many ids passed as one parameter;
- `first_unused_id(model)`: the id after every one the table has given out;
- `insert_rows(model, columns, rows)`: rows written in bulk;
- `update_statistics()`: fresh planner statistics after a bulk load;
- `generic_plans()`: queries planned once for any parameters (PostgreSQL);
- `backend().DATABASE_WIDE_WRITE_LOCK`: whether one write transaction keeps
  every other writer waiting (SQLite), so that editors' saves are refused while
  a background import writes (`claims.runs`);
- `scratch_copy()`: within it, the default connection works on a copy of the
  database where writers would hold up everyone (SQLite), so a preview that
  writes and rolls back takes no lock from editors; elsewhere it does nothing.
"""

import functools
from importlib import import_module

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Max

from .expressions import RowTest

__all__ = [
    "RowTest",
    "backend",
    "backend_of",
    "first_unused_id",
    "generic_plans",
    "id_list",
    "insert_rows",
    "scratch_copy",
    "update_statistics",
]

BACKENDS = {"sqlite": "sqlite", "postgresql": "postgresql"}


@functools.cache
def _module(package, vendor):
    try:
        return import_module(f"{package}.{BACKENDS[vendor]}")
    except KeyError:
        raise NotImplementedError(
            f"Counterclaim runs on SQLite or PostgreSQL, not {vendor}."
        ) from None


def backend_of(package, connection):
    """The module of `package` (one module per database, named as in
    BACKENDS) for `connection`'s database: the one place that asks which
    database a connection is to (search chooses its backend here too)."""
    return _module(package, connection.vendor)


def backend(using=None):
    """The module for the database of `using` (a connection; the default one)."""
    return backend_of(__name__, using or connection)


def id_list(ids):
    """A subquery over a set of ids passed as one parameter, so that no number
    of ids runs into the database's limit on query parameters."""
    return backend().id_list(sorted(ids))


def first_unused_id(model):
    """The id after every one the table has given out, deleted rows' too:
    their history records keep those ids, and must not gain a new row's."""
    with connection.cursor() as cursor:
        given = backend().last_id_given(cursor, model._meta.db_table)
    highest = model.objects.aggregate(top=Max("pk"))["top"] or 0
    return max(given, highest) + 1


def insert_rows(model, columns, rows):
    """`rows` (tuples of database values for `columns`, field objects) into
    the table of `model`, in bulk."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in columns)
    with connection.cursor() as cursor:
        backend().insert_rows(cursor, table, names, len(columns), rows)


def scratch_copy(using=DEFAULT_DB_ALIAS):
    """A context in which connection `using` works on a throwaway copy of
    its database, where that keeps a long write transaction from holding up
    other writers (see the module's docstring)."""
    target = connections[using]
    return backend(target).scratch_copy(target)


def update_statistics():
    """After a bulk load, fresh statistics keep the planner choosing the
    lists' indexes (where the database does not gather them itself)."""
    with connection.cursor() as cursor:
        backend().update_statistics(cursor)


def generic_plans(using=DEFAULT_DB_ALIAS):
    """A context within which queries are planned once for any parameters,
    where the database plans each run afresh otherwise (claims.db.postgresql);
    elsewhere it does nothing. Evaluate only querysets whose best plan does
    not depend on their values inside it."""
    target = connections[using]
    return backend(target).generic_plans(target)

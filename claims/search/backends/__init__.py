"""The search backend for a database, chosen by its vendor here and
nowhere else. Each backend module offers the same functions:

- `matching(queryset, terms)`: the queryset narrowed to claims matching the words;
- `ranked(terms, limit)`: ids of the best published matches, best first, and
  whether the last word was matched whole only;
- `index_statements(table)` / `remove_statements(table)`: the index, for migrations.
"""

import functools
from importlib import import_module

BACKENDS = {"sqlite": "sqlite", "postgresql": "postgresql"}


@functools.cache
def _module(vendor):
    try:
        return import_module(f"{__name__}.{BACKENDS[vendor]}")
    except KeyError:
        raise NotImplementedError(f"Search runs on SQLite or PostgreSQL, not {vendor}.") from None


def for_connection(connection):
    """The backend module for `connection`'s database."""
    return _module(connection.vendor)

"""The search backend for a database, chosen by claims.db.backend_of
(the one place that asks which database it is). Each backend module offers the same functions:

- `matching(queryset, terms)`: the queryset narrowed to claims matching the words;
- `ranked(terms, limit)`: ids of the best published matches, best first, and
  whether the last word was matched whole only;
- `index_statements(table)` / `remove_statements(table)`: the index, for migrations.
"""

from claims.db import backend_of


def for_connection(connection):
    """The backend module for `connection`'s database."""
    return backend_of(__name__, connection)

"""Full-text search over claims, the same on SQLite and PostgreSQL.

One normaliser (claims.text) prepares both what is indexed and what is
asked. Each claim's indexed text (its words, original words, speakers, place
and public source titles) is kept, normalised, in `Claim.search_document`;
the backend for the database in use (claims.search.backends) indexes it and
answers. This module is the one interface: `matching()` (which
`Claim.objects.matching(q)` reaches through claims.registry), `ranked()`,
and `highlight()` to mark matches in the original, unnormalised text.
Only the newest limits.RANK_WINDOW matches are ranked: a word found in most
claims costs a bounded walk of the index, not a score for every match.
"""

from django.db import connection

from claims.text import document, normalise, query_words, words

from . import backends
from .highlight import highlight, matches

__all__ = [
    "document",
    "highlight",
    "install_index",
    "matches",
    "matching",
    "normalise",
    "query_words",
    "ranked",
    "ranked_ids",
    "remove_index",
    "words",
]


def backend():
    """The backend module of the database in use."""
    return backends.for_connection(connection)


def matching(queryset, query):
    """`queryset` narrowed to claims matching `query` (no ranking)."""
    terms = query_words(query)
    if not terms:
        return queryset.none()
    return backend().matching(queryset, terms)


def ranked(query, limit):
    """Ids of the best `limit` published claims matching `query`, best
    first, and whether the last word was matched whole only."""
    terms = query_words(query)
    if not terms:
        return [], False
    return backend().ranked(terms, limit)


def ranked_ids(query, limit):
    """Ids of the best `limit` published claims matching `query`, best first."""
    return ranked(query, limit)[0]


# --- The index, created by migrations --------------------------------------------------


def _claims_table(apps):
    """The claims table's name as a migration's models have it (as the
    current model has it when called without them)."""
    return [] if apps is None else [apps.get_model("claims", "Claim")._meta.db_table]


def install_index(apps=None, schema_editor=None):
    """Create the search index for this database. Safe to run again: a later
    migration that makes SQLite rebuild the claims table (which drops its
    triggers) must call it."""
    chosen = backends.for_connection(schema_editor.connection)
    for statement in chosen.index_statements(*_claims_table(apps)):
        schema_editor.execute(statement)


def remove_index(apps=None, schema_editor=None):
    chosen = backends.for_connection(schema_editor.connection)
    for statement in chosen.remove_statements(*_claims_table(apps)):
        schema_editor.execute(statement)

"""Search on PostgreSQL: each claim's search document as a stored tsvector
column ('simple' configuration: the normaliser in claims.text has done the
language work), indexed with GIN and ranked with ts_rank."""

from django.db import connection
from django.db.models.expressions import RawSQL

from claims import limits
from claims.models import Claim

CLAIMS = Claim._meta.db_table


def index_statements(claims=CLAIMS):
    """The tsvector column of the claims table `claims` and its index. The
    column keeps each document's vector, so that neither matching nor
    ranking parses a document again."""
    return [
        f"ALTER TABLE {claims} ADD COLUMN IF NOT EXISTS search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(search_document, ''))) "
        "STORED",
        f"CREATE INDEX IF NOT EXISTS {claims}_search_vector ON {claims} USING gin (search_vector)",
        # An earlier index over the expression, which the column replaces.
        f"DROP INDEX IF EXISTS {claims}_search_gin",
    ]


def remove_statements(claims=CLAIMS):
    return [
        f"DROP INDEX IF EXISTS {claims}_search_vector",
        f"ALTER TABLE {claims} DROP COLUMN IF EXISTS search_vector",
        f"DROP INDEX IF EXISTS {claims}_search_gin",
    ]


def tsquery(terms):
    """All the words, the last as a prefix. Words hold letters and digits
    only, never tsquery operators."""
    return " & ".join([*terms[:-1], f"{terms[-1]}:*"])


def matching(queryset, terms):
    ids = RawSQL(  # nosec B611 (the model's table; the words are a parameter)
        f"SELECT id FROM {CLAIMS} "  # nosec B608 (the model's table; the words are a parameter)
        "WHERE search_vector @@ to_tsquery('simple'::regconfig, %s)",
        [tsquery(terms)],
    )
    return queryset.filter(pk__in=ids)


def ranked(terms, limit):
    """The best `limit` of the newest RANK_WINDOW published matches; the GIN
    index reads a prefix cheaply, so the last word is always one."""
    sql = (
        "SELECT id FROM ("  # nosec B608 (the model's table; values are parameters)
        f"SELECT id, search_vector FROM {CLAIMS} "
        "WHERE status = %s AND search_vector @@ to_tsquery('simple'::regconfig, %s) "
        "ORDER BY id DESC LIMIT %s"
        ") AS matches "
        "ORDER BY ts_rank(search_vector, to_tsquery('simple'::regconfig, %s)) DESC, id "
        "LIMIT %s"
    )
    words = tsquery(terms)
    with connection.cursor() as cursor:
        cursor.execute(sql, [Claim.Status.PUBLISHED, words, limits.RANK_WINDOW, words, limit])
        return [row[0] for row in cursor.fetchall()], False

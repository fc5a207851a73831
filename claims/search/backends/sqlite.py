"""Search on SQLite: an FTS5 table over each claim's search document, kept
in step by triggers, ranked with bm25."""

import hashlib
import math

from django.core.cache import cache
from django.db import connection
from django.db.models import Max

from claims import limits
from claims.db import RowTest
from claims.models import Claim

CLAIMS = Claim._meta.db_table
FTS = f"{CLAIMS}_fts"
TRIGGERS = [f"{FTS}_insert", f"{FTS}_delete", f"{FTS}_update"]


def index_statements(claims=CLAIMS):
    """The FTS5 table of the claims table `claims`, its triggers, and its rebuild."""
    fts = f"{claims}_fts"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
        f"search_document, content='{claims}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {claims} BEGIN "  # nosec B608 (table names from the model)
        f"INSERT INTO {fts}(rowid, search_document) "
        "VALUES (new.id, new.search_document); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {claims} BEGIN "  # nosec B608 (table names from the model)
        f"INSERT INTO {fts}({fts}, rowid, search_document) "
        "VALUES ('delete', old.id, old.search_document); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update "  # nosec B608 (table names from the model)
        f"AFTER UPDATE OF search_document ON {claims} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_document) "
        "VALUES ('delete', old.id, old.search_document); "
        f"INSERT INTO {fts}(rowid, search_document) "
        "VALUES (new.id, new.search_document); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # nosec B608 (table names from the model)
    ]


def remove_statements(claims=CLAIMS):
    fts = f"{claims}_fts"
    triggers = [f"{fts}_insert", f"{fts}_delete", f"{fts}_update"]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in triggers] + [f"DROP TABLE IF EXISTS {fts}"]


def fts5_query(terms, prefix=True):
    """Each word quoted, so nothing a reader types is FTS5 syntax; the last
    word matches as a prefix, as it may still be being typed."""
    quoted = [f'"{term}"' for term in terms]
    if prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


def matching(queryset, terms):
    match = fts5_query(terms, prefix=not whole_words_only(terms))
    return queryset.filter(Fts5Match(match, *_frequency(match)))


class Fts5Match(RowTest):
    """True for a claim the FTS5 query `match` matches, which `matches` of
    `claims` published claims do. An unordered query (the list's count) and
    one that would ask too many claims gathers the matches; an ordered query
    for few rows of many matches walks its order and asks each claim
    (limits.WALK_US, limits.GATHER_US)."""

    def __init__(self, match, matches, claims, outer="pk"):
        super().__init__(outer)
        self.match, self.matches, self.claims = match, matches, claims

    def walks(self, depth):
        """Whether the rows up to `depth` cost less walked than gathered."""
        if not self.matches or depth is None:
            return False
        asked = depth * self.claims / self.matches
        return asked * limits.WALK_US < self.matches * limits.GATHER_US

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.outer)
        query = compiler.query
        ordered = query.order_by or (query.default_ordering and query.get_meta().ordering)
        # The column is the query's own, compiled by Django; the words are a
        # parameter. Nothing from a request is written into the SQL.
        if ordered and self.walks(query.high_mark):
            sql = f"EXISTS (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s AND {FTS}.rowid = {column})"  # nosec B608
        else:
            sql = f"{column} IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)"  # nosec B608
        return sql, [*params, self.match]


def _frequency(match):
    """How many claims the FTS5 query matches (counted as far as can change
    how they are read) and about how many claims there are (the highest id,
    not a count). Kept COUNTS_SECONDS: they choose how the matches are read,
    never which."""

    def count():
        claims = Claim.objects.aggregate(highest=Max("pk"))["highest"] or 0
        # No list reads deeper than its pages go: from this many matches,
        # every depth is walked.
        deepest = limits.LIST_MAX_ROWS + 1
        enough = math.ceil(math.sqrt(deepest * claims * limits.WALK_US / limits.GATHER_US))
        return _fts5_matches(match, enough), claims

    key = f"search-matches:{hashlib.sha256(match.encode()).hexdigest()}"
    return cache.get_or_set(key, count, limits.COUNTS_SECONDS)


def _fts5_matches(match, at_most):
    """How many claims the FTS5 query matches, counted up to `at_most`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)",  # nosec B608
            [match, at_most],
        )
        return cursor.fetchone()[0]


def ranked(terms, limit):
    """The best `limit` of the newest RANK_WINDOW published matches, and
    whether the last word was matched whole only. The words as typed are
    ranked first; when they fill the window that is the answer, matched
    whole, and otherwise the last word is asked again as a prefix too."""
    ids, window = _ranked(terms, limit, prefix=False)
    if window >= limits.RANK_WINDOW:
        return ids, True
    return _ranked(terms, limit, prefix=True)[0], False


def _ranked(terms, limit, prefix):
    """The best `limit` of the newest RANK_WINDOW published matches, and how
    many matches the window held."""
    sql = (
        "SELECT id, count(*) OVER () FROM ("  # nosec B608 (table names from the model)
        f"SELECT {CLAIMS}.id AS id, bm25({FTS}) AS score "
        f"FROM {FTS} JOIN {CLAIMS} ON {CLAIMS}.id = {FTS}.rowid "
        f"WHERE {FTS} MATCH %s AND {CLAIMS}.status = %s "
        f"ORDER BY {FTS}.rowid DESC LIMIT %s"
        ") AS matches ORDER BY score, id LIMIT %s"
    )
    params = [fts5_query(terms, prefix), Claim.Status.PUBLISHED, limits.RANK_WINDOW, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [row[0] for row in rows], rows[0][1] if rows else 0


def whole_words_only(terms):
    """Whether the last word is matched whole only, not also as the start of
    longer words: when the words as typed already match RANK_WINDOW
    published claims. FTS5 would merge the whole lists of every word
    beginning with it (for "report", lists as long as the table), and the
    prefix adds nothing the ranking would reach."""
    if not terms:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT {CLAIMS}.id FROM {FTS} "  # nosec B608 (table names from the model)
            f"JOIN {CLAIMS} ON {CLAIMS}.id = {FTS}.rowid "
            f"WHERE {FTS} MATCH %s AND {CLAIMS}.status = %s LIMIT %s)",
            [fts5_query(terms, prefix=False), Claim.Status.PUBLISHED, limits.RANK_WINDOW],
        )
        return cursor.fetchone()[0] >= limits.RANK_WINDOW

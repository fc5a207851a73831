"""Full-text search over claims, the same on SQLite and PostgreSQL.

One normaliser prepares both what is indexed and what is asked: casefold;
Arabic without tashkeel or tatweel, with one alef, ى as ي and ة as ه;
Russian ё as е. The indexed text of a claim (its words, original words,
speakers, place and public source titles) is kept, normalised, in
`Claim.search_document`. SQLite indexes it in an FTS5 table kept in sync by
triggers; PostgreSQL in a GIN index over its tsvector. `search()` is the one
interface; `highlight()` marks matches in the original, unnormalised text.
"""

import hashlib
import math
import re
import unicodedata

from django.core.cache import cache
from django.db import connection
from django.db.models import Max
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .limits import (
    COUNTS_SECONDS,
    GATHER_US,
    LIST_MAX_ROWS,
    MAX_QUERY_LENGTH,
    MAX_QUERY_WORDS,
    RANK_WINDOW,
    WALK_US,
)
from .models import Claim, RowTest

# Arabic diacritics (tashkeel: fathatan .. sukun, and the small high marks),
# the superscript alef, and tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ё": "е",
    }
)
# Words: runs of letters and digits (underscores and punctuation separate).
_WORD = re.compile(r"[^\W_]+")


def normalise(text):
    text = unicodedata.normalize("NFC", text or "").casefold()
    text = _ARABIC_MARKS.sub("", text)
    return text.translate(_LETTERS)


def words(text):
    """The normalised words of `text`, in order."""
    return _WORD.findall(normalise(text))


def document(*parts):
    """The indexed form of some texts: their normalised words, space-separated."""
    return " ".join(word for part in parts for word in words(part))


def query_words(query):
    """The words of a reader's query, bounded so no query can be expensive."""
    return words((query or "")[:MAX_QUERY_LENGTH])[:MAX_QUERY_WORDS]


# --- Backends -----------------------------------------------------------------------


def _fts5_query(terms, prefix=True):
    # Each word is quoted, so nothing a reader types is FTS5 syntax; the last
    # word matches as a prefix, as it may still be being typed.
    quoted = [f'"{term}"' for term in terms]
    if prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


def _tsquery(terms):
    # Words contain letters and digits only, never tsquery operators.
    return " & ".join([*terms[:-1], f"{terms[-1]}:*"])


def matching(queryset, query):
    """`queryset` narrowed to claims matching `query` (no ranking)."""
    terms = query_words(query)
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        ids = RawSQL(
            "SELECT id FROM claims_claim "
            "WHERE search_vector @@ to_tsquery('simple'::regconfig, %s)",
            [_tsquery(terms)],
        )
    else:
        match = _fts5_query(terms, prefix=not whole_words_only(terms))
        return queryset.filter(Fts5Match(match, *_frequency(match)))
    return queryset.filter(pk__in=ids)


class Fts5Match(RowTest):
    """True for a claim the FTS5 query `match` matches, which `matches` of
    `claims` published claims do. An unordered query (the list's count) and
    one that would ask too many claims gathers the matches; an ordered query
    for few rows of many matches walks its order and asks each claim."""

    def __init__(self, match, matches, claims, outer="pk"):
        super().__init__(outer)
        self.match, self.matches, self.claims = match, matches, claims

    def walks(self, depth):
        """Whether the rows up to `depth` cost less walked than gathered."""
        if not self.matches or depth is None:
            return False
        asked = depth * self.claims / self.matches
        return asked * WALK_US < self.matches * GATHER_US

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.outer)
        query = compiler.query
        ordered = query.order_by or (query.default_ordering and query.get_meta().ordering)
        # The column is the query's own, compiled by Django; the words are a
        # parameter. Nothing from a request is written into the SQL.
        if ordered and self.walks(query.high_mark):
            sql = (
                "EXISTS (SELECT 1 FROM claims_claim_fts "  # nosec B608
                f"WHERE claims_claim_fts MATCH %s AND claims_claim_fts.rowid = {column})"
            )
        else:
            sql = (
                f"{column} IN (SELECT rowid FROM claims_claim_fts "  # nosec B608
                "WHERE claims_claim_fts MATCH %s)"
            )
        return sql, [*params, self.match]


def _frequency(match):
    """How many claims the FTS5 query matches (counted as far as can change
    how they are read) and about how many claims there are (the highest id:
    counting them took 0.2 s at a million). Kept COUNTS_SECONDS: they choose
    how the matches are read, never which."""

    def count():
        claims = Claim.objects.aggregate(highest=Max("pk"))["highest"] or 0
        # No list reads deeper than its pages go: from this many matches,
        # every depth is walked.
        deepest = LIST_MAX_ROWS + 1
        enough = math.ceil(math.sqrt(deepest * claims * WALK_US / GATHER_US))
        return _fts5_matches(match, enough), claims

    key = f"search-matches:{hashlib.sha256(match.encode()).hexdigest()}"
    return cache.get_or_set(key, count, COUNTS_SECONDS)


def _fts5_matches(match, at_most):
    """How many claims the FTS5 query matches, counted up to `at_most`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT rowid FROM claims_claim_fts "
            "WHERE claims_claim_fts MATCH %s LIMIT %s)",
            [match, at_most],
        )
        return cursor.fetchone()[0]


def ranked_ids(query, limit):
    """Ids of the best `limit` published claims matching `query`, best first."""
    return ranked(query, limit)[0]


def ranked(query, limit):
    """Ids of the best `limit` published claims matching `query`, best first,
    and whether the last word was matched whole only (whole_words_only()).

    Only the newest RANK_WINDOW matches are ranked: a word found in most
    claims costs a bounded walk of the index, not a score for every match,
    and ranking stops at `limit`. On SQLite the words as typed are ranked
    first; when they fill the window that is the answer, matched whole,
    and otherwise the last word is asked again as a prefix too.
    """
    terms = query_words(query)
    if not terms:
        return [], False
    if connection.vendor == "postgresql":
        sql = (
            "SELECT id FROM ("
            "SELECT id, search_vector FROM claims_claim "
            "WHERE status = %s AND search_vector @@ to_tsquery('simple'::regconfig, %s) "
            "ORDER BY id DESC LIMIT %s"
            ") AS matches "
            "ORDER BY ts_rank(search_vector, to_tsquery('simple'::regconfig, %s)) DESC, id "
            "LIMIT %s"
        )
        tsquery = _tsquery(terms)
        with connection.cursor() as cursor:
            cursor.execute(sql, [Claim.Status.PUBLISHED, tsquery, RANK_WINDOW, tsquery, limit])
            return [row[0] for row in cursor.fetchall()], False
    ids, window = _fts5_ranked(terms, limit, prefix=False)
    if window >= RANK_WINDOW:
        return ids, True
    return _fts5_ranked(terms, limit, prefix=True)[0], False


def _fts5_ranked(terms, limit, prefix):
    """The best `limit` of the newest RANK_WINDOW published matches, and how
    many matches the window held."""
    sql = (
        "SELECT id, count(*) OVER () FROM ("
        "SELECT claims_claim.id AS id, bm25(claims_claim_fts) AS score "
        "FROM claims_claim_fts JOIN claims_claim ON claims_claim.id = claims_claim_fts.rowid "
        "WHERE claims_claim_fts MATCH %s AND claims_claim.status = %s "
        "ORDER BY claims_claim_fts.rowid DESC LIMIT %s"
        ") AS matches ORDER BY score, id LIMIT %s"
    )
    params = [_fts5_query(terms, prefix), Claim.Status.PUBLISHED, RANK_WINDOW, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [row[0] for row in rows], rows[0][1] if rows else 0


def whole_words_only(terms):
    """Whether the last word is matched whole only, not also as the start of
    longer words: on SQLite, when the words as typed already match
    RANK_WINDOW published claims. FTS5 would merge the whole lists of every
    word beginning with it (for "report", lists as long as the table), and
    the prefix adds nothing the ranking would reach. PostgreSQL's GIN index
    reads a prefix without that cost, so there it always applies."""
    if connection.vendor == "postgresql" or not terms:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT claims_claim.id FROM claims_claim_fts "
            "JOIN claims_claim ON claims_claim.id = claims_claim_fts.rowid "
            "WHERE claims_claim_fts MATCH %s AND claims_claim.status = %s LIMIT %s)",
            [_fts5_query(terms, prefix=False), Claim.Status.PUBLISHED, RANK_WINDOW],
        )
        return cursor.fetchone()[0] >= RANK_WINDOW


# --- Highlighting ---------------------------------------------------------------------


# Words as written, tashkeel included, so that highlighting keeps the text whole.
_WRITTEN_WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])+")


def _match_spans(text, query):
    terms = query_words(query)
    if not terms:
        return []
    whole, prefix = set(terms[:-1]), terms[-1]
    spans = []
    for match in _WRITTEN_WORD.finditer(text or ""):
        for word in words(match.group()):
            if word in whole or word.startswith(prefix):
                spans.append(match.span())
                break
    return spans


def matches(text, query):
    return bool(_match_spans(text, query))


def highlight(text, query, width=240):
    """A snippet of `text` around the first match of `query`, matches in <mark>.

    Words are compared in normalised form, so 'ادلب' marks 'إِدْلِب' and 'елка'
    marks 'Ёлка', but the text shown is the original.
    """
    text = text or ""
    spans = _match_spans(text, query)
    start = 0
    if spans and len(text) > width:
        start = max(0, spans[0][0] - width // 3)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + width)
    while end < len(text) and not text[end].isspace():
        end += 1
    pieces = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        pieces.append(escape(text[cursor:span_start]))
        pieces.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    # Safe: every piece of the text was escaped above; only <mark> is ours.
    return mark_safe("".join(pieces))  # nosec B308 B703


# --- The indexes, created by migrations ------------------------------------------------

SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS claims_claim_fts USING fts5("
    "search_document, content='claims_claim', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS claims_claim_fts_insert AFTER INSERT ON claims_claim BEGIN "
    "INSERT INTO claims_claim_fts(rowid, search_document) "
    "VALUES (new.id, new.search_document); END",
    "CREATE TRIGGER IF NOT EXISTS claims_claim_fts_delete AFTER DELETE ON claims_claim BEGIN "
    "INSERT INTO claims_claim_fts(claims_claim_fts, rowid, search_document) "
    "VALUES ('delete', old.id, old.search_document); END",
    "CREATE TRIGGER IF NOT EXISTS claims_claim_fts_update "
    "AFTER UPDATE OF search_document ON claims_claim BEGIN "
    "INSERT INTO claims_claim_fts(claims_claim_fts, rowid, search_document) "
    "VALUES ('delete', old.id, old.search_document); "
    "INSERT INTO claims_claim_fts(rowid, search_document) "
    "VALUES (new.id, new.search_document); END",
    "INSERT INTO claims_claim_fts(claims_claim_fts) VALUES ('rebuild')",
]
SQLITE_TRIGGERS = ["claims_claim_fts_insert", "claims_claim_fts_delete", "claims_claim_fts_update"]

# PostgreSQL keeps each document's tsvector in a stored generated column, so
# that neither matching nor ranking parses a document again, and indexes it.
POSTGRESQL_INDEX = [
    "ALTER TABLE claims_claim ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(search_document, ''))) "
    "STORED",
    "CREATE INDEX IF NOT EXISTS claims_claim_search_vector ON claims_claim "
    "USING gin (search_vector)",
    # An earlier index over the expression, which the column replaces.
    "DROP INDEX IF EXISTS claims_claim_search_gin",
]


def install_index(apps=None, schema_editor=None):
    """Create the search index for this database. Safe to run again: a later
    migration that makes SQLite rebuild the claims table (which drops its
    triggers) must call it."""
    statements = SQLITE_INDEX if schema_editor.connection.vendor == "sqlite" else POSTGRESQL_INDEX
    for statement in statements:
        schema_editor.execute(statement)


def remove_index(apps=None, schema_editor=None):
    if schema_editor.connection.vendor == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        schema_editor.execute("DROP TABLE IF EXISTS claims_claim_fts")
    else:
        schema_editor.execute("DROP INDEX IF EXISTS claims_claim_search_vector")
        schema_editor.execute("ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector")
        schema_editor.execute("DROP INDEX IF EXISTS claims_claim_search_gin")

"""Matches marked in a claim's own words, as written: words are compared in
normalised form, so "ادلب" marks "إِدْلِب" and "елка" marks "Ёлка", but the
text shown is the original."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

from claims.text import WRITTEN_WORD, query_words, words


def _match_spans(text, query):
    terms = query_words(query)
    if not terms:
        return []
    whole, prefix = set(terms[:-1]), terms[-1]
    spans = []
    for match in WRITTEN_WORD.finditer(text or ""):
        for word in words(match.group()):
            if word in whole or word.startswith(prefix):
                spans.append(match.span())
                break
    return spans


def matches(text, query):
    return bool(_match_spans(text, query))


def highlight(text, query, width=240):
    """A snippet of `text` around the first match of `query`, matches in <mark>."""
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

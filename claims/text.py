"""Text as search reads it, with no Django: the one normaliser for what is
indexed and what is asked, the words of a text, and the recipe of a claim's
search document.

The normaliser casefolds; writes Arabic without tashkeel or tatweel, with
one alef, ى as ي and ة as ه; and Russian ё as е. So "ادلب" finds "إِدْلِب"
and "елка" finds "Ёлка".
"""

import re
import unicodedata

from .limits import MAX_QUERY_LENGTH, MAX_QUERY_WORDS

# Arabic diacritics (tashkeel: fathatan .. sukun, and the small high marks),
# the superscript alef, and tatweel.
ARABIC_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_ARABIC_MARKS = re.compile(f"[{ARABIC_MARKS}]")
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
# Words as written, tashkeel included, so that highlighting keeps the text whole.
WRITTEN_WORD = re.compile(f"(?:[^\\W_]|[{ARABIC_MARKS}])+")


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


def claim_document(text, original_text, place, speakers, source_titles):
    """A claim's search document: what it says (in English and in the
    original), where, who said it and for whom (each a name and a short
    name), and the titles of the public sources it cites, each title once."""
    names = [name for speaker in speakers for name in speaker]
    return document(text, original_text, place, *names, *sorted(set(source_titles)))

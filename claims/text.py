"""Text with no Django: how search reads it, how names are compared, how
slugs are made and where a text's links are.

- `normalise`, `words`, `document`, `query_words`, `claim_document`: the one
  normaliser for what is indexed and what is asked, the words of a text, and
  the recipe of a claim's search document. The normaliser casefolds; writes
  Arabic without tashkeel or tatweel, with one alef, ى as ي and ة as ه; and
  Russian ё as е. So "ادلب" finds "إِدْلِب" and "елка" finds "Ёлка".
- `fold`: the normaliser, and Latin letters without their accents ("Erdoğan"
  as "erdogan", "Łódź" as "lodz", "Straße" as "strasse") and digits of every
  script as ASCII digits. Cyrillic, Arabic and the other scripts keep their
  letters (й stays й).
- `name_key`: a name folded, with only its letters and digits, so that
  " Sputnik ", "SPUTNIK" and "sputnik" are one speaker; "Спутник" is another.
- `transliterate`, `slug_text`: ASCII for suggestions and slugs, never for
  matching.
- `urls_in`, `URL_PATTERN`: the one rule that finds http(s) links in a text.
"""

import functools
import re
import unicodedata

from anyascii import anyascii

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


# Latin letters that Unicode decomposition does not take to a base letter:
# ligatures and letters of their own, and letters with a stroke, bar or hook.
# Lower case only: `fold` casefolds first (ẞ and ß are "ss" by then).
LATIN_LETTERS = {
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ĳ": "ij",
    "ǆ": "dz",
    "ǳ": "dz",
    "ǉ": "lj",
    "ǌ": "nj",
    "þ": "th",
    "ð": "d",
    "đ": "d",
    "ł": "l",
    "ŀ": "l",
    "ø": "o",
    "ı": "i",
    "ȷ": "j",
    "ħ": "h",
    "ŧ": "t",
    "ĸ": "k",
    "ƀ": "b",
    "ɓ": "b",
    "ƈ": "c",
    "ȼ": "c",
    "ɗ": "d",
    "ɖ": "d",
    "ɇ": "e",
    "ƒ": "f",
    "ǥ": "g",
    "ɠ": "g",
    "ɨ": "i",
    "ɉ": "j",
    "ƙ": "k",
    "ƚ": "l",
    "ɍ": "r",
    "ʉ": "u",
    "ƴ": "y",
    "ɏ": "y",
    "ƶ": "z",
    "ȥ": "z",
}
# Fullwidth Latin small letters (ａ..ｚ, after casefolding) are their ASCII letters.
_FULLWIDTH_A, _FULLWIDTH_Z = "\uff41", "\uff5a"
_FULLWIDTH_OFFSET = 0xFF41 - ord("a")


@functools.lru_cache(maxsize=4096)
def _folded_char(char):
    """What `fold` writes for one character of a decomposed text, and whether
    it is a combining mark ("mark"), a Latin letter ("latin") or else ("other")."""
    category = unicodedata.category(char)
    if category[0] == "M":
        return char, "mark"
    if char in LATIN_LETTERS:
        return LATIN_LETTERS[char], "latin"
    if _FULLWIDTH_A <= char <= _FULLWIDTH_Z:
        return chr(ord(char) - _FULLWIDTH_OFFSET), "latin"
    if category == "Nd":
        return str(unicodedata.decimal(char)), "other"
    if category[0] == "L" and unicodedata.name(char, "").startswith("LATIN "):
        return char, "latin"
    return char, "other"


def fold(text):
    """`text` as names and aliases are compared: normalised (casefolded, with
    the Arabic and ё rules of `normalise`), Latin letters without their
    accents (decomposed, the combining marks of Latin letters dropped; ł, ø,
    đ, ı, ß, æ, œ, þ, ð and the like from `LATIN_LETTERS`), and the digits of
    every script as ASCII digits. The marks of every other script stay, so
    й, ї and ў are kept as they are, and no letter changes script: "спутник"
    is never "sputnik". Whitespace and punctuation are kept. NFC.

    fold("Erdoğan") == fold("ERDOGAN") == "erdogan"; fold("Łódź") == "lodz";
    fold("Ёлка") == "елка"; fold("Йемен") == "йемен"; fold("٦٬٦٨٦") == "6٬686".
    """
    text = normalise(text)
    if text.isascii():
        return text
    folded = []
    after_latin = False
    for char in unicodedata.normalize("NFD", text):
        written, kind = _folded_char(char)
        if kind == "mark":
            if not after_latin:
                folded.append(written)
            continue
        after_latin = kind == "latin"
        folded.append(written)
    return unicodedata.normalize("NFC", "".join(folded))


def name_key(name):
    """The key of a name, for speaker matching and alias lookups: `fold`ed,
    with only its letters, digits and the marks that belong to its letters
    (the vowel signs of Devanagari, say); no spaces of any kind (NBSP among
    them), punctuation or symbols. No transliteration: "Спутник" and
    "Sputnik" have different keys.

    name_key(" Sputnik ") == name_key("SPUTNIK") == "sputnik";
    name_key("Sputnik\\u00a0News") == name_key("sputnik-news") == "sputniknews".
    """
    return "".join(char for char in fold(name) if unicodedata.category(char)[0] in "LNM")


def transliterate(text):
    """`text` in ASCII, every script transliterated by anyascii
    ("Дмитрий Песков" as "Dmitriy Peskov", "東京" as "DongJing").

    For suggestions and slugs only, never to match automatically:
    transliteration guesses, and different names meet in one ASCII spelling.
    """
    return anyascii(text or "")


# Apostrophes (and the backtick anyascii writes for ʿayn) join a slug's word;
# every other character that is not a letter or digit separates words.
_SLUG_JOINERS = re.compile(r"['`]")
_SLUG_WORD = re.compile(r"[a-z0-9]+")


def slug_text(text, max_length):
    """A lowercase ASCII slug of `text`: transliterated, its words of a-z and
    0-9 joined by single hyphens, at most `max_length` characters, cut at the
    end of a word (a first word longer than that is cut where it must be).
    "" when nothing is left. slug_text("Дмитрий Песков", 50) == "dmitriy-peskov".
    """
    ascii_text = _SLUG_JOINERS.sub("", transliterate(text).lower())
    slug = ""
    for word in _SLUG_WORD.findall(ascii_text):
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > max_length:
            return slug or word[: max(max_length, 0)]
        slug = longer
    return slug


# What ends a link, as the inside of a regex character class: whitespace of
# every kind (NBSP too), angle brackets, quotation marks that are never part
# of one, the backtick, a zero-width space or BOM, and Arabic, Devanagari and
# CJK punctuation.
URL_ENDS = (
    '\\s<>"`\u200b\ufeff'
    "«»‹›“”„‟"
    "\u060c\u061b\u061f\u06d4"  # ، ؛ ؟ ۔
    "\u0964\u0965"  # । ॥
    "\u3001\u3002\u3008-\u3011"  # 、。〈〉《》「」『』【】
    "\uff08\uff09\uff0c\uff1a\uff1b\uff01\uff1f"  # （），：；！？
)
# A link: "http://" or "https://" in any case, not glued to an ASCII letter or
# digit before it ("xhttp://"; CJK text right before a link is fine), then
# everything up to what ends a link. One character class under one
# quantifier and nothing nested, so matching is linear in the text's length.
URL_PATTERN = re.compile(f"(?<![A-Za-z0-9])(?i:https?://)[^{URL_ENDS}]+")
# Characters at the end of a match that end the sentence, not the link.
URL_TRAILING = frozenset(".,;:!?'’…")
_URL_BRACKETS = {")": "(", "]": "["}


def _trimmed(url):
    """`url` without the punctuation after it: URL_TRAILING, and a closing
    bracket that no opening bracket in the link matches."""
    opened = {close: url.count(open_) for close, open_ in _URL_BRACKETS.items()}
    closed = {close: url.count(close) for close in _URL_BRACKETS}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in URL_TRAILING:
            end -= 1
        elif last in _URL_BRACKETS and closed[last] > opened[last]:
            closed[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def urls_in(text):
    """The http and https links in `text`, each once, in the order they first
    appear, as written (internationalised hosts and paths included). A link
    ends at whitespace, < > ", curly quotes and Arabic or CJK punctuation;
    the punctuation after it (. , ; : ! ? ' and a closing bracket it did not
    open, as in "(see https://x.org/a)") is left out, and a Wikipedia-style
    "https://en.wikipedia.org/wiki/Foo_(bar)" keeps its own. javascript:,
    ftp: and every other scheme are never links here.
    """
    found = {}
    for match in URL_PATTERN.finditer(text or ""):
        url = _trimmed(match.group())
        if len(url) > url.index("//") + 2:
            found.setdefault(url, None)
    return list(found)

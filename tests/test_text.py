"""claims.text beyond search: folding for names, name keys, transliteration,
slugs and the links in a text. Pure functions; no database."""

import re
import unicodedata

import pytest

from claims.text import (
    URL_PATTERN,
    fold,
    name_key,
    normalise,
    slug_text,
    transliterate,
    urls_in,
)

# fold ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Erdoğan", "erdogan"),
        ("ERDOGAN", "erdogan"),
        ("Erdog\u0306an", "erdogan"),  # written decomposed
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("GROẞ", "gross"),
        ("François Hollande", "francois hollande"),
        ("Nguyễn Tấn Dũng", "nguyen tan dung"),
        ("Đoàn", "doan"),
        ("Søren Kierkegaard", "soren kierkegaard"),
        ("Işık", "isik"),
        ("İstanbul", "istanbul"),
        ("Þórður Guðni", "thordur gudni"),
        ("Æsir Œuvre", "aesir oeuvre"),
        ("Ħamrun", "hamrun"),
        ("Ǆokić", "dzokic"),
        ("ＳＰＵＴＮＩＫ", "sputnik"),  # fullwidth Latin
    ],
)
def test_fold_takes_latin_letters_to_their_base_letter(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ёлка", "елка"),
        ("Е\u0308лка", "елка"),  # ё written decomposed
        ("Йемен", "йемен"),
        ("И\u0306емен", "йемен"),  # й written decomposed comes back composed
        ("Україна, їжа", "україна, їжа"),
        ("Беларусь ўсё", "беларусь ўсе"),
        ("Спутник", "спутник"),
        ("Αθήνα", "αθήνα"),  # Greek keeps its accents
        ("מְדִינָה", "מְדִינָה"),  # Hebrew keeps its points
    ],
)
def test_fold_leaves_other_scripts_letters_alone(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("إِدْلِب", "ادلب"),  # tashkeel
        ("ادلب", "ادلب"),
        ("حـــلـب", "حلب"),  # tatweel
        ("أحمد إبراهيم آمنة ٱلله", "احمد ابراهيم امنه الله"),
        ("مستشفى", "مستشفي"),
        ("مسؤول شؤون", "مسؤول شؤون"),  # ؤ is a letter of its own
        ("رئيس", "رئيس"),
    ],
)
def test_fold_applies_the_arabic_rules_of_normalise(text, folded):
    assert fold(text) == folded
    assert fold(text) == normalise(text)


def test_fold_of_idlib_with_and_without_tashkeel_is_one():
    assert fold("إِدْلِب") == fold("ادلب")


def test_cyrillic_and_latin_never_fold_together():
    assert fold("Спутник") != fold("Sputnik")
    assert fold("С") == "\u0441" != "c"  # Cyrillic es, not Latin c
    assert fold("Сирия") == "сирия"
    assert not fold("Сирия").isascii()
    assert fold("йод") != fold("иод")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("٦٬٦٨٦", "6\u066c686"),  # Arabic-Indic; the Arabic thousands separator stays
        ("٣٫٥", "3\u066b5"),  # the Arabic decimal separator stays
        ("۱۴۰۲", "1402"),  # Extended Arabic-Indic (Persian)
        ("२०२४", "2024"),  # Devanagari
        ("১২৩", "123"),  # Bengali
        ("๒๕๖๗", "2567"),  # Thai
        ("２０２４年", "2024年"),  # fullwidth
        ("𝟙𝟚", "12"),  # mathematical digits
        ("2024", "2024"),
        ("x²", "x²"),  # a superscript is not a digit of a script
    ],
)
def test_fold_writes_digits_of_every_script_in_ascii(text, folded):
    assert fold(text) == folded


def test_fold_keeps_whitespace_and_punctuation():
    assert fold("Łódź,\u00a0Polska!\n\t«Ёж» — 2:1?") == "lodz,\u00a0polska!\n\t«еж» — 2:1?"


@pytest.mark.parametrize("empty", [None, ""])
def test_fold_of_nothing_is_empty(empty):
    assert fold(empty) == "" == normalise(empty)


def test_fold_is_nfc():
    folded = fold("Йемен Erdoğan ؤ 한국어 가")
    assert folded == "йемен erdogan ؤ 한국어 가"
    assert unicodedata.is_normalized("NFC", folded)


# name_key -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [" Sputnik ", "SPUTNIK", "sputnik", "\tSputnik\n", "Spütnik", "sputnik."]
)
def test_name_key_of_sputnik(name):
    assert name_key(name) == "sputnik"


@pytest.mark.parametrize(
    "name",
    [
        "Sputnik\u00a0News",
        "sputnik-news",
        "Sputnik News",
        "Sputnik\u2009News",  # thin space
        "Sputnik\u3000News",  # ideographic space
        "Sputnik_News",
        "«Sputnik» News!",
        "Sputnik/News",
    ],
)
def test_name_key_drops_spaces_punctuation_and_symbols(name):
    assert name_key(name) == "sputniknews"


def test_name_key_does_not_transliterate():
    assert name_key("Спутник") == "спутник"
    assert name_key("Спутник") != name_key("Sputnik")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Erdoğan, R. T.", "erdoganrt"),
        ("Су-35", "су35"),
        ("Йемен", "йемен"),
        ("AT&T™", "att"),
        ("المرصد السوري لحقوق الإنسان", "المرصدالسوريلحقوقالانسان"),
        ("كتيبة ٣٥", "كتيبه35"),
        ("नरेंद्र मोदी", "नरेंद्रमोदी"),  # the vowel signs belong to the letters
        ("Channel 4 🔥", "channel4"),
    ],
)
def test_name_key_keeps_letters_and_digits_of_every_script(name, key):
    assert name_key(name) == key


@pytest.mark.parametrize("empty", [None, "", " \u00a0-–— "])
def test_name_key_of_nothing_is_empty(empty):
    assert name_key(empty) == ""


# transliterate ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ascii"),
    [
        ("Дмитрий Песков", "Dmitriy Peskov"),
        ("المرصد السوري", "lmrsd lswry"),
        ("Straße Łódź", "Strasse Lodz"),
        ("Ελλάδα", "Ellada"),
        ("Plain ASCII, kept.", "Plain ASCII, kept."),
        (None, ""),
    ],
)
def test_transliterate(text, ascii):
    assert transliterate(text) == ascii


def test_transliterate_gives_ascii_for_every_script():
    assert transliterate("Йемен · إدلب · 東京 · नरेंद्र · 한국").isascii()


# slug_text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "max_length", "slug"),
    [
        ("Дмитрий Песков", 50, "dmitriy-peskov"),
        ("المرصد السوري", 50, "lmrsd-lswry"),
        ("  Hello,   World!  ", 50, "hello-world"),
        ("Café-Bar -- 2024", 50, "cafe-bar-2024"),
        ("O’Brien's", 50, "obriens"),  # apostrophes join, they do not separate
        ("北京", 50, "beijing"),
        ("🔥 News", 50, "fire-news"),  # anyascii names emoji
        ("one two three", 13, "one-two-three"),
        ("one two three", 12, "one-two"),
        ("one two three", 7, "one-two"),
        ("one two three", 6, "one"),
        ("abcdefghij klm", 4, "abcd"),  # a word longer than the slug is cut hard
        ("abc", 3, "abc"),
    ],
)
def test_slug_text(text, max_length, slug):
    assert slug_text(text, max_length) == slug


@pytest.mark.parametrize("text", [None, "", "   ", "!!! — ???", "\u200b"])
def test_slug_text_of_nothing_is_empty(text):
    assert slug_text(text, 50) == ""


def test_slug_text_of_no_length_is_empty():
    assert slug_text("anything", 0) == ""


@pytest.mark.parametrize(
    "text", ["-a--b-", "Ёлка — «новая»!", "Erdoğan: 'no'", "  x  ", "a - - - b", "١٢ ٣٤"]
)
def test_slug_text_has_only_single_hyphens_between_words(text):
    slug = slug_text(text, 50)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)


# urls_in ------------------------------------------------------------------


def test_urls_in_a_sentence():
    assert urls_in("Read https://example.org/report.pdf first") == [
        "https://example.org/report.pdf"
    ]


@pytest.mark.parametrize("text", [None, "", "no link here", "example.org/a", "http:/x.org"])
def test_no_urls(text):
    assert urls_in(text) == []


@pytest.mark.parametrize("after", [".", ",", ";", ":", "!", "?", "...", "'", "’", "…", "?!"])
def test_urls_in_leave_out_the_punctuation_after_a_link(after):
    assert urls_in(f"See https://x.org/a/b{after} Then more.") == ["https://x.org/a/b"]


@pytest.mark.parametrize(
    "text",
    [
        '"https://x.org/a"',
        "'https://x.org/a'",
        "“https://x.org/a”",
        "«https://x.org/a»",
        "„https://x.org/a“",
        "<https://x.org/a>",
        "(https://x.org/a)",
        "[https://x.org/a]",
        "(see https://x.org/a).",
        "“https://x.org/a”, he said",
        "`https://x.org/a`",
    ],
)
def test_urls_in_lose_the_quotes_and_brackets_around_a_link(text):
    assert urls_in(text) == ["https://x.org/a"]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        (
            "(see https://en.wikipedia.org/wiki/Foo_(bar)).",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
        ("https://x.org/notes[1]", "https://x.org/notes[1]"),
        ("[https://x.org/notes[1]]", "https://x.org/notes[1]"),
        ("https://x.org/a)b", "https://x.org/a)b"),  # a bracket inside is kept
        ("https://x.org/a_(b", "https://x.org/a_(b"),
    ],
)
def test_urls_in_keep_the_brackets_a_link_opens(text, url):
    assert urls_in(text) == [url]


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "<a href='javascript:alert(document.cookie)'>x</a>",
        "ftp://x.org/file",
        "mailto:someone@x.org",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "xhttps://x.org/a",
        "https://",
        "https://.",
        "https://)",
    ],
)
def test_urls_in_find_only_http_and_https(text):
    assert urls_in(text) == []


def test_urls_in_take_the_scheme_in_any_case_and_keep_it_as_written():
    assert urls_in("HTTP://EXAMPLE.ORG/A and Https://x.org/B") == [
        "HTTP://EXAMPLE.ORG/A",
        "Https://x.org/B",
    ]


def test_urls_in_several_links_each_once_in_order():
    text = "b https://b.org/1, a http://a.org/2; b again https://b.org/1. c https://c.org/3"
    assert urls_in(text) == ["https://b.org/1", "http://a.org/2", "https://c.org/3"]


def test_urls_in_a_link_at_the_end_of_the_text():
    assert urls_in("the source: https://x.org/a?b=1&c=2#d") == ["https://x.org/a?b=1&c=2#d"]


@pytest.mark.parametrize(
    "text",
    [
        "https://x.org/a\nhttps://y.org/b",
        "https://x.org/a\r\nhttps://y.org/b\r\n",
        "https://x.org/a\u00a0https://y.org/b",  # NBSP
        "https://x.org/a\u2003https://y.org/b",  # em space
        "https://x.org/a\thttps://y.org/b",
        "https://x.org/a\u200bhttps://y.org/b",  # zero-width space
    ],
)
def test_urls_in_end_a_link_at_whitespace_of_every_kind(text):
    assert urls_in(text) == ["https://x.org/a", "https://y.org/b"]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("المصدر: https://x.org/a، وقال", "https://x.org/a"),  # Arabic comma
        ("هل رأيت https://x.org/a؟", "https://x.org/a"),  # Arabic question mark
        ("انظر https://x.org/a؛ ثم", "https://x.org/a"),  # Arabic semicolon
        ("请看https://x.org/a。谢谢", "https://x.org/a"),  # CJK full stop, no space before
        ("見て「https://x.org/a」、ね", "https://x.org/a"),
        ("देखें https://x.org/a। धन्यवाद", "https://x.org/a"),  # danda
    ],
)
def test_urls_in_end_a_link_at_arabic_cjk_and_devanagari_punctuation(text, url):
    assert urls_in(text) == [url]


@pytest.mark.parametrize(
    "url",
    [
        "https://ru.wikipedia.org/wiki/Сирия",
        "https://ar.wikipedia.org/wiki/إدلب",
        "https://пример.рф/путь",
        "http://例子.测试/路径",
        "https://x.org/%D0%A1%D0%B8%D1%80%D0%B8%D1%8F",
    ],
)
def test_urls_in_keep_international_hosts_and_paths_as_written(url):
    assert urls_in(f"Источник: {url}. Далее") == [url]


def test_url_pattern_is_the_rule():
    assert isinstance(URL_PATTERN, re.Pattern)
    assert URL_PATTERN.search("go to https://x.org/a now").group() == "https://x.org/a"


def test_urls_in_long_junk():
    # One character class under one quantifier: long junk is read in one pass.
    assert urls_in("http://" * 20_000) == ["http://" * 20_000]
    assert urls_in("https://a" + ")" * 100_000) == ["https://a"]
    assert urls_in("https://a" + "." * 100_000) == ["https://a"]
    assert urls_in("(https://" + "(" * 100_000) == ["https://" + "(" * 100_000]
    assert urls_in("http:/" * 20_000 + "h" * 100_000) == []
    assert urls_in("xhttps://a " * 10_000) == []

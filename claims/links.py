"""Web addresses, with no Django: the one rule for when two addresses name
the same document, and which hosts are link shorteners.

Two addresses are the same document when their normal forms are equal:
scheme and host lower-cased, the default port dropped, a trailing slash
dropped, the fragment and `utm_*` tracking parameters dropped, the other
parameters kept in their order. Nothing is fetched: a shortened link is
kept as given and only flagged, since where it leads is not known here.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["SHORTENERS", "is_shortened", "is_web_address", "normal_url"]

DEFAULT_PORTS = {"http": 80, "https": 443}

# Hosts whose links only redirect elsewhere.
SHORTENERS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "buff.ly",
        "cutt.ly",
        "dlvr.it",
        "fb.me",
        "goo.gl",
        "is.gd",
        "lnkd.in",
        "ow.ly",
        "rb.gy",
        "rebrand.ly",
        "shorturl.at",
        "t.co",
        "t.ly",
        "tiny.cc",
        "tinyurl.com",
        "trib.al",
        "v.gd",
        "vk.cc",
        "clck.ru",
    }
)


def is_web_address(url):
    """Whether `url` is an absolute http(s) address with a host."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return False
    return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)


def normal_url(url):
    """The normal form of a web address (see the module's docstring); an
    address that is not http(s) is returned trimmed, as it is."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_")
    ]
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def is_shortened(url):
    """Whether `url` is on a link shortener (SHORTENERS)."""
    try:
        host = (urlsplit((url or "").strip()).hostname or "").lower()
    except ValueError:
        return False
    return host.removeprefix("www.") in SHORTENERS

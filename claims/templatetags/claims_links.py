import unicodedata

from django import template
from django.template.defaultfilters import stringfilter, truncatechars
from django.utils.html import format_html_join

from claims.jsonld import web_url

register = template.Library()


@register.filter
def is_web_url(value):
    """Only http(s) addresses become links; anything else is shown as text."""
    return bool(web_url(value or ""))


@register.filter(is_safe=True)
@stringfilter
def clip(value, length):
    """truncatechars, without reading a text that already fits: Django's
    filter looks at every character of every text (a few hundred per page)."""
    try:
        length = int(length)
    except ValueError:
        return value  # as truncatechars does
    text = unicodedata.normalize("NFC", value)  # as truncatechars does
    return text if len(text) <= length else truncatechars(text, length)


@register.filter(is_safe=True)
def links(items):
    """Speakers, topics: each a link to its page, comma-separated, every name
    isolated from the text around it (<bdi>). One call instead of a template
    loop: an organisation's page names a hundred members."""
    return format_html_join(
        ", ",
        '<a href="{}"><bdi>{}</bdi></a>',
        ((item.get_absolute_url(), item.name) for item in items),
    )


CLAIM_ITEM = (
    '<li><a href="{}"><bdi>{}</bdi></a>\n  <span class="muted">— <bdi>{}</bdi>, {}{}</span></li>'
)


@register.filter(is_safe=True)
def claim_items(claims):
    """A list's claims (words, speaker, date, counterclaims), each an item
    linking to its page. Built in one call: a template included for each of
    them cost more than the rest of a speaker's page."""
    return format_html_join(
        "",
        CLAIM_ITEM,
        (
            (
                claim.get_absolute_url(),
                clip(claim.text, 160),
                (claim.speaker and claim.speaker.name) or "speaker not stated",
                claim.said_display,
                f", answered by {claim.counterclaim_count}" if claim.counterclaim_count else "",
            )
            for claim in claims
        ),
    )

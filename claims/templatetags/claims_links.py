from django import template
from django.template.defaultfilters import truncatechars

from claims.jsonld import web_url

register = template.Library()


@register.filter
def is_web_url(value):
    """Only http(s) addresses become links; anything else is shown as text."""
    return bool(web_url(value or ""))


@register.filter(is_safe=True)
def clip(value, length):
    """truncatechars, without reading a text that already fits: Django's
    filter looks at every character of every text (a few hundred per page)."""
    if isinstance(value, str) and len(value) <= int(length):
        return value
    return truncatechars(value, length)

from django import template

from claims.jsonld import web_url

register = template.Library()


@register.filter
def is_web_url(value):
    """Only http(s) addresses become links; anything else is shown as text."""
    return bool(web_url(value or ""))

"""Addresses of the pages named by a slug (claims, speakers, sources), made
many to a page: each route is reversed once, then a slug is put in its place.
Slugs hold only characters that need no quoting in a path."""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

MARKER = "0-slug-0"


@lru_cache(maxsize=32)
def _route(name, prefix, urlconf):
    head, _, tail = reverse(name, args=[MARKER], urlconf=urlconf).rpartition(MARKER)
    return head, tail


def slug_url(name, slug):
    """reverse(name, args=[slug]), about four times as fast."""
    head, tail = _route(name, get_script_prefix(), get_urlconf())
    return f"{head}{slug}{tail}"


@receiver(setting_changed)
def _forget_routes(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _route.cache_clear()

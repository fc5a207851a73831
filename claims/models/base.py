"""What every model module shares: the language-code rule, text direction,
admin addresses, a correlated count, and lookups by slug."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

__all__ = [
    "RTL_LANGUAGES",
    "SlugQuerySet",
    "admin_url",
    "count_of",
    "language_code_validator",
    "related",
    "text_direction",
]


language_code_validator = RegexValidator(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
    "Give a language code such as “ar”, “ru”, “en” or “zh-Hant” (BCP 47).",
)

# Scripts written right to left; a quote in one of these gets dir="rtl".
RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"}


def text_direction(language_code):
    primary = (language_code or "").split("-")[0].lower()
    return "rtl" if primary in RTL_LANGUAGES else "ltr"


def admin_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def count_of(rows, field, outer="pk"):
    """A correlated COUNT of `rows` (a model or a queryset) whose `field`
    points at the outer row's `outer`: one query for a whole list, none per row."""
    if isinstance(rows, type):
        rows = rows._default_manager.all()
    rows = (
        rows.filter(**{field: OuterRef(outer)})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def related(model, name):
    """The model that `name`, a relation of `model`, leads to: how one model
    module names a model defined in a later one without importing it (the
    modules of this package import in one direction only)."""
    return model._meta.get_field(name).related_model

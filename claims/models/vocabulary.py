"""Our own vocabularies: topics, and the measures figures count."""

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .base import SlugQuerySet, admin_url

__all__ = ["Measure", "Topic"]


class Topic(models.Model):
    """Our own tags for what claims are about."""

    slug = models.SlugField(
        max_length=100, unique=True, help_text="Stable identifier used in links and fixtures."
    )
    name = models.CharField(max_length=200, unique=True, help_text="e.g. “Civilian casualties”.")
    description = models.TextField(blank=True, help_text="Public: what the topic covers.")

    history = HistoricalRecords()
    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "topic"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('claims:claim_list')}?topic={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Measure(models.Model):
    """What a figure counts: a controlled vocabulary shared by all claims."""

    class Unit(models.TextChoices):
        PEOPLE = "people", "people"
        ATTACKS = "attacks", "attacks"
        INCIDENTS = "incidents", "incidents"
        PERCENT = "percent", "percent"
        OTHER = "other", "other"

    slug = models.SlugField(
        max_length=100, unique=True, help_text="Stable identifier used in links and fixtures."
    )
    name = models.CharField(
        max_length=200, unique=True, help_text="What is counted, e.g. “civilians killed”."
    )
    unit = models.CharField(max_length=20, choices=Unit.choices, help_text="What one counts.")
    description = models.TextField(
        blank=True, help_text="Public: what is and is not counted under this measure."
    )

    history = HistoricalRecords()
    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "measure"

    def __str__(self):
        return f"{self.name} ({self.get_unit_display()})"

    def get_absolute_url(self):
        return admin_url(self)  # no public page of its own

    def natural_key(self):
        return (self.slug,)

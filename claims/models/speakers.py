"""Speakers: the people and bodies who make statements or are spoken about."""

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from ..routes import slug_url
from .base import SlugQuerySet, count_of, related
from .sql import PublicSpeaker

__all__ = ["Speaker", "SpeakerQuerySet"]


class SpeakerQuerySet(SlugQuerySet):
    def public(self):
        """Speakers a reader may see (see PublicSpeaker)."""
        return self.filter(PublicSpeaker())

    def _statements(self):
        return related(self.model, "claims").objects.published()

    def speaking(self):
        """Speakers with published statements of their own."""
        return self.filter(Exists(self._statements().filter(speaker=OuterRef("pk"))))

    def with_published_counts(self):
        """How many published statements each speaker made (published_count),
        asked of each speaker: for the speakers a page shows, not by grouping
        every claim."""
        return self.annotate(published_count=count_of(self._statements(), "speaker"))

    def organisations(self):
        return self.exclude(kind=Speaker.Kind.PERSON)

    def people(self):
        return self.filter(kind=Speaker.Kind.PERSON)


class Speaker(models.Model):
    """A person or body that makes statements or is spoken about."""

    class Kind(models.TextChoices):
        PERSON = "person", "person"
        GOVERNMENT = "government", "government"
        MILITARY = "military", "military"
        ARMED_GROUP = "armed_group", "armed group"
        NGO = "ngo", "NGO or watchdog"
        MEDIA = "media", "media"
        INTERNATIONAL_BODY = "international_body", "international body"
        UNATTRIBUTED = "unattributed", "unattributed"
        OTHER = "other", "other"

    name = models.CharField(max_length=200, help_text="The name readers know the speaker by.")
    short_name = models.CharField(
        max_length=50, blank=True, help_text="An abbreviation readers know, e.g. “SNHR”."
    )
    slug = models.SlugField(
        max_length=100, unique=True, help_text="Stable identifier used in links and fixtures."
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        help_text="“Unattributed” stands for wordings like “officials said” or “reportedly”.",
    )
    organisations = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="members",
        limit_choices_to=~Q(kind="person"),
        help_text="Bodies this speaker belongs to or speaks for, e.g. Dmitry Peskov – Kremlin.",
    )
    description = models.TextField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    country = CountryField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[organisations])
    objects = SpeakerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "slug"]
        verbose_name = "speaker"
        indexes = [
            # The claims list sorted by speaker walks speakers in name order and
            # each one's claims by the claims_list_speaker index: no sort of all claims.
            models.Index(fields=["name", "id"], name="claims_speaker_by_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_url("claims:speaker_detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    @property
    def is_person(self):
        return self.kind == self.Kind.PERSON

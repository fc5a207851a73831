"""Speakers: the people and bodies who make statements or are spoken about."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from ..routes import slug_url
from ..text import name_key
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
    aliases = models.JSONField(
        _("aliases"),
        default=list,
        blank=True,
        help_text=_(
            "Other names and spellings of this speaker, one per line, e.g. “SputnikNews”, "
            "“Спутник”. Imports and the list's filters match names to speakers through these."
        ),
    )
    description = models.TextField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    country = CountryField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

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

    def names(self):
        """Every name the speaker goes by: name, short name, then aliases."""
        return [n for n in (self.name, self.short_name, *(self.aliases or [])) if n]

    def name_keys(self):
        return {name_key(n) for n in self.names()} - {""}

    def clean(self):
        aliases = self.aliases if self.aliases is not None else []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ValidationError({"aliases": _("Give the aliases as a list of names.")})
        # Trimmed, each once (names that differ only in case or spacing are one).
        kept, keys = [], {name_key(self.name), name_key(self.short_name)}
        for alias in aliases:
            alias = " ".join(alias.split())
            if alias and name_key(alias) not in keys:
                kept.append(alias)
                keys.add(name_key(alias))
        self.aliases = kept
        clash = alias_clash(self)
        if clash:
            raise ValidationError({"aliases": clash})


def alias_clash(speaker):
    """Why the speaker's aliases cannot be kept: one of them is already a
    name, short name or alias of another speaker (a name must lead to one
    speaker), or None."""
    mine = {name_key(a): a for a in speaker.aliases or [] if name_key(a)}
    if not mine:
        return None
    others = Speaker.objects.exclude(pk=speaker.pk).only("slug", "name", "short_name", "aliases")
    for other in others.iterator(chunk_size=2000):
        for key in other.name_keys() & mine.keys():
            return _("“%(alias)s” already names the speaker “%(other)s” (%(slug)s).") % {
                "alias": mine[key],
                "other": other.name,
                "slug": other.slug,
            }
    return None

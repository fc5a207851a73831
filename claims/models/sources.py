"""Sources: the documents where statements appeared or that give evidence."""

from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

from ..choices import ClaimStatus
from ..dates import FuzzyDate, Precision, precision_constraint, truncate
from ..links import normal_url
from ..routes import slug_url
from .base import SlugQuerySet, language_code_validator, related
from .evidence import EvidenceFileField, validate_evidence_file
from .speakers import Speaker

__all__ = ["NOT_STATED", "Source", "SourceQuerySet"]


class SourceQuerySet(SlugQuerySet):
    def public(self):
        """Sources that may be shown to readers: restricted ones never are."""
        return self.filter(restricted=False)

    def visible(self):
        """Public sources a published claim cites, or that such a source relays."""
        citations = related(self.model, "citations")
        cited = citations.objects.filter(claim__status=ClaimStatus.PUBLISHED)
        return self.public().filter(
            Exists(cited.filter(source=OuterRef("pk")))
            | Exists(cited.filter(source__restricted=False, source__relays=OuterRef("pk")))
        )


NOT_STATED = "not stated"


class Source(models.Model):
    """A document where a statement appeared or that gives evidence."""

    class Kind(models.TextChoices):
        REPORT = "report", "report"
        NEWS_ARTICLE = "news_article", "news article"
        OFFICIAL_STATEMENT = "official_statement", "official statement"
        TRANSCRIPT = "transcript", "transcript"
        VIDEO = "video", "video"
        SOCIAL_MEDIA_POST = "social_media_post", "social media post"
        DATASET = "dataset", "dataset"
        OTHER = "other", "other"

    slug = models.SlugField(
        max_length=100, unique=True, help_text="Stable identifier used in links and fixtures."
    )
    title = models.CharField(max_length=500, blank=True, help_text="Leave empty if not stated.")
    publisher = models.ForeignKey(
        Speaker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_sources",
        help_text="Usually a media outlet or NGO. Leave empty if not stated.",
    )
    url = models.URLField("URL", max_length=2000, blank=True)
    # Derived: the URL's normal form (claims.links.normal_url), by which an
    # import finds the source of an address however it is written.
    url_key = models.CharField(
        max_length=2000, blank=True, db_index=True, editable=False, serialize=False
    )
    published_on = models.DateField(
        "publication date",
        null=True,
        blank=True,
        help_text="Leave empty if not stated. With month or year precision, any day in it.",
    )
    published_precision = models.CharField(
        "publication date precision",
        max_length=5,
        choices=Precision.choices,
        default=Precision.DAY,
    )
    date_note = models.CharField(
        max_length=500,
        blank=True,
        help_text="Where the date comes from when the document itself does not give it.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS_ARTICLE)
    note = models.TextField(
        blank=True,
        help_text="Public: what the document is, or how it is known when no copy is at hand.",
    )
    language = models.CharField(
        max_length=35,
        blank=True,
        validators=[language_code_validator],
        help_text="Language code of the document, e.g. “en”, “ar”, “ru”.",
    )
    archive_url = models.URLField(
        "archived copy", max_length=2000, blank=True, help_text="A web archive copy."
    )
    accessed_on = models.DateField("access date", null=True, blank=True)
    file = EvidenceFileField(
        "evidence file",
        upload_to="evidence/%Y/%m/",
        blank=True,
        validators=[validate_evidence_file],
        help_text="A preserved copy (PDF, image, audio, video, WARC, office document or "
        "plain text). Its SHA-256 is computed when it is uploaded.",
    )
    file_sha256 = models.CharField("SHA-256 of the file", max_length=64, blank=True, editable=False)
    relays = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="relayed_by",
        help_text=(
            "Sources this one reports on, e.g. an article relaying an SNHR report. "
            "Two sources relaying the same report are not independent."
        ),
    )
    restricted = models.BooleanField(
        default=False,
        help_text="Never shown to readers or exported publicly (e.g. to protect witnesses).",
    )
    internal_notes = models.TextField(blank=True, help_text="For editors only; never public.")
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    history = HistoricalRecords(m2m_fields=[relays], excluded_fields=["url_key"])
    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        verbose_name = "source"
        constraints = [
            precision_constraint("source", "published_on", "published_precision"),
        ]

    def __str__(self):
        if self.title:
            return self.title
        known = [
            part
            for part in (self.publisher.name if self.publisher else "", self.published_display)
            if part and part != NOT_STATED
        ]
        return f"Untitled ({', '.join(known)})" if known else f"Untitled ({self.slug})"

    # Fields derived from others, set by clean() and save(): an import writes them too.
    DERIVED_FIELDS = ("url_key",)

    def save(self, *args, **kwargs):
        if not self.file:
            self.file_sha256 = ""
        self.url_key = normal_url(self.url) if self.url else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("claims:source_detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    @property
    def published(self):
        return FuzzyDate.from_fields(self.published_on, self.published_precision)

    @property
    def published_display(self):
        return str(self.published) if self.published else NOT_STATED

    @property
    def title_display(self):
        return self.title or NOT_STATED

    @property
    def publisher_display(self):
        return self.publisher.name if self.publisher else NOT_STATED

    def clean(self):
        self.url_key = normal_url(self.url) if self.url else ""
        if self.published_on:
            self.published_on = truncate(self.published_on, self.published_precision)

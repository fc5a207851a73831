"""The claims domain: who said what, when, where it appeared, on what
evidence, with which numbers, and which statements answer which.

Every model has a natural key, so fixtures move between databases without
numeric ids, and a history of every change (django-simple-history).
"""

import datetime
import hashlib
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce, Greatest, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from . import registry, workflow
from .choices import Assessment, CitationRole, ClaimStatus, DateQualifier
from .dates import FuzzyDate, Precision, period_display, precision_constraint, truncate
from .dates import ends_by as period_ends_by
from .db import RowTest
from .routes import slug_url
from .text import claim_document

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


def organisation_unit(organisation):
    """A subquery: the organisation and everyone who belongs to it, directly or
    through bodies within it. One recursive query; a cycle of memberships ends."""
    through = Speaker.organisations.through._meta
    member = through.get_field("from_speaker").column
    body = through.get_field("to_speaker").column
    # Names from the model's own metadata; the organisation is a parameter.
    return RawSQL(  # nosec B611
        "WITH RECURSIVE unit(id) AS ("  # nosec B608
        "SELECT CAST(%s AS BIGINT) "
        f"UNION SELECT m.{member} FROM {through.db_table} m JOIN unit ON m.{body} = unit.id"
        ") SELECT id FROM unit",
        [organisation.pk],
    )


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


# --- Speakers ---------------------------------------------------------------


class PublicSpeaker(RowTest):
    """True for a speaker readers may see: one named by a published claim (as
    its speaker, the body spoken for, a party accused, or to whom a figure is
    attributed) or publishing a public source such a claim cites; and a body
    one of those belongs to. Someone known only from drafts stays unseen.

    The SQL is written once from the models' metadata. As ten ORM EXISTS
    subqueries the same rule took 4 ms to build and compile per request,
    more than the database took to answer it.
    """

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.outer)
        if params:
            raise ValueError("PublicSpeaker needs a column, not an expression with parameters.")
        named, membership = public_speaker_sql(connection)
        sql = f"({named.format(speaker=column)} OR {membership.format(speaker=column)})"
        return sql, [Claim.Status.PUBLISHED.value] * sql.count("%s")


def public_speaker_sql(connection):
    """The two halves of PublicSpeaker's SQL, with {speaker} for the speaker's
    id column: where a published claim names the speaker, and the membership
    of someone so named. Written once per kind of database."""
    kind = type(connection.ops)
    if kind not in _PUBLIC_SPEAKER_SQL:
        _PUBLIC_SPEAKER_SQL[kind] = _write_public_speaker_sql(connection.ops.quote_name)
    return _PUBLIC_SPEAKER_SQL[kind]


_PUBLIC_SPEAKER_SQL = {}


def _write_public_speaker_sql(quote):
    # Table and column names come from the models, quoted; the status is a
    # parameter. Nothing here comes from a request (hence the nosec B608).

    def table(model):
        return quote(model._meta.db_table)

    def column(model, field):
        return quote(model._meta.get_field(field).column)

    accused = Claim.accused.through
    members = Speaker.organisations.through
    published = f"c.{column(Claim, 'status')} = %s"

    def named(speaker):
        return " OR ".join(
            [
                f"EXISTS (SELECT 1 FROM {table(Claim)} c WHERE {published} "  # nosec B608
                f"AND c.{column(Claim, 'speaker')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(Claim)} c WHERE {published} "  # nosec B608
                f"AND c.{column(Claim, 'speaking_for')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(accused)} a JOIN {table(Claim)} c "  # nosec B608
                f"ON c.{column(Claim, 'id')} = a.{column(accused, 'claim')} "
                f"WHERE {published} AND a.{column(accused, 'speaker')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(Figure)} f JOIN {table(Claim)} c "  # nosec B608
                f"ON c.{column(Claim, 'id')} = f.{column(Figure, 'claim')} "
                f"WHERE {published} AND f.{column(Figure, 'attributed_to')} = {speaker})",
                f"EXISTS (SELECT 1 FROM {table(Citation)} i JOIN {table(Claim)} c "  # nosec B608
                f"ON c.{column(Claim, 'id')} = i.{column(Citation, 'claim')} "
                f"JOIN {table(Source)} s ON s.{column(Source, 'id')} = "
                f"i.{column(Citation, 'source')} WHERE {published} "
                f"AND s.{column(Source, 'publisher')} = {speaker} "
                f"AND NOT s.{column(Source, 'restricted')})",
            ]
        )

    member = f"m.{column(members, 'from_speaker')}"
    return (
        named("{speaker}"),
        f"EXISTS (SELECT 1 FROM {table(members)} m "  # nosec B608
        f"WHERE m.{column(members, 'to_speaker')} = {{speaker}} AND ({named(member)}))",
    )


class SpeakerQuerySet(SlugQuerySet):
    def public(self):
        """Speakers a reader may see (see PublicSpeaker)."""
        return self.filter(PublicSpeaker())

    def speaking(self):
        """Speakers with published statements of their own."""
        return self.filter(Exists(Claim.objects.published().filter(speaker=OuterRef("pk"))))

    def with_published_counts(self):
        """How many published statements each speaker made (published_count),
        asked of each speaker: for the speakers a page shows, not by grouping
        every claim (the speakers list took 0.4 s at a million)."""
        return self.annotate(published_count=count_of(Claim.objects.published(), "speaker"))

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


# --- Sources ----------------------------------------------------------------


class HashedFieldFile(FieldFile):
    """Records the SHA-256 of the content whenever a new file is stored,
    whether it comes through a form or through `field_file.save()`."""

    def save(self, name, content, save=True):
        digest = hashlib.sha256()
        for chunk in content.chunks():
            digest.update(chunk)
        self.instance.file_sha256 = digest.hexdigest()
        super().save(name, content, save)


# Evidence an editor may upload, by extension, with how its content must
# begin: a file whose bytes do not match its name is refused, so nothing can
# pass for a PDF and be something else. Never HTML, SVG or scripts.
EVIDENCE_SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF87a", b"GIF89a"],
    "webp": [b"RIFF"],
    "mp4": [],  # checked below: "ftyp" at offset 4
    "mp3": [b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"],
    "ogg": [b"OggS"],
    "webm": [b"\x1a\x45\xdf\xa3"],
    "warc": [b"WARC/"],
    "zip": [b"PK\x03\x04"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "odt": [b"PK\x03\x04"],
    "txt": None,  # text: UTF-8, not markup
    "csv": None,
    "json": None,
}
MARKUP = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<iframe", b"<body")


def validate_evidence_file(file):
    """Size, type and content of an uploaded evidence file."""
    from django.conf import settings

    if not hasattr(file, "chunks") or getattr(file, "_committed", False):
        return  # a stored file (or its name): it was checked when it was uploaded
    limit = settings.EVIDENCE_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            f"The file is {file.size / 1_000_000:.1f} MB; evidence files may be at most "
            f"{limit / 1_000_000:.0f} MB."
        )
    extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    if extension not in EVIDENCE_SIGNATURES:
        raise ValidationError(
            f"“.{extension}” files are not accepted as evidence. Accepted: "
            f"{', '.join(sorted(EVIDENCE_SIGNATURES))}."
        )
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    signatures = EVIDENCE_SIGNATURES[extension]
    if signatures is None:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is fine.
            if error.start < len(head) - 3:
                raise ValidationError(f"This .{extension} file is not UTF-8 text.") from None
            text = head[: error.start].decode("utf-8")
        if any(tag.decode() in text.lower() for tag in MARKUP):
            raise ValidationError(f"This .{extension} file holds HTML or XML markup.")
        return
    matches = head[4:8] == b"ftyp" if extension == "mp4" else head.startswith(tuple(signatures))
    if extension == "webp":
        matches = matches and head[8:12] == b"WEBP"
    if not matches:
        raise ValidationError(f"The content of this file is not a .{extension} file.")


class EvidenceFileField(models.FileField):
    attr_class = HashedFieldFile


class SourceQuerySet(SlugQuerySet):
    def public(self):
        """Sources that may be shown to readers: restricted ones never are."""
        return self.filter(restricted=False)

    def visible(self):
        """Public sources a published claim cites, or that such a source relays."""
        cited = Citation.objects.filter(claim__status=Claim.Status.PUBLISHED)
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[relays])
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

    def save(self, *args, **kwargs):
        if not self.file:
            self.file_sha256 = ""
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
        if self.published_on:
            self.published_on = truncate(self.published_on, self.published_precision)


# --- Topics and measures ----------------------------------------------------


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


# --- Claims -----------------------------------------------------------------


class ClaimQuerySet(SlugQuerySet):
    def published(self):
        return self.filter(status=Claim.Status.PUBLISHED)

    def drafts(self):
        return self.filter(status=Claim.Status.DRAFT)

    def visible_to(self, user):
        """What a visitor may read: published claims; editors also preview drafts."""
        if workflow.is_editor(user):
            return self.all()
        return self.published()

    def matching(self, query):
        """Claims matching the words of `query`, unranked (claims.search)."""
        return registry.search().matching(self, query)

    def by_speaker(self, speaker):
        return self.filter(speaker=speaker)

    def about(self, topic):
        """Claims on a topic. Asked as EXISTS rather than a join, so a list
        sorted by date can walk its date index and test each claim's topics."""
        links = Claim.topics.through.objects.filter(claim=OuterRef("pk"), topic=topic)
        return self.filter(Exists(links))

    def by_organisation(self, organisation):
        """Statements of an organisation, made for it, or by its members, down
        through the bodies it contains (the Kremlin's spokesman speaks for Russia)."""
        unit = organisation_unit(organisation)
        return self.filter(Q(speaker__in=unit) | Q(speaking_for__in=unit))

    def said_within(self, start=None, end=None):
        """Claims whose whole known date interval lies between `start` and `end`
        (either may be None). "February 2016" lies within 2016 but not within
        1-10 February 2016; a claim whose date is not stated lies in no range."""
        q = Claim.DateQualifier
        if start is None and end is None:
            return self.all()

        def ends_by(field):
            return Q() if end is None else period_ends_by(field, end)

        begins = Q(said_on__gte=start) if start else Q()
        within = Q(said_qualifier=q.ON, said_on__isnull=False) & begins & ends_by("said_on")
        # Said repeatedly: from its earliest bound to its latest, which may be open.
        repeated = Q(said_qualifier=q.REPEATEDLY)
        if end is not None:
            repeated &= Q(said_until__isnull=False) & ends_by("said_until")
        within |= repeated & Q(said_on__isnull=False) & begins
        if start is None:
            # Known only to be no later than a date: inside a range open to the past.
            within |= Q(said_qualifier=q.ON_OR_BEFORE, said_on__isnull=False) & ends_by("said_on")
            within |= Q(said_qualifier=q.REPEATEDLY, said_on__isnull=True) & ends_by("said_until")
        # Implied by the above, but on the indexed sort date: the range is read
        # from the index instead of testing every claim.
        bounds = Q(said_sort__gt=UNDATED)
        if start is not None:
            bounds &= Q(said_sort__gte=start)
        if end is not None and end != datetime.date.max:
            bounds &= Q(said_sort__lte=end)
        return self.filter(bounds, within)

    def with_rebuttal_counts(self):
        return self.annotate(
            rebuttal_count=count_of(Rebuttal, "claim"),
            rebuts_count=count_of(Rebuttal, "counterclaim"),
        )

    def with_public_counts(self):
        """How many published counterclaims answer each claim."""
        return self.annotate(counterclaim_count=count_of(Rebuttal.objects.public(), "claim"))

    def with_counterclaims(self):
        return self.filter(Exists(Rebuttal.objects.public().filter(claim=OuterRef("pk"))))

    def without_counterclaims(self):
        return self.exclude(Exists(Rebuttal.objects.public().filter(claim=OuterRef("pk"))))

    def for_admin_list(self):
        """Everything the admin changelist shows, in a fixed number of queries."""
        return self.select_related("speaker", "speaking_for").with_rebuttal_counts()

    def for_list(self):
        """Everything a public list row shows, in one query."""
        return self.select_related("speaker", "speaking_for").with_public_counts()

    def for_rows(self):
        """Published claims with what a row of a list shows (the claims table,
        a speaker's statements): words, permalink, speaker, date, assessment
        and counterclaims; read by id once a page's ids are chosen."""
        return (
            self.published()
            .for_list()
            .only(
                *("slug", "text", "status", "assessment", "said_qualifier", "said_on"),
                *("said_on_precision", "said_until", "said_until_precision"),
                *("speaker__slug", "speaker__name", "speaking_for__slug", "speaking_for__name"),
            )
        )

    def for_detail(self):
        """Everything a claim page shows, in a fixed number of queries however
        many citations, figures and counterclaims the claim has."""
        public = Claim.Status.PUBLISHED
        citations = models.Prefetch(
            "citations",
            queryset=Citation.objects.filter(source__restricted=False)
            .select_related("source__publisher")
            .prefetch_related(models.Prefetch("source__relays", queryset=Source.objects.public())),
        )
        figures = models.Prefetch(
            "figures",
            queryset=Figure.objects.select_related("measure", "attributed_to", "part_of"),
        )
        counterclaims = models.Prefetch(
            "rebuttals",
            queryset=Rebuttal.objects.filter(counterclaim__status=public)
            .select_related("counterclaim__speaker", "counterclaim__speaking_for")
            .annotate(
                onward_count=count_of(Rebuttal.objects.public(), "claim", outer="counterclaim")
            )
            .prefetch_related(
                models.Prefetch(
                    "counterclaim__figures",
                    queryset=Figure.objects.select_related("measure", "attributed_to", "part_of"),
                )
            )
            .order_by("counterclaim__said_sort", "counterclaim__pk"),
            to_attr="public_rebuttals",
        )
        answered = models.Prefetch(
            "rebuts",
            queryset=Rebuttal.objects.filter(claim__status=public)
            .select_related("claim__speaker")
            .order_by("claim__said_sort", "claim__pk"),
            to_attr="public_answers",
        )
        return self.select_related("speaker", "speaking_for").prefetch_related(
            citations,
            figures,
            counterclaims,
            answered,
            "topics",
            "accused",
            "corrections",
        )


UNDATED = datetime.date(1, 1, 1)


class Claim(models.Model):
    """One statement: its words, who said it and when, what it is about."""

    class TextKind(models.TextChoices):
        VERBATIM_ORIGINAL = "verbatim_original", "verbatim, original wording"
        VERBATIM_TRANSLATION = "verbatim_translation", "verbatim, in translation"
        VERBATIM = "verbatim", "verbatim, whether translated not stated"
        PARAPHRASE = "paraphrase", "paraphrase"

    DateQualifier = DateQualifier
    Status = ClaimStatus
    Assessment = Assessment

    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text="The permalink. It cannot change once the claim has been published.",
    )

    # The words
    text = models.TextField(help_text="The statement in English.")
    text_kind = models.CharField(
        "wording",
        max_length=20,
        choices=TextKind.choices,
        default=TextKind.PARAPHRASE,
        help_text="Is the English text the speaker's own words, a translation of them, "
        "or a paraphrase?",
    )
    original_text = models.TextField(
        blank=True, help_text="The words in the language they were said in, when known."
    )
    original_language = models.CharField(
        max_length=35,
        blank=True,
        validators=[language_code_validator],
        help_text="Language code of the original text, e.g. “ar” or “ru”.",
    )
    translator = models.CharField(
        max_length=200, blank=True, help_text="Who translated the words, when translated."
    )

    # Who
    speaker = models.ForeignKey(
        Speaker, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    speaking_for = models.ForeignKey(
        Speaker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_made_for",
        limit_choices_to=~Q(kind="person"),
        help_text="The organisation the speaker spoke for at the time.",
    )
    speaker_role = models.CharField(
        max_length=200,
        blank=True,
        help_text="The speaker's role as the source states it, e.g. “Kremlin spokesperson”.",
    )

    # When
    said_qualifier = models.CharField(
        "when said",
        max_length=20,
        choices=DateQualifier.choices,
        default=DateQualifier.ON,
    )
    said_on = models.DateField(
        "date said",
        null=True,
        blank=True,
        help_text="For “repeatedly”, the earliest bound. Any day in the month or year "
        "when the precision is a month or a year.",
    )
    said_on_precision = models.CharField(max_length=5, choices=Precision.choices, default="day")
    said_until = models.DateField(
        "latest bound",
        null=True,
        blank=True,
        help_text="Only for “repeatedly”: the latest bound.",
    )
    said_until_precision = models.CharField(max_length=5, choices=Precision.choices, default="day")
    date_supplied_by_editor = models.BooleanField(
        default=False,
        help_text="Tick when the date (or part of it, such as the year) comes from "
        "context rather than the source.",
    )
    date_note = models.CharField(
        max_length=500,
        blank=True,
        help_text="Where the date comes from; required when supplied by an editor.",
    )

    # What it is about
    period_start = models.DateField(null=True, blank=True, help_text="Start of the period covered.")
    period_start_precision = models.CharField(
        max_length=5, choices=Precision.choices, default="day"
    )
    period_end = models.DateField(null=True, blank=True, help_text="End of the period covered.")
    period_end_precision = models.CharField(max_length=5, choices=Precision.choices, default="day")
    place = models.CharField(
        max_length=300, blank=True, help_text="Free text, e.g. “Aleppo governorate”."
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="claims")
    accused = models.ManyToManyField(
        Speaker,
        blank=True,
        related_name="accusations",
        verbose_name="parties accused",
        help_text="The parties the statement holds responsible.",
    )

    # Editorial
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawal_reason = models.TextField(
        blank=True,
        help_text="Public: why the claim was withdrawn. Its permalink keeps explaining it.",
    )
    assessment = models.CharField(
        max_length=20, choices=Assessment.choices, default=Assessment.UNASSESSED
    )
    assessment_rationale = models.TextField(
        blank=True, help_text="Public: a short reason for the assessment."
    )
    internal_notes = models.TextField(blank=True, help_text="For editors only; never public.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Derived: the normalised words search looks in (see claims.search).
    # Never edited, exported or versioned; refresh_search_documents() keeps it.
    search_document = models.TextField(blank=True, editable=False, serialize=False)
    # Derived by the database: the start of what is known of when it was said,
    # for sorting. Undated claims sort after every dated one (newest first).
    said_sort = models.GeneratedField(
        expression=Coalesce("said_on", "said_until", models.Value(UNDATED)),
        output_field=models.DateField(),
        db_persist=True,
        serialize=False,
    )

    history = HistoricalRecords(
        m2m_fields=[topics, accused], excluded_fields=["search_document", "said_sort"]
    )
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-said_sort", "-id"]
        verbose_name = "claim"
        indexes = [
            # The public list: published claims, newest first (or oldest, read
            # backwards), alone or narrowed to one speaker or one assessment.
            # The columns after the order ride along: a list filtered by
            # organisation tests each claim's speakers in the index, and a
            # speaker's or an organisation's statements are counted by
            # assessment from an index alone, without reading the rows.
            models.Index(
                fields=["status", "-said_sort", "-id", "speaker", "speaking_for"],
                name="claims_list_by_date",
            ),
            models.Index(
                fields=["status", "speaker", "-said_sort", "-id", "assessment"],
                name="claims_list_speaker",
            ),
            models.Index(
                fields=["status", "assessment", "-said_sort", "-id", "speaker", "speaking_for"],
                name="claims_list_assessment",
            ),
            # The feed: the latest published, in the order they were published.
            models.Index(
                fields=["-first_published_at", "-id"],
                condition=Q(status="published"),
                name="claims_newly_published",
            ),
        ]
        permissions = [("publish_claim", "Can publish and unpublish claims")]
        constraints = [
            precision_constraint("claim", "said_on", "said_on_precision"),
            precision_constraint("claim", "said_until", "said_until_precision"),
            precision_constraint("claim", "period_start", "period_start_precision"),
            precision_constraint("claim", "period_end", "period_end_precision"),
            models.CheckConstraint(
                condition=~Q(said_qualifier="not_stated")
                | Q(said_on__isnull=True, said_until__isnull=True),
                name="claims_claim_not_stated_has_no_date",
                violation_error_message="A claim whose date is “not stated” cannot have a date.",
            ),
            models.CheckConstraint(
                condition=Q(said_qualifier="repeatedly") | Q(said_until__isnull=True),
                name="claims_claim_latest_bound_only_when_repeated",
                violation_error_message="A latest bound is only for statements made repeatedly.",
            ),
            models.CheckConstraint(
                condition=Q(said_on__isnull=True)
                | Q(said_until__isnull=True)
                | Q(said_on__lte=F("said_until")),
                name="claims_claim_said_bounds_ordered",
                violation_error_message="The earliest bound must not be after the latest bound.",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=F("period_end")),
                name="claims_claim_period_ordered",
                violation_error_message="The period cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn")
                | (Q(withdrawn_at__isnull=False) & ~Q(withdrawal_reason="")),
                name="claims_claim_withdrawal_explained",
                violation_error_message="A withdrawn claim needs its reason and date.",
            ),
            models.CheckConstraint(
                condition=Q(date_supplied_by_editor=False) | ~Q(date_note=""),
                name="claims_claim_editor_date_has_note",
                violation_error_message="Say where an editor-supplied date comes from.",
            ),
        ]

    def __str__(self):
        return Truncator(self.text).chars(80)

    def save(self, *args, **kwargs):
        """Saves; a substantive change to a published claim must carry a
        correction note (`correction_note`), which is recorded publicly."""
        stored_slug = self._stored("slug")
        published = self.first_published_at or self.stored_status() == self.Status.PUBLISHED
        if published and stored_slug and stored_slug != self.slug:
            raise ValidationError(
                {"slug": "This claim has been published; its permalink cannot change."}
            )
        changes = self.substantive_changes(kwargs.get("update_fields"))
        note = self.correction_note.strip()
        if changes and not note:
            raise ValidationError({"correction_note": workflow.correction_needed_message(changes)})
        was_published = self.stored_status() == self.Status.PUBLISHED
        if note and was_published:
            self._change_reason = f"Correction: {note}"
        super().save(*args, **kwargs)
        if note and was_published:
            self.last_correction = Correction.objects.create(claim=self, note=note, changed=changes)
        self.correction_note = ""
        remembered = (*workflow.SUBSTANTIVE, "slug", "status")
        self._loaded_values = {
            **getattr(self, "_loaded_values", {}),
            **{name: self.__dict__[name] for name in remembered if name in self.__dict__},
        }

    def get_absolute_url(self):
        return slug_url("claims:claim_detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    @classmethod
    def from_db(cls, db, field_names, values):
        claim = super().from_db(db, field_names, values)
        # Remembered so that a change of the published permalink can be
        # refused, and a correction asked for, without reading the row again.
        claim._loaded_values = {
            name: value
            for name, value in zip(field_names, values, strict=True)
            if value is not models.DEFERRED
        }
        return claim

    # Corrections ------------------------------------------------------------

    correction_note = ""  # set before save() to record a correction
    last_correction = None

    def stored_status(self):
        """The status the database holds (None when unsaved)."""
        return self._stored("status")

    def _stored(self, name):
        """The value of a field as the database holds it (None when unsaved)."""
        if self._state.adding or self.pk is None:
            return None
        loaded = getattr(self, "_loaded_values", {})
        names = (*workflow.SUBSTANTIVE, "status", "slug")
        if not all(field in loaded for field in names):
            stored = Claim.objects.filter(pk=self.pk).values(*names).first()
            self._loaded_values = loaded = {**loaded, **(stored or {})}
        return loaded.get(name)

    def substantive_changes(self, fields=None):
        """What saving now would correct (workflow.substantive_changes):
        empty unless the stored claim is published. `fields` narrows the
        comparison, as save(update_fields=...) does."""
        if self.stored_status() != self.Status.PUBLISHED:
            return []
        stored = {name: self._stored(name) for name in workflow.SUBSTANTIVE}
        return workflow.substantive_changes(stored, self, fields=fields)

    # Dates ------------------------------------------------------------------

    @property
    def said(self):
        return FuzzyDate.from_fields(self.said_on, self.said_on_precision)

    @property
    def said_latest(self):
        return FuzzyDate.from_fields(self.said_until, self.said_until_precision)

    @property
    def said_display(self):
        """When it was said, exactly as precisely as it is known."""
        q = self.DateQualifier
        if self.said_qualifier == q.NOT_STATED:
            return "date not stated"
        said, latest = self.said, self.said_latest
        if self.said_qualifier == q.REPEATEDLY:
            if said and latest:
                return f"repeatedly between {said} and {latest}"
            if said:
                return f"repeatedly since {said}"
            if latest:
                return f"repeatedly, up to {latest}"
        if said is None:
            return "date not entered"
        if self.said_qualifier == q.ON_OR_BEFORE:
            return f"on or before {said}"
        return str(said)

    @property
    def said_interval(self):
        """(earliest, latest) day the statement can have been made; None where open."""
        said, latest = self.said, self.said_latest
        if self.said_qualifier == self.DateQualifier.NOT_STATED or (not said and not latest):
            return (None, None)
        if self.said_qualifier == self.DateQualifier.ON_OR_BEFORE:
            return (None, said.end)
        if self.said_qualifier == self.DateQualifier.REPEATEDLY:
            return (said.start if said else None, latest.end if latest else None)
        return (said.start, said.end)

    @property
    def period_display(self):
        return period_display(
            FuzzyDate.from_fields(self.period_start, self.period_start_precision),
            FuzzyDate.from_fields(self.period_end, self.period_end_precision),
        )

    @property
    def original_direction(self):
        return text_direction(self.original_language)

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    # Appearances ------------------------------------------------------------

    def appearances(self):
        """Where the statement appeared, the first appearance first.

        A source that another appearance relays came before it; otherwise the
        earlier publication date comes first, known dates before unknown ones.
        Works on prefetched citations and relays without further queries.
        """
        cited = [c for c in self.citations.all() if c.role == Citation.Role.APPEARED_IN]
        by_source = {c.source_id: c for c in cited}

        def depth(citation, seen=()):
            relayed = [
                by_source[s.pk]
                for s in citation.source.relays.all()
                if s.pk in by_source and s.pk not in seen
            ]
            if not relayed:
                return 0
            return 1 + max(depth(r, (*seen, citation.source_id)) for r in relayed)

        def key(citation):
            published = citation.source.published
            return (
                depth(citation),
                published is None,
                published.start if published else None,
                citation.source.slug,
                citation.locator,
            )

        return sorted(cited, key=key)

    def first_appearance(self):
        appearances = self.appearances()
        return appearances[0] if appearances else None

    # Validation -------------------------------------------------------------

    def clean(self):
        errors = {}
        for field in ("said_on", "said_until", "period_start", "period_end"):
            value = getattr(self, field)
            if value:
                setattr(self, field, truncate(value, getattr(self, f"{field}_precision")))

        q = self.DateQualifier
        if self.said_qualifier == q.NOT_STATED and (self.said_on or self.said_until):
            errors["said_qualifier"] = (
                "Clear the dates, or choose a qualifier other than “date not stated”."
            )
        if self.said_qualifier == q.REPEATEDLY and not (self.said_on or self.said_until):
            errors["said_on"] = "A statement made repeatedly needs at least one bound."
        if self.said_until and self.said_qualifier != q.REPEATEDLY:
            errors["said_until"] = "A latest bound is only for statements made repeatedly."
        if self.date_supplied_by_editor and not self.date_note:
            errors["date_note"] = "Say where an editor-supplied date comes from."

        if self.original_text and not self.original_language:
            errors["original_language"] = "Give the language of the original text."
        if self.original_language and not self.original_text:
            errors["original_text"] = "Give the original text, or clear its language."
        if self.text_kind == self.TextKind.VERBATIM_ORIGINAL:
            if self.original_text:
                errors["original_text"] = (
                    "The English text is already the original wording; "
                    "choose “verbatim, in translation” to add the words in another language."
                )
            if self.translator:
                errors["translator"] = "Original wording has no translator."

        if self.speaking_for_id and self.speaking_for_id == self.speaker_id:
            errors["speaking_for"] = "Leave empty when the speaker is the organisation itself."

        loaded_slug = getattr(self, "_loaded_values", {}).get("slug")
        if self.first_published_at and loaded_slug and loaded_slug != self.slug:
            errors["slug"] = "This claim has been published; its permalink cannot change."
        if errors:
            raise ValidationError(errors)

    def set_status(self, status):
        """Change the editorial status; the first publication is remembered."""
        self.status = status
        if status == self.Status.PUBLISHED and not self.first_published_at:
            self.first_published_at = timezone.now()
        if status == self.Status.WITHDRAWN and not self.withdrawn_at:
            self.withdrawn_at = timezone.now()

    # Publishing ------------------------------------------------------------

    def publication_problems(self):
        """Why the claim cannot be published yet (workflow.publication_problems)."""
        return workflow.publication_problems(self)

    def independent_sources(self):
        """How many independent public sources support the claim: sources with
        different publishers, counting those that relay the same original once.
        Reads prefetched citations, sources and relays when they are."""
        citations = self.citations.all()
        if "citations" not in getattr(self, "_prefetched_objects_cache", {}):
            citations = citations.select_related("source").prefetch_related("source__relays")
        supporting = {
            c.source_id: c.source
            for c in citations
            if c.role == Citation.Role.SUPPORTS and not c.source.restricted
        }
        origins = set()
        for source in supporting.values():
            relayed = [other.pk for other in source.relays.all()]
            origin = ("relays", min(relayed)) if relayed else ("source", source.pk)
            publisher = ("publisher", source.publisher_id) if source.publisher_id else origin
            origins.add(origin if relayed else publisher)
        return len(origins)

    def move_to(self, status, user, reason=""):
        """The one way editorial status changes, from the admin, bulk actions
        and imports alike: checks who may (workflow.move_refusal), and what
        publishing needs. Raises PermissionDenied or ValidationError; does
        not save."""
        status = self.Status(status)
        refusal = workflow.move_refusal(user, self.status, status)
        if refusal:
            raise PermissionDenied(f"{refusal}.")
        if status == self.Status.PUBLISHED:
            problems = self.publication_problems()
            if problems:
                raise ValidationError({"status": problems})
        if status == self.Status.WITHDRAWN:
            reason = reason or self.withdrawal_reason
            problem = workflow.withdrawal_problem(reason)
            if problem:
                raise ValidationError({"withdrawal_reason": problem})
            self.withdrawal_reason = reason
        self.set_status(status)


def links_of(name, claim_ids, order_by, fields=None):
    """Claim id -> the objects the many-to-many field `name` of those claims
    names (topics, accused parties), each claim's in the database's
    `order_by` order; the objects' `fields` only, if given.

    Two plain queries, the link rows by claim and then the objects by id:
    joined, SQLite's planner walks every speaker and tests each against the
    claims when the link table is empty and has no statistics (480 ms for
    2,000 claims, against 1 ms). An object deleted between the two is left out."""
    field = Claim._meta.get_field(name)
    claim_column = f"{field.m2m_field_name()}_id"
    target_column = f"{field.m2m_reverse_field_name()}_id"
    claims_of = {}
    for claim_id, target in (
        field.remote_field.through.objects.filter(**{f"{claim_column}__in": claim_ids})
        .order_by()
        .values_list(claim_column, target_column)
    ):
        claims_of.setdefault(target, []).append(claim_id)
    targets = field.related_model._default_manager.filter(pk__in=claims_of)
    if fields:
        targets = targets.only(*fields)
    found = {}
    for target in targets.order_by(*order_by):  # no query when there are no links
        for claim_id in claims_of.get(target.pk, ()):
            found.setdefault(claim_id, []).append(target)
    return found


def refresh_search_documents(claim_ids, claim_model=None):
    """Rebuild the search document of these claims from what they say, who
    said it, where, and the titles of the public sources they cite. Only
    documents that changed are written (each write also re-indexes the claim).

    `claim_model` lets a migration pass its historical model."""
    claim_model = claim_model or Claim
    citation_model = claim_model._meta.get_field("citations").related_model
    public_citations = models.Prefetch(
        "citations",
        queryset=citation_model.objects.filter(source__restricted=False)
        .select_related("source")
        .only("claim_id", "source__title"),
    )
    claims = (
        claim_model.objects.filter(pk__in=claim_ids)
        .select_related("speaker", "speaking_for")
        .only(
            *("text", "original_text", "place", "search_document"),
            *("speaker__name", "speaker__short_name"),
            *("speaking_for__name", "speaking_for__short_name"),
        )
        .prefetch_related(public_citations)
    )
    changed = []
    for claim in claims:
        wanted = claim_document(
            claim.text,
            claim.original_text,
            claim.place,
            [(s.name, s.short_name) for s in (claim.speaker, claim.speaking_for) if s],
            [c.source.title for c in claim.citations.all()],
        )
        if wanted != claim.search_document:
            changed.append((wanted, claim.pk))
    if changed:
        # One statement, run once per changed row.
        table = connection.ops.quote_name(claim_model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET search_document = %s WHERE id = %s",  # nosec B608: the model's table
                changed,
            )


# --- Citations, figures, pairings -------------------------------------------


class CorrectionQuerySet(models.QuerySet):
    def public(self):
        """Corrections of published claims. Asked of each correction, not
        joined: corrections are few, and a join let SQLite read every claim
        first (50 ms at a million, with no correction at all)."""
        published = Claim.objects.published().filter(pk=OuterRef("claim_id"))
        return self.filter(Exists(published))


class Correction(models.Model):
    """A public note that a published claim was corrected, with the date."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="corrections")
    corrected_at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.TextField(help_text="What was wrong and what changed; shown publicly.")
    changed = models.JSONField(
        default=list, blank=True, help_text="The fields the correction changed."
    )

    history = HistoricalRecords()
    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-corrected_at", "-pk"]

    def __str__(self):
        return f"Correction of {self.claim} on {self.corrected_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return f"{self.claim.get_absolute_url()}#correction-{self.pk}"


class CitationQuerySet(models.QuerySet):
    def get_by_natural_key(self, claim, source, role, locator):
        return self.get(claim__slug=claim, source__slug=source, role=role, locator=locator)


class Citation(models.Model):
    """A claim's link to a source: where it appeared, or evidence about it."""

    Role = CitationRole

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    role = models.CharField(
        max_length=20,
        choices=Role.choices,
        default=Role.APPEARED_IN,
        help_text="“Appeared in”: where the statement was made or reported. "
        "The others: evidence for, against or around it.",
    )
    locator = models.CharField(
        max_length=200, blank=True, help_text="Page, paragraph or timestamp, e.g. “p. 4”, “¶ 6”."
    )
    excerpt = models.TextField(blank=True, help_text="The passage of the source this rests on.")

    history = HistoricalRecords()
    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "role", "source", "locator"]
        verbose_name = "citation"
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "source", "role", "locator"],
                name="claims_citation_unique",
                violation_error_message="This source is already cited in this role at this place.",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.source}"

    def get_absolute_url(self):
        return self.claim.get_absolute_url()

    def natural_key(self):
        return self.claim.natural_key() + self.source.natural_key() + (self.role, self.locator)

    natural_key.dependencies = ["claims.claim", "claims.source"]


class FigureQuerySet(models.QuerySet):
    def get_by_natural_key(self, claim, position):
        return self.get(claim__slug=claim, position=position)


class Figure(models.Model):
    """A number inside a claim, with the words that qualify it."""

    class Qualifier(models.TextChoices):
        EXACT = "exact", "exactly (as stated)"
        ABOUT = "about", "about"
        ESTIMATED = "estimated", "an estimated"
        AT_LEAST = "at_least", "at least"
        AT_MOST = "at_most", "at most"
        MORE_THAN = "more_than", "more than"
        FEWER_THAN = "fewer_than", "fewer than"
        ALMOST = "almost", "almost"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="figures")
    position = models.PositiveSmallIntegerField(
        blank=True, help_text="Order within the claim; filled in automatically when left empty."
    )
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="figures")
    value_min = models.DecimalField(
        "value", max_digits=16, decimal_places=2, help_text="The number, or the low end of a range."
    )
    value_max = models.DecimalField(
        "high end",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Only for a range, e.g. 1,006 – 1,410.",
    )
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices, default=Qualifier.EXACT)
    stated_as = models.CharField(
        max_length=300, blank=True, help_text="The words of the source, e.g. “an estimated 679”."
    )
    period_start = models.DateField(
        null=True, blank=True, help_text="Only when it differs from the claim's period."
    )
    period_start_precision = models.CharField(
        max_length=5, choices=Precision.choices, default="day"
    )
    period_end = models.DateField(null=True, blank=True)
    period_end_precision = models.CharField(max_length=5, choices=Precision.choices, default="day")
    place = models.CharField(
        max_length=300, blank=True, help_text="Only when it differs from the claim's place."
    )
    attributed_to = models.ForeignKey(
        Speaker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # a partial index, in Meta
        related_name="attributed_figures",
        help_text="The party the figure is attributed to, e.g. Russian forces.",
    )
    part_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,  # a partial index, in Meta
        related_name="parts",
        help_text="A larger figure of the same claim this one is part of "
        "(1,928 children within 6,686 civilians).",
    )

    history = HistoricalRecords()
    objects = FigureQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "position"]
        verbose_name = "figure"
        # Most figures are attributed to no one and part of nothing. Indexes
        # of the rows that are: with every row NULL in a full index, SQLite's
        # statistics say a lookup matches every figure, and it scanned them
        # all (350 ms at 1M claims) to decide whether a speaker is public.
        indexes = [
            models.Index(
                fields=["attributed_to"],
                condition=Q(attributed_to__isnull=False),
                name="claims_figure_attributed_to",
            ),
            models.Index(
                fields=["part_of"], condition=Q(part_of__isnull=False), name="claims_figure_part_of"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "position"],
                name="claims_figure_unique_position",
                violation_error_message="Another figure of this claim has this position.",
            ),
            models.CheckConstraint(
                condition=Q(value_max__isnull=True) | Q(value_max__gte=F("value_min")),
                name="claims_figure_min_le_max",
                violation_error_message="The high end of a range cannot be below its low end.",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=F("period_end")),
                name="claims_figure_period_ordered",
                violation_error_message="The period cannot end before it starts.",
            ),
            precision_constraint("figure", "period_start", "period_start_precision"),
            precision_constraint("figure", "period_end", "period_end_precision"),
        ]

    def __str__(self):
        return f"{self.value_display} {self.measure.name}"

    def save(self, *args, **kwargs):
        if self.position is None:
            last = Figure.objects.filter(claim_id=self.claim_id).aggregate(m=models.Max("position"))
            self.position = (last["m"] or 0) + 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return self.claim.get_absolute_url()

    def natural_key(self):
        return self.claim.natural_key() + (self.position,)

    natural_key.dependencies = ["claims.claim"]

    @property
    def is_range(self):
        return self.value_max is not None and self.value_max != self.value_min

    @property
    def value_display(self):
        number = format_number(self.value_min)
        if self.is_range:
            number = f"{number}–{format_number(self.value_max)}"
        if self.qualifier == self.Qualifier.EXACT:
            return number
        return f"{self.get_qualifier_display()} {number}"

    @property
    def period_display(self):
        return period_display(
            FuzzyDate.from_fields(self.period_start, self.period_start_precision),
            FuzzyDate.from_fields(self.period_end, self.period_end_precision),
        )

    def clean(self):
        errors = {}
        for field in ("period_start", "period_end"):
            value = getattr(self, field)
            if value:
                setattr(self, field, truncate(value, getattr(self, f"{field}_precision")))
        problem = workflow.whole_problem(self, self.part_of) if self.part_of else None
        if problem:
            errors["part_of"] = problem
        if errors:
            raise ValidationError(errors)


def format_number(value):
    """6686 -> "6,686"; 3300000.00 -> "3,300,000"; 12.50 -> "12.5"."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


class RebuttalQuerySet(models.QuerySet):
    def get_by_natural_key(self, claim, counterclaim):
        return self.get(claim__slug=claim, counterclaim__slug=counterclaim)

    def public(self):
        """Pairings a reader may see: both sides published."""
        return self.filter(
            claim__status=Claim.Status.PUBLISHED, counterclaim__status=Claim.Status.PUBLISHED
        )

    def latest_first(self):
        """Newest pairings first, in the order of the claims_rebuttal_latest index."""
        return self.order_by("-created_at", "-pk")


class Rebuttal(models.Model):
    """A pairing: the counterclaim answers the claim."""

    class Relation(models.TextChoices):
        DENIES = "denies", "denies"
        CONTRADICTS = "contradicts", "contradicts"
        DISPUTES_FIGURE = "disputes_figure", "disputes the figure"
        QUALIFIES = "qualifies", "qualifies"
        SHIFTS_BLAME = "shifts_blame", "shifts blame"
        CONCEDES = "concedes", "concedes"

    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="rebuttals",
        help_text="The statement being answered.",
    )
    counterclaim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="rebuts",
        help_text="The statement that answers it.",
    )
    relation = models.CharField(
        max_length=20,
        choices=Relation.choices,
        help_text="How the counterclaim answers the claim.",
    )
    note = models.TextField(
        blank=True,
        help_text="The editor's note. Say so when the source does not state that one "
        "statement answered the other.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = RebuttalQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "counterclaim"]
        verbose_name = "rebuttal"
        # The latest pairings (home page, speaker pages) read from this end.
        indexes = [models.Index(fields=["-created_at", "-id"], name="claims_rebuttal_latest")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(claim=F("counterclaim")),
                name="claims_rebuttal_not_self",
                violation_error_message="A claim cannot rebut itself.",
            ),
            # Checked field by field, so the admin's formsets catch a pair
            # entered twice in one submission.
            models.UniqueConstraint(
                fields=["claim", "counterclaim"],
                name="claims_rebuttal_unique",
                violation_error_message="These two claims are already paired.",
            ),
            # One pairing per two claims, whichever way round it was entered.
            models.UniqueConstraint(
                Least("claim", "counterclaim"),
                Greatest("claim", "counterclaim"),
                name="claims_rebuttal_unique_either_way",
                violation_error_message="These two claims are already paired the other way round.",
            ),
        ]

    def __str__(self):
        return f"{self.counterclaim} — {self.get_relation_display()} — {self.claim}"

    def get_absolute_url(self):
        return self.claim.get_absolute_url()

    def natural_key(self):
        return self.claim.natural_key() + self.counterclaim.natural_key()

    natural_key.dependencies = ["claims.claim"]

    def validate_constraints(self, exclude=None):
        # The admin's inline formsets leave the parent claim out of constraint
        # checks, because a claim being added has no id yet. Once both sides
        # exist, check the pair anyway, so the editor sees the message rather
        # than a database error.
        if exclude and self.claim_id and self.counterclaim_id:
            exclude = set(exclude) - {"claim", "counterclaim"}
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            # A pair entered twice also matches the either-way constraint:
            # say only that it is already paired.
            messages = {c.name: c.violation_error_message for c in self._meta.constraints}
            if messages["claims_rebuttal_unique"] not in error.messages:
                raise
            either_way = messages["claims_rebuttal_unique_either_way"]
            kept = {
                field: [e for e in errors if either_way not in e.messages]
                for field, errors in error.error_dict.items()
            }
            raise ValidationError({f: e for f, e in kept.items() if e}) from None

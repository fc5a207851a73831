"""Claims, their querysets, and the public corrections of published ones."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords

from .. import registry, workflow
from ..choices import Assessment, CitationRole, ClaimStatus, DateQualifier
from ..dates import UNDATED, FuzzyDate, Precision, period_display, precision_constraint, truncate
from ..dates import ends_by as period_ends_by
from ..routes import slug_url
from .base import SlugQuerySet, count_of, language_code_validator, related, text_direction
from .speakers import Speaker
from .sql import organisation_unit
from .tracking import StoredValues
from .vocabulary import Topic

__all__ = ["Claim", "ClaimQuerySet", "Correction", "CorrectionQuerySet"]


class ClaimQuerySet(SlugQuerySet):
    def _pairings(self):
        """The pairings model (Rebuttal), reached through its relation."""
        return related(self.model, "rebuttals")

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
            rebuttal_count=count_of(self._pairings(), "claim"),
            rebuts_count=count_of(self._pairings(), "counterclaim"),
        )

    def with_public_counts(self):
        """How many published counterclaims answer each claim."""
        public = self._pairings().objects.public()
        return self.annotate(counterclaim_count=count_of(public, "claim"))

    def with_counterclaims(self):
        return self.filter(Exists(self._pairings().objects.public().filter(claim=OuterRef("pk"))))

    def without_counterclaims(self):
        return self.exclude(Exists(self._pairings().objects.public().filter(claim=OuterRef("pk"))))

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
        Rebuttal, Citation, Figure = (  # noqa: N806 (the models, by their names)
            related(self.model, name) for name in ("rebuttals", "citations", "figures")
        )
        Source = related(Citation, "source")  # noqa: N806
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


class Claim(StoredValues, models.Model):
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
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
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
        remembered = self.REMEMBERED
        self._loaded_values = {
            **getattr(self, "_loaded_values", {}),
            **{name: self.__dict__[name] for name in remembered if name in self.__dict__},
        }

    def get_absolute_url(self):
        return slug_url("claims:claim_detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    # Corrections ------------------------------------------------------------

    correction_note = ""  # set before save() to record a correction
    last_correction = None

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
        cited = [c for c in self.citations.all() if c.role == CitationRole.APPEARED_IN]
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
            if c.role == CitationRole.SUPPORTS and not c.source.restricted
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


class CorrectionQuerySet(models.QuerySet):
    def public(self):
        """Corrections of published claims. Asked of each correction, not
        joined: corrections are few, and a join let SQLite read every claim
        first, even with no correction at all."""
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

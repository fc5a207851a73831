"""The parts of a claim: citations of sources, figures, and pairings with the
claims that answer it."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least, Now
from simple_history.models import HistoricalRecords

from .. import workflow
from ..choices import CitationRole
from ..dates import FuzzyDate, Precision, period_display, precision_constraint, truncate
from .claims import Claim
from .sources import Source
from .speakers import Speaker
from .vocabulary import Measure

__all__ = [
    "Citation",
    "CitationQuerySet",
    "Figure",
    "FigureQuerySet",
    "Rebuttal",
    "RebuttalQuerySet",
    "format_number",
]


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
        # all to decide whether a speaker is public (docs/performance.md).
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
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

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

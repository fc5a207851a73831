"""The filters of the public claims list. Every value comes from the query
string, so a filtered view is a shareable link; a value that cannot be
understood is a form error naming it, never an empty table."""

from contextlib import nullcontext

import django_filters
from django import forms
from django.utils.html import format_html

from .dates import FuzzyDate
from .db import generic_plans
from .limits import MAX_QUERY_LENGTH
from .models import Claim, Speaker, Topic
from .text import name_key


class FuzzyDateField(forms.CharField):
    """A date typed as a year, a month or a day: "2016", "2016-02", "2016-02-10".

    `edge` says which end of the period it stands for: "start" gives its first
    day, "end" its last, so 2016 to 2016 is the whole year.
    """

    def __init__(self, *args, edge="start", **kwargs):
        self.edge = edge
        kwargs.setdefault("max_length", 10)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        try:
            date = FuzzyDate.parse(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return date.start if self.edge == "start" else date.end


class NamedObjectField(forms.CharField):
    """A speaker or topic typed by name or slug (a typeahead helps, but the
    field works without JavaScript). Resolves to the object."""

    def __init__(self, *args, queryset, noun, **kwargs):
        self.queryset, self.noun = queryset, noun
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        # The identifier first: it names one at most, and is found in its
        # index; a name may be shared, and is compared without case.
        found = list(self.queryset.filter(slug=value)[:1])
        if not found:
            found = list(self.queryset.filter(name__iexact=value).order_by("pk")[:2])
        if not found and hasattr(self.queryset.model, "short_name"):
            found = list(self.queryset.filter(short_name__iexact=value).order_by("pk")[:2])
        if not found and hasattr(self.queryset.model, "aliases"):
            # Another spelling: aliases are few, compared by their name keys.
            key = name_key(value)
            found = [
                speaker
                for speaker in self.queryset.exclude(aliases=[]).order_by("pk")
                if key in speaker.name_keys()
            ][:2]
        if not found:
            # The typed value is isolated, so right-to-left text cannot reorder the line.
            raise forms.ValidationError(
                format_html("No {} is called “<bdi>{}</bdi>”.", self.noun, value)
            )
        if len(found) > 1:
            raise forms.ValidationError(
                format_html(
                    "Several {}s are called “<bdi>{}</bdi>”; choose one from the suggestions "
                    "or give its identifier (the last part of its page's address).",
                    self.noun,
                    value,
                )
            )
        return found[0]


class SpeakerFilter(django_filters.Filter):
    field_class = NamedObjectField


class FuzzyDateFilter(django_filters.Filter):
    field_class = FuzzyDateField


class ClaimFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Words", method="filter_words", max_length=MAX_QUERY_LENGTH)
    speaker = SpeakerFilter(
        label="Speaker",
        # Only those a reader may see (Speaker.objects.public()), as in the
        # suggestions: someone named only in drafts is "not called" so here.
        queryset=Speaker.objects.public(),
        noun="speaker",
        method="filter_speaker",
    )
    organisation = SpeakerFilter(
        label="Organisation (with its people)",
        queryset=Speaker.objects.public().organisations(),
        noun="organisation",
        method="filter_organisation",
    )
    speaker_kind = django_filters.ChoiceFilter(
        label="Kind of speaker", field_name="speaker__kind", choices=Speaker.Kind.choices
    )
    topic = SpeakerFilter(
        label="Topic", queryset=Topic.objects.all(), noun="topic", method="filter_topic"
    )
    place = django_filters.CharFilter(label="Place", lookup_expr="icontains", max_length=100)
    assessment = django_filters.ChoiceFilter(choices=Claim.Assessment.choices)
    said_from = FuzzyDateFilter(label="Said from", method="filter_said", edge="start")
    said_to = FuzzyDateFilter(label="Said until", method="filter_said", edge="end")
    countered = django_filters.ChoiceFilter(
        label="Counterclaims",
        choices=[("yes", "has counterclaims"), ("no", "has none")],
        method="filter_countered",
    )

    class Meta:
        model = Claim
        fields = []

    def filter_words(self, queryset, name, value):
        return queryset.matching(value)

    def filter_speaker(self, queryset, name, speaker):
        return queryset.by_speaker(speaker)

    def filter_organisation(self, queryset, name, organisation):
        return queryset.by_organisation(organisation)

    def filter_topic(self, queryset, name, topic):
        return queryset.about(topic)

    def filter_said(self, queryset, name, value):
        # Both bounds are applied together, in filter_queryset.
        return queryset

    def filter_countered(self, queryset, name, value):
        if value == "yes":
            return queryset.with_counterclaims()
        return queryset.without_counterclaims()

    @property
    def form(self):
        form = super().form
        for field in ("said_from", "said_to"):
            form.fields[field].widget.attrs.update(
                {"placeholder": "YYYY, YYYY-MM or YYYY-MM-DD", "inputmode": "numeric"}
            )
        for field, kind in (("speaker", "speakers"), ("organisation", "organisations")):
            form.fields[field].widget.attrs.update(
                {"data-suggest": kind, "autocomplete": "off", "list": f"{field}-suggestions"}
            )
        return form

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        start = self.form.cleaned_data.get("said_from")
        end = self.form.cleaned_data.get("said_to")
        if start or end:
            queryset = queryset.said_within(start, end)
        return queryset

    def is_valid(self):
        # The speakers, organisation and topic named are looked up planned
        # once, in one block: the visibility rule is the same for any name.
        # No block (two statements on PostgreSQL) when none is named.
        named = any(
            self.data.get(name)
            for name, field in self.form.fields.items()
            if isinstance(field, NamedObjectField)
        )
        with generic_plans() if named else nullcontext():
            valid = super().is_valid()
        if valid:
            start = self.form.cleaned_data.get("said_from")
            end = self.form.cleaned_data.get("said_to")
            if start and end and start > end:
                self.form.add_error("said_to", "The end of the range is before its start.")
                return False
        return valid

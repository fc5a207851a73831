"""The filters of the public claims list (claims.filters): each narrows the list
to what it names, by speaker, organisation, kind of speaker, topic, place,
assessment, date range, counterclaims and words; a value that cannot be
understood is a form error naming it, never an empty table, and stops a
download as it stops the list."""

import datetime
import re

import pytest
from django import forms
from django.urls import reverse

from claims.exports import FORMATS
from claims.filters import ClaimFilter, FuzzyDateField, NamedObjectField
from claims.models import Claim, Speaker

from .factories import REPEATEDLY, make_claim, make_speaker, make_topic, published
from .pages import listed, page

pytestmark = pytest.mark.django_db
D = datetime.date
LIST = reverse("claims:claim_list")
REVERSED = "The end of the range is before its start."
NOT_LISTED = "No claims are listed until then."


def short(value):
    """A parameter's test id: its repr (a set's sorted, to be the same each run), cut short."""
    return repr(sorted(value) if isinstance(value, set) else value)[:40]


def bound(**data):
    """The list's filters bound to a query string, over the published claims."""
    return ClaimFilter(data=data, queryset=Claim.objects.published())


def narrowed(**data):
    """The slugs the filters keep for a query string they accept."""
    claims = bound(**data)
    assert claims.is_valid(), claims.form.errors
    return {claim.slug for claim in claims.qs}


def errors(**data):
    """The filters' errors for a query string they refuse, by field."""
    claims = bound(**data)
    assert not claims.is_valid()
    return {name: " ".join(messages) for name, messages in claims.form.errors.items()}


# --- A date as typed: a year, a month or a day ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "start", "end"),
    [
        ("2016", D(2016, 1, 1), D(2016, 12, 31)),
        ("2016-02", D(2016, 2, 1), D(2016, 2, 29)),
        ("2015-02", D(2015, 2, 1), D(2015, 2, 28)),
        ("2016-2", D(2016, 2, 1), D(2016, 2, 29)),
        ("2016-02-10", D(2016, 2, 10), D(2016, 2, 10)),
        (" 2016-12 ", D(2016, 12, 1), D(2016, 12, 31)),
    ],
)
def test_a_typed_date_stands_for_the_first_or_last_day_of_its_period(typed, start, end):
    assert FuzzyDateField(edge="start").clean(typed) == start
    assert FuzzyDateField(edge="end").clean(typed) == end


def test_an_empty_date_is_no_bound():
    assert FuzzyDateField(required=False, edge="end").clean("  ") is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2016-13", "“2016-13” is not a date that exists."),
        ("2016-02-30", "“2016-02-30” is not a date that exists."),
        ("abc", "“abc” is not a date; write"),
        ("February", "“February” is not a date; write"),
        ("16", "“16” is not a date; write"),
        ("2016-02-100", "at most 10 characters"),
    ],
)
def test_a_date_that_cannot_be_read_is_refused_naming_it(typed, message):
    with pytest.raises(forms.ValidationError) as refused:
        FuzzyDateField(edge="start").clean(typed)
    assert message in " ".join(refused.value.messages)


# --- A speaker or topic as typed: identifier, name or short name ------------------------------


@pytest.fixture
def speakers():
    return NamedObjectField(queryset=Speaker.objects.all(), noun="speaker", required=False)


def test_a_speaker_is_found_by_identifier_name_or_short_name(speakers):
    snhr = make_speaker(name="Syrian Network for Human Rights", slug="syrian-network")
    snhr.short_name = "SNHR"
    snhr.save()
    for typed in ("syrian-network", "syrian network for human rights", "snhr", " SNHR "):
        assert speakers.clean(typed) == snhr, typed
    assert speakers.clean("") is None


def test_a_name_nobody_has_or_several_share_is_refused_naming_it(speakers):
    make_speaker(name="Ahmad Hassan", slug="ahmad-hassan-aleppo")
    make_speaker(name="Ahmad Hassan", slug="ahmad-hassan-idlib")
    with pytest.raises(forms.ValidationError, match="No speaker is called “<bdi>Nobody</bdi>”."):
        speakers.clean("Nobody")
    with pytest.raises(forms.ValidationError, match="Several speakers are called “<bdi>ahmad"):
        speakers.clean("ahmad hassan")
    assert speakers.clean("ahmad-hassan-idlib").slug == "ahmad-hassan-idlib"


# --- The filter set, bound to a query string ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        ({}, {"snhr-679", "peskov-denial"}),
        ({"speaker": "snhr"}, {"snhr-679"}),
        ({"speaker": "Dmitry Peskov"}, {"peskov-denial"}),
        ({"organisation": "Kremlin"}, {"peskov-denial"}),
        ({"speaker_kind": "ngo"}, {"snhr-679"}),
        ({"speaker_kind": "government"}, set()),
        ({"place": "SYR"}, {"snhr-679"}),
        ({"countered": "yes"}, {"snhr-679"}),
        ({"countered": "no"}, {"peskov-denial"}),
        ({"q": "airstrikes"}, {"snhr-679"}),
        ({"said_from": "2016-02-10", "said_to": "2016-02-10"}, {"peskov-denial"}),
        ({"said_from": "2016-02", "said_to": "2016-02"}, {"peskov-denial"}),
        ({"said_to": "2016-02"}, {"snhr-679", "peskov-denial"}),
        ({"said_to": "2016-01"}, set()),
        ({"speaker_kind": "person", "countered": "no"}, {"peskov-denial"}),
        ({"speaker": "snhr", "countered": "no"}, set()),
    ],
    ids=short,
)
def test_the_filter_set_keeps_the_published_claims_that_match(story, data, kept):
    assert narrowed(**data) == kept


def test_the_topic_and_assessment_filters_keep_what_they_name(story):
    story["claim"].topics.add(make_topic(slug="casualties", name="Civilian casualties"))
    assert narrowed(topic="civilian casualties") == {"snhr-679"}
    assert narrowed(topic="casualties", said_from="2016-03") == set()
    assert narrowed(assessment="contested") == set()
    Claim.objects.filter(pk=story["denial"].pk).update(assessment="contested")
    assert narrowed(assessment="contested") == {"peskov-denial"}


def test_the_bounds_are_cleaned_to_the_first_and_last_day_they_name():
    claims = bound(said_from="2016", said_to="2016-02")
    assert claims.is_valid()
    assert claims.form.cleaned_data["said_from"] == D(2016, 1, 1)
    assert claims.form.cleaned_data["said_to"] == D(2016, 2, 29)


@pytest.mark.parametrize(
    ("said_from", "said_to"),
    [("2017", "2016"), ("2016-03", "2016-02-29"), ("2016-02-11", "2016-02-10")],
)
def test_a_range_that_ends_before_it_starts_is_an_error_on_its_end(said_from, said_to):
    assert errors(said_from=said_from, said_to=said_to) == {"said_to": REVERSED}


@pytest.mark.parametrize(
    ("said_from", "said_to"),
    [("2016", "2016"), ("2016-02-29", "2016-02"), ("2016-02", "2016-02-01")],
)
def test_a_range_that_starts_and_ends_in_one_period_is_accepted(said_from, said_to):
    assert bound(said_from=said_from, said_to=said_to).is_valid()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"said_from": "2016-13"}, "said_from", "“2016-13” is not a date that exists."),
        ({"said_to": "abc"}, "said_to", "“abc” is not a date"),
        ({"speaker": "Nobody"}, "speaker", "No speaker is called"),
        ({"organisation": "dmitry-peskov"}, "organisation", "No organisation is called"),
        ({"topic": "weather"}, "topic", "No topic is called"),
        ({"assessment": "nonsense"}, "assessment", "Select a valid choice"),
        ({"speaker_kind": "alien"}, "speaker_kind", "Select a valid choice"),
        ({"countered": "maybe"}, "countered", "Select a valid choice"),
        ({"q": "x" * 5000}, "q", "at most"),
    ],
    ids=short,
)
def test_a_value_the_filters_cannot_use_is_an_error_on_its_field(story, data, field, message):
    assert message in errors(**data)[field]


def test_someone_named_only_in_drafts_is_not_called_so(story):
    make_claim(speaker=make_speaker(name="Secret Speaker", slug="secret"), text="A draft.")
    assert "No speaker is called" in errors(speaker="secret")["speaker"]


# --- The list page --------------------------------------------------------------------------


def test_each_filter_narrows_the_list_to_what_it_names(client, story):
    assert listed(client, speaker="snhr") == ["snhr-679"]
    assert listed(client, speaker="Syrian Network for Human Rights") == ["snhr-679"]
    assert listed(client, organisation="kremlin") == ["peskov-denial"]
    assert listed(client, speaker_kind="person") == ["peskov-denial"]
    assert listed(client, place="syr") == ["snhr-679"]
    assert listed(client, countered="yes") == ["snhr-679"]
    assert listed(client, countered="no") == ["peskov-denial"]
    assert listed(client, q="credible") == ["peskov-denial"]
    topic = make_topic(slug="casualties", name="Civilian casualties")
    story["claim"].topics.add(topic)
    assert listed(client, topic="casualties") == ["snhr-679"]
    assert listed(client, topic="Civilian casualties") == ["snhr-679"]
    story["denial"].assessment = "contested"
    story["denial"].correction_note = "Assessed."
    story["denial"].save()
    assert listed(client, assessment="contested") == ["peskov-denial"]


def test_said_between_uses_the_whole_known_interval(client):
    published(slug="feb", said_on=D(2016, 2, 1), said_on_precision="month")
    published(slug="feb-10", said_on=D(2016, 2, 10))
    published(slug="year", said_on=D(2016, 1, 1), said_on_precision="year")
    published(slug="before", said_on=D(2016, 2, 10), said_qualifier="on_or_before")
    published(slug="repeated", **REPEATEDLY)
    published(slug="undated", said_on=None, said_qualifier="not_stated")

    assert set(listed(client, said_from="2016", said_to="2016")) == {"feb", "feb-10", "year"}
    assert set(listed(client, said_from="2016-02-01", said_to="2016-02-10")) == {"feb-10"}
    assert set(listed(client, said_from="2016-02", said_to="2016-02")) == {"feb", "feb-10"}
    assert set(listed(client, said_to="2016-02")) == {"feb", "feb-10", "before", "repeated"}
    assert set(listed(client, said_from="2015")) == {"feb", "feb-10", "year", "repeated"}


def test_a_speaker_is_found_by_identifier_first_then_by_name(client):
    """A shared name asks for the identifier; the identifier then decides,
    even when it is also someone else's name."""
    first = make_speaker(name="Ahmad Hassan", slug="ahmad-hassan-aleppo")
    published(speaker=make_speaker(name="Ahmad Hassan", slug="ahmad-hassan-idlib"))
    published(speaker=first, text="Said in Aleppo.")
    html = page(client, LIST, {"speaker": "ahmad hassan"})
    assert "Several speakers are called “<bdi>ahmad hassan</bdi>”" in html
    assert "Said in Aleppo." not in html
    html = page(client, LIST, {"speaker": "ahmad-hassan-aleppo"})
    assert "Said in Aleppo." in html and "Several" not in html
    # Someone whose name is another's identifier: the identifier wins.
    other = make_speaker(name="ahmad-hassan-aleppo", slug="odd-name")
    published(speaker=other, text="Said by the odd name.")
    html = page(client, LIST, {"speaker": "ahmad-hassan-aleppo"})
    assert "Said in Aleppo." in html and "Said by the odd name." not in html
    html = page(client, LIST, {"speaker": "Odd-Name"})
    assert "No speaker is called" in html  # identifiers are exact


def test_invalid_filter_shows_the_error_not_an_empty_table(client, story):
    html = page(client, LIST, {"speaker": "Nobody At All"})
    assert "No speaker is called “<bdi>Nobody At All</bdi>”." in html
    assert "could not be understood" in html
    assert "No published claim matches" not in html
    html = page(client, LIST, {"said_from": "February"})
    assert "is not a date" in html


def test_filter_form_uses_get_and_labels_every_field(client):
    html = page(client, LIST)
    form = html.split('class="filters"')[1].split("</form>")[0]
    assert 'method="get"' in html.split('class="filters"')[0][-200:]
    ids = re.findall(r'<(?:input|select)[^>]*\sid="([^"]+)"', form)
    assert ids
    for field_id in ids:
        assert f'for="{field_id}"' in form, field_id


def test_no_select_lists_every_speaker(client):
    for n in range(30):
        make_speaker(name=f"Person {n}", slug=f"person-{n}")
    html = page(client, LIST)
    assert "Person 17" not in html


def test_export_of_an_invalid_filter_shows_the_form(client):
    response = client.get(LIST, {"_export": "csv", "said_from": "bad"})
    assert not response.streaming
    assert "is not a date" in response.content.decode()


def test_an_organisation_includes_the_bodies_within_it(client, story):
    russia = make_speaker(name="Russia", slug="russia", kind="government")
    story["kremlin"].organisations.add(russia)
    html = page(client, reverse("claims:speaker_detail", args=["russia"]))
    assert "credible evidence" in html  # Peskov, of the Kremlin, of Russia
    assert listed(client, organisation="russia") == ["peskov-denial"]
    russia.organisations.add(story["peskov"].organisations.get())  # a cycle ends
    assert listed(client, organisation="russia") == ["peskov-denial"]


def test_a_range_of_one_year_covers_the_whole_year(client):
    published(slug="new-year", said_on=D(2016, 1, 1))
    published(slug="new-years-eve", said_on=D(2016, 12, 31))
    published(slug="december", said_on=D(2016, 12, 1), said_on_precision="month")
    published(slug="the-year", said_on=D(2016, 1, 1), said_on_precision="year")
    published(slug="the-eve-before", said_on=D(2015, 12, 31))
    published(slug="the-day-after", said_on=D(2017, 1, 1))
    assert set(listed(client, said_from="2016", said_to="2016")) == {
        "new-year",
        "new-years-eve",
        "december",
        "the-year",
    }


def test_a_reversed_range_lists_nothing_and_says_why(client):
    published(text="Said in 2016.", said_on=D(2016, 6, 1))
    published(text="Said in 2017.", said_on=D(2017, 6, 1))
    response = client.get(LIST, {"said_from": "2017", "said_to": "2016"})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["filter"].form.errors == {"said_to": [REVERSED]}
    assert REVERSED in html and NOT_LISTED in html
    assert "<table" not in html and "Said in 201" not in html


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reversed_range_does_not_download(client, fmt):
    published(text="Said in 2016.", said_on=D(2016, 6, 1))
    response = client.get(LIST, {"_export": fmt, "said_from": "2017", "said_to": "2016"})
    assert not response.streaming and not response.has_header("Content-Disposition")
    assert REVERSED in response.content.decode()
    # The same range the right way round downloads.
    response = client.get(LIST, {"_export": fmt, "said_from": "2016", "said_to": "2017"})
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("field", ["said_from", "said_to"])
@pytest.mark.parametrize("typed", ["2016-13", "abc"])
def test_a_date_that_cannot_be_read_is_named_on_the_list(client, field, typed):
    published(text="A dated claim.")
    html = page(client, LIST, {field: typed})
    assert re.search(f'id="id_{field}-errors"><li>“{typed}” is not a date', html)
    assert NOT_LISTED in html and "A dated claim." not in html

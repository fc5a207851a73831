import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from claims.models import Citation, Claim, Figure, Rebuttal, Source, Speaker, format_number

from .factories import (
    make_citation,
    make_claim,
    make_figure,
    make_measure,
    make_rebuttal,
    make_source,
    make_speaker,
    make_topic,
)

pytestmark = pytest.mark.django_db
D = datetime.date


def messages_of(exc_info):
    return " ".join(str(m) for m in exc_info.value.messages)


# --- Database constraints: bad rows never reach the tables -------------------


def assert_rejected_by_database(save):
    with pytest.raises(IntegrityError), transaction.atomic():
        save()


def test_self_pair_rejected_by_database():
    claim = make_claim()
    assert_rejected_by_database(lambda: Rebuttal.objects.create(claim=claim, counterclaim=claim))


def test_duplicate_pair_rejected_by_database():
    claim, answer = make_claim(), make_claim()
    make_rebuttal(claim, answer)
    assert_rejected_by_database(lambda: make_rebuttal(claim, answer))


def test_reverse_pair_rejected_by_database():
    claim, answer = make_claim(), make_claim()
    make_rebuttal(claim, answer)
    assert_rejected_by_database(lambda: make_rebuttal(answer, claim))


def test_min_above_max_rejected_by_database():
    claim = make_claim()
    assert_rejected_by_database(lambda: make_figure(claim, value_min=10, value_max=5))


def test_reversed_claim_period_rejected_by_database():
    assert_rejected_by_database(
        lambda: make_claim(period_start=D(2016, 2, 1), period_end=D(2016, 1, 1))
    )


def test_reversed_figure_period_rejected_by_database():
    claim = make_claim()
    assert_rejected_by_database(
        lambda: make_figure(claim, period_start=D(2016, 2, 1), period_end=D(2016, 1, 1))
    )


def test_untruncated_month_rejected_by_database():
    assert_rejected_by_database(
        lambda: make_claim(said_on=D(2016, 2, 10), said_on_precision="month")
    )


def test_not_stated_with_a_date_rejected_by_database():
    assert_rejected_by_database(
        lambda: make_claim(said_qualifier="not_stated", said_on=D(2016, 2, 10))
    )


def test_duplicate_slug_rejected_by_database():
    make_claim(slug="same")
    assert_rejected_by_database(lambda: make_claim(slug="same"))


def test_duplicate_citation_rejected_by_database():
    claim, source = make_claim(), make_source()
    make_citation(claim, source, locator="p. 4")
    assert_rejected_by_database(lambda: make_citation(claim, source, locator="p. 4"))


# --- full_clean: the messages editors see ------------------------------------


def test_self_pair_message():
    claim = make_claim()
    with pytest.raises(ValidationError) as exc:
        Rebuttal(claim=claim, counterclaim=claim, relation="denies").full_clean()
    assert "A claim cannot rebut itself." in messages_of(exc)


def test_duplicate_and_reverse_pair_messages():
    claim, answer = make_claim(), make_claim()
    make_rebuttal(claim, answer)
    with pytest.raises(ValidationError) as exc:
        Rebuttal(claim=claim, counterclaim=answer, relation="denies").full_clean()
    assert "already paired" in messages_of(exc)
    with pytest.raises(ValidationError) as exc:
        Rebuttal(claim=answer, counterclaim=claim, relation="denies").full_clean()
    assert "already paired the other way round" in messages_of(exc)


def test_min_above_max_message():
    figure = Figure(claim=make_claim(), measure=make_measure(), value_min=10, value_max=5)
    with pytest.raises(ValidationError) as exc:
        figure.full_clean()
    assert "high end of a range cannot be below its low end" in messages_of(exc)


def test_reversed_period_message():
    claim = Claim(slug="x", text="x", period_start=D(2016, 3, 1), period_end=D(2016, 1, 1))
    with pytest.raises(ValidationError) as exc:
        claim.full_clean()
    assert "The period cannot end before it starts." in messages_of(exc)


def test_clean_truncates_dates_to_their_precision():
    claim = Claim(
        slug="x",
        text="x",
        said_on=D(2016, 2, 17),
        said_on_precision="month",
        period_start=D(2016, 1, 20),
        period_start_precision="year",
    )
    claim.full_clean()
    assert claim.said_on == D(2016, 2, 1)
    assert claim.period_start == D(2016, 1, 1)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"said_qualifier": "not_stated", "said_on": D(2016, 1, 1)}, "said_qualifier", "Clear"),
        ({"said_qualifier": "repeatedly"}, "said_on", "at least one bound"),
        ({"said_on": D(2016, 1, 1), "said_until": D(2016, 2, 1)}, "said_until", "only for"),
        ({"date_supplied_by_editor": True}, "date_note", "editor-supplied"),
        ({"original_text": "نص"}, "original_language", "language"),
        ({"original_language": "ar"}, "original_text", "original text"),
        (
            {"text_kind": "verbatim_original", "original_text": "Текст", "original_language": "ru"},
            "original_text",
            "already the original wording",
        ),
        ({"text_kind": "verbatim_original", "translator": "A. N. Other"}, "translator", "no"),
        ({"original_text": "x", "original_language": "Arabic"}, "original_language", "BCP 47"),
    ],
)
def test_claim_validation_names_the_field(fields, field, message):
    claim = Claim(slug="x", text="x", **fields)
    with pytest.raises(ValidationError) as exc:
        claim.full_clean()
    assert field in exc.value.message_dict
    assert message in " ".join(exc.value.message_dict[field])


def test_repeated_bounds_must_be_ordered():
    claim = Claim(
        slug="x",
        text="x",
        said_qualifier="repeatedly",
        said_on=D(2016, 3, 1),
        said_until=D(2016, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        claim.full_clean()
    assert "earliest bound must not be after the latest" in messages_of(exc)


def test_speaker_cannot_speak_for_itself():
    org = make_speaker(kind=Speaker.Kind.GOVERNMENT)
    claim = Claim(slug="x", text="x", speaker=org, speaking_for=org)
    with pytest.raises(ValidationError) as exc:
        claim.full_clean()
    assert "speaking_for" in exc.value.message_dict


def test_published_slug_is_fixed():
    claim = make_claim(slug="original")
    claim.set_status(Claim.Status.PUBLISHED)
    claim.save()
    claim.slug = "renamed"
    with pytest.raises(ValidationError) as exc:
        claim.full_clean()
    assert "permalink cannot change" in " ".join(exc.value.message_dict["slug"])


def test_draft_slug_may_change():
    claim = make_claim(slug="original")
    claim.slug = "renamed"
    claim.full_clean()


def test_first_publication_is_remembered():
    claim = make_claim()
    assert claim.first_published_at is None
    claim.set_status(Claim.Status.PUBLISHED)
    first = claim.first_published_at
    assert first is not None
    claim.set_status(Claim.Status.DRAFT)
    claim.set_status(Claim.Status.PUBLISHED)
    assert claim.first_published_at == first


# --- Figures -------------------------------------------------------------------


def test_figure_positions_fill_in_per_claim():
    claim, other = make_claim(), make_claim()
    first, second = make_figure(claim), make_figure(claim)
    assert (first.position, second.position) == (1, 2)
    assert make_figure(other).position == 1


@pytest.mark.parametrize(
    ("qualifier", "low", "high", "text"),
    [
        ("estimated", 679, None, "an estimated 679"),
        ("exact", 6686, None, "6,686"),
        ("more_than", 90, None, "more than 90"),
        ("about", 3300000, None, "about 3,300,000"),
        ("at_least", 1083, None, "at least 1,083"),
        ("exact", 1006, 1410, "1,006–1,410"),
        ("about", Decimal("12.50"), None, "about 12.5"),
    ],
)
def test_figure_keeps_its_qualifier(qualifier, low, high, text):
    figure = Figure(measure=make_measure(), value_min=low, value_max=high, qualifier=qualifier)
    assert figure.value_display == text


def test_format_number():
    assert format_number(Decimal("6686.00")) == "6,686"
    assert format_number(Decimal("0.25")) == "0.25"
    assert format_number(None) == ""


def test_part_of_must_be_the_same_claims_and_not_larger():
    claim = make_claim()
    civilians = make_measure(name="civilians killed x")
    whole = make_figure(claim, measure=civilians, value_min=6686)
    children = Figure(
        claim=claim, measure=make_measure(), value_min=1928, part_of=whole, position=9
    )
    children.full_clean()

    too_big = Figure(claim=claim, measure=civilians, value_min=7000, part_of=whole, position=8)
    with pytest.raises(ValidationError) as exc:
        too_big.full_clean()
    assert "larger than the whole" in messages_of(exc)

    elsewhere = Figure(claim=make_claim(), measure=civilians, value_min=1, part_of=whole)
    with pytest.raises(ValidationError) as exc:
        elsewhere.full_clean()
    assert "same claim" in messages_of(exc)

    attacks = make_measure(unit="attacks")
    wrong_unit = Figure(claim=claim, measure=attacks, value_min=1, part_of=whole, position=7)
    with pytest.raises(ValidationError) as exc:
        wrong_unit.full_clean()
    assert "same unit" in messages_of(exc)


# --- Dates as readers see them -------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "shown", "interval"),
    [
        (
            {"said_on": D(2016, 2, 10)},
            "10 February 2016",
            (D(2016, 2, 10), D(2016, 2, 10)),
        ),
        (
            {"said_on": D(2016, 2, 1), "said_on_precision": "month"},
            "February 2016",
            (D(2016, 2, 1), D(2016, 2, 29)),
        ),
        (
            {"said_on": D(2016, 2, 10), "said_qualifier": "on_or_before"},
            "on or before 10 February 2016",
            (None, D(2016, 2, 10)),
        ),
        (
            {
                "said_qualifier": "repeatedly",
                "said_on": D(2015, 9, 1),
                "said_on_precision": "month",
                "said_until": D(2016, 1, 1),
                "said_until_precision": "year",
            },
            "repeatedly between September 2015 and 2016",
            (D(2015, 9, 1), D(2016, 12, 31)),
        ),
        (
            {
                "said_qualifier": "repeatedly",
                "said_on": D(2015, 9, 1),
                "said_on_precision": "month",
            },
            "repeatedly since September 2015",
            (D(2015, 9, 1), None),
        ),
        (
            {"said_qualifier": "repeatedly", "said_until": D(2016, 2, 10)},
            "repeatedly, up to 10 February 2016",
            (None, D(2016, 2, 10)),
        ),
        ({"said_qualifier": "not_stated"}, "date not stated", (None, None)),
        ({}, "date not entered", (None, None)),
    ],
)
def test_said_display_and_interval(fields, shown, interval):
    claim = Claim(**fields)
    assert claim.said_display == shown
    assert claim.said_interval == interval


def test_original_text_direction():
    assert Claim(original_language="ar").original_direction == "rtl"
    assert Claim(original_language="fa-IR").original_direction == "rtl"
    assert Claim(original_language="ru").original_direction == "ltr"
    assert Claim().original_direction == "ltr"


# --- Sources and appearances ---------------------------------------------------


def test_source_unknowns_show_as_not_stated():
    source = Source(slug="s")
    assert source.title_display == "not stated"
    assert source.publisher_display == "not stated"
    assert source.published_display == "not stated"
    assert str(source) == "Untitled (s)"


def test_source_file_hash_is_computed_on_upload(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = b"report body"
    source = make_source()
    source.file.save("report.pdf", ContentFile(content))
    source.refresh_from_db()
    assert source.file_sha256 == hashlib.sha256(content).hexdigest()
    assert source.file.path.startswith(str(tmp_path))


def test_first_appearance_follows_relays_then_dates():
    claim = make_claim()
    report = make_source(slug="report")  # undated original
    news = make_source(slug="news", published_on=D(2016, 2, 1), published_precision="month")
    article = make_source(slug="article", published_on=D(2016, 2, 20))
    news.relays.add(report)
    article.relays.add(news)
    for source in (article, news, report):
        make_citation(claim, source)
    make_citation(claim, make_source(slug="evidence"), role=Citation.Role.SUPPORTS)

    claim = Claim.objects.prefetch_related("citations__source__relays").get(pk=claim.pk)
    assert [c.source.slug for c in claim.appearances()] == ["report", "news", "article"]
    assert claim.first_appearance().source.slug == "report"


def test_first_appearance_by_date_when_no_relays():
    claim = make_claim()
    late = make_source(slug="a-late", published_on=D(2016, 3, 1))
    early = make_source(slug="b-early", published_on=D(2016, 2, 1))
    undated = make_source(slug="0-undated")
    for source in (late, early, undated):
        make_citation(claim, source)
    assert [c.source.slug for c in claim.appearances()] == ["b-early", "a-late", "0-undated"]


def test_no_appearance():
    assert make_claim().first_appearance() is None


# --- Natural keys and querysets ------------------------------------------------


def test_natural_keys_find_each_row():
    claim = make_claim(slug="c")
    source = make_source(slug="s")
    citation = make_citation(claim, source, locator="¶ 2")
    figure = make_figure(claim)
    rebuttal = make_rebuttal(claim, make_claim(slug="d"))
    assert citation.natural_key() == ("c", "s", "appeared_in", "¶ 2")
    assert figure.natural_key() == ("c", 1)
    assert rebuttal.natural_key() == ("c", "d")
    for obj in (claim, source, citation, figure, rebuttal, claim.speaker, figure.measure):
        manager = type(obj)._default_manager
        assert manager.get_by_natural_key(*obj.natural_key()) == obj


def test_published_and_by_organisation():
    kremlin = make_speaker(kind=Speaker.Kind.GOVERNMENT)
    peskov = make_speaker()
    peskov.organisations.add(kremlin)
    by_member = make_claim(speaker=peskov, status=Claim.Status.PUBLISHED)
    by_org = make_claim(speaker=kremlin)
    for_org = make_claim(speaking_for=kremlin)
    make_claim()

    assert set(Claim.objects.by_organisation(kremlin)) == {by_member, by_org, for_org}
    assert list(Claim.objects.published().by_organisation(kremlin)) == [by_member]
    assert list(Claim.objects.by_speaker(peskov)) == [by_member]


def test_rebuttal_counts_read_both_sides():
    claim, answer, answer2 = make_claim(), make_claim(), make_claim()
    make_rebuttal(claim, answer)
    make_rebuttal(claim, answer2)
    make_rebuttal(answer, answer2)
    counts = {
        c.pk: (c.rebuttal_count, c.rebuts_count) for c in Claim.objects.with_rebuttal_counts()
    }
    assert counts[claim.pk] == (2, 0)
    assert counts[answer.pk] == (1, 1)
    assert counts[answer2.pk] == (0, 2)


def test_public_rebuttals_need_both_sides_published():
    published = make_claim(status=Claim.Status.PUBLISHED)
    draft = make_claim()
    other = make_claim(status=Claim.Status.PUBLISHED)
    make_rebuttal(published, draft)
    shown = make_rebuttal(published, other)
    assert list(Rebuttal.objects.public()) == [shown]


def test_every_model_has_str_and_url():
    claim = make_claim()
    objects = [
        claim,
        claim.speaker,
        make_source(),
        make_citation(claim),
        make_figure(claim),
        make_rebuttal(claim, make_claim()),
        make_measure(),
    ]
    for obj in objects:
        assert str(obj)
        assert obj.get_absolute_url().startswith("/")


# --- History --------------------------------------------------------------------------


def test_every_model_keeps_history():
    from django.apps import apps

    # A run of background work is a record itself, updated every few hundred rows.
    records = {"Run"}
    models = [
        m
        for m in apps.get_app_config("claims").get_models()
        if not m.__name__.startswith("Historical") and m.__name__ not in records
    ]
    assert len(models) >= 8
    for model in models:
        if model._meta.auto_created:
            continue
        assert hasattr(model, "history"), model.__name__


def test_changes_to_topics_and_organisations_are_recorded():
    claim = make_claim()
    topic = make_topic()
    before = claim.history.count()
    claim.topics.add(topic)
    assert claim.history.count() == before + 1
    assert [t.topic_id for t in claim.history.first().topics.all()] == [topic.pk]

    person, org = make_speaker(), make_speaker(kind=Speaker.Kind.GOVERNMENT)
    before = person.history.count()
    person.organisations.add(org)
    assert person.history.count() == before + 1


def test_public_speakers_are_those_a_published_claim_names():
    published, draft = Claim.Status.PUBLISHED, Claim.Status.DRAFT
    shown, hidden = [], []
    for status, into in ((published, shown), (draft, hidden)):
        speaker, spoken_for, accused, counted, publisher = (make_speaker() for _ in range(5))
        claim = make_claim(status=status, speaker=speaker, speaking_for=spoken_for)
        claim.accused.add(accused)
        make_figure(claim, attributed_to=counted)
        make_citation(claim, make_source(publisher=publisher))
        body = make_speaker(kind=Speaker.Kind.GOVERNMENT)
        speaker.organisations.add(body)
        into += [speaker, spoken_for, accused, counted, publisher, body]
    # A restricted source's publisher stays unseen, even cited by a published claim.
    secret_publisher = make_speaker()
    make_citation(
        make_claim(status=published), make_source(publisher=secret_publisher, restricted=True)
    )
    # Only the bodies of someone named count, one level up; a member alone is not enough.
    lonely_body, outer_body, above_shown = make_speaker(), make_speaker(), make_speaker()
    make_speaker().organisations.add(lonely_body)
    hidden[-1].organisations.add(outer_body)
    shown[-1].organisations.add(above_shown)  # public only as a body, not named
    # A member known only from drafts stays unseen in a public body.
    hidden[0].organisations.add(shown[-1])
    hidden += [secret_publisher, lonely_body, outer_body, above_shown, make_speaker()]
    everyone = [s.pk for s in shown + hidden]
    public = Speaker.objects.public().filter(pk__in=everyone)
    assert sorted(public.values_list("pk", flat=True)) == sorted(s.pk for s in shown)
    # The rule composes with other filters and inside subqueries.
    assert public.filter(kind=Speaker.Kind.GOVERNMENT).get() == shown[-1]
    member_of_hidden = make_speaker()
    member_of_hidden.organisations.add(hidden[5])  # the body of the draft's speaker
    member_of_public = Speaker.objects.filter(organisations__in=Speaker.objects.public())
    assert shown[0] in member_of_public and member_of_hidden not in member_of_public

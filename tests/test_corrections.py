"""History and corrections: every change attributable and comparable in the
admin, a claim revertible to an earlier version, and a substantive change to
a published claim recorded as a public, dated correction."""

import datetime

import feedparser
import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from claims.models import Claim, Correction, Figure

from .admin_forms import change_url, error_text, form_data, form_values
from .factories import make_figure, make_publishable, make_speaker


def revert_form_data(response):
    """What the history page's revert form posts back, as shown."""
    return form_values(response.context["adminform"].form)


pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_client(client, django_user_model):
    user = django_user_model.objects.create_user("reviewer", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(user)
    client.user = user
    return client


def published_claim(**fields):
    fields.setdefault("text", "Strikes killed 679 civilians in January.")
    claim = make_publishable(status=Claim.Status.PUBLISHED, **fields)
    return Claim.objects.get(pk=claim.pk)  # as loaded from the database


# --- The rule, in the model --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", "Strikes killed 680 civilians."),
        ("assessment", "contested"),
        ("said_qualifier", "on"),
    ],
)
def test_substantive_change_to_a_published_claim_needs_a_note(field, value):
    claim = published_claim()
    setattr(claim, field, value)
    if field == "said_qualifier":
        claim.said_on = datetime.date(2016, 2, 1)
        claim.said_on_precision = "month"
    with pytest.raises(ValidationError) as refused:
        claim.save()
    assert "correction_note" in refused.value.message_dict
    assert Correction.objects.count() == 0
    assert Claim.objects.get(pk=claim.pk).text == "Strikes killed 679 civilians in January."


def test_a_speaker_change_needs_a_note_too():
    claim = published_claim()
    claim.speaker = make_speaker(name="Someone else")
    with pytest.raises(ValidationError, match="speaker"):
        claim.save()


def test_a_note_records_a_dated_public_correction_and_the_reason_in_history():
    claim = published_claim()
    claim.text = "Strikes killed 680 civilians in January."
    claim.correction_note = "The report said 680, not 679."
    claim.save()
    correction = claim.corrections.get()
    assert correction.note == "The report said 680, not 679."
    assert correction.changed == ["text"]
    assert correction.corrected_at.date() == datetime.date.today()
    assert (
        claim.history.first().history_change_reason == "Correction: The report said 680, not 679."
    )
    # The note is used once: the next change needs its own.
    claim.text = "Something else."
    with pytest.raises(ValidationError):
        claim.save()


def test_drafts_and_minor_edits_need_no_note():
    draft = make_publishable()
    draft.text = "Reworded while still a draft."
    draft.save()
    claim = published_claim()
    claim.internal_notes = "Checked the Arabic original."
    claim.place = "Idlib"
    claim.save()
    assert Correction.objects.count() == 0


def test_a_claim_not_loaded_from_the_database_is_still_checked():
    claim = published_claim()
    stale = Claim(**{f.attname: getattr(claim, f.attname) for f in Claim._meta.concrete_fields})
    stale._state.adding = False
    stale.text = "Changed behind the form's back."
    with pytest.raises(ValidationError):
        stale.save()


# --- In the admin ----------------------------------------------------------------------


def test_reviewer_corrects_a_published_claim_with_a_note(reviewer_client):
    claim = published_claim()
    data = form_data(reviewer_client.get(change_url(claim)))
    data["text"] = "Strikes killed 680 civilians in January."
    refused = reviewer_client.post(change_url(claim), data)
    assert "changing its text is a correction" in error_text(refused)
    assert Claim.objects.get(pk=claim.pk).text == "Strikes killed 679 civilians in January."

    data["correction_note"] = "The report said 680."
    assert reviewer_client.post(change_url(claim), data).status_code == 302
    claim.refresh_from_db()
    assert claim.text == "Strikes killed 680 civilians in January."
    correction = claim.corrections.get()
    assert correction.note == "The report said 680."
    record = claim.history.first()
    assert record.history_user == reviewer_client.user
    assert record.history_change_reason == "Correction: The report said 680."


def test_editor_may_not_correct_a_published_claim(editor_client):
    claim = published_claim()
    data = form_data(editor_client.get(change_url(claim)))
    data["text"] = "An editor's own wording."
    data["correction_note"] = "Tidied."
    response = editor_client.post(change_url(claim), data)
    assert "may not correct a published claim" in error_text(response)
    assert Correction.objects.count() == 0


def test_editor_crafted_assessment_is_ignored(editor_client):
    claim = make_publishable()
    data = form_data(editor_client.get(change_url(claim)))
    assert "assessment" not in data
    data["assessment"] = "corroborated"
    editor_client.post(change_url(claim), data)
    assert Claim.objects.get(pk=claim.pk).assessment != "corroborated"


def test_changing_only_figures_needs_a_note_and_is_recorded(reviewer_client):
    claim = published_claim()
    make_figure(claim, value_min=679)
    data = form_data(reviewer_client.get(change_url(claim)))
    figure_prefix = next(k for k in data if k.endswith("-0-value_min")).removesuffix("-0-value_min")
    data[f"{figure_prefix}-0-value_min"] = "680"
    refused = reviewer_client.post(change_url(claim), data)
    assert "changing its figures is a correction" in error_text(refused)
    assert Figure.objects.get(claim=claim).value_min == 679

    data["correction_note"] = "680 civilians, as the report says."
    assert reviewer_client.post(change_url(claim), data).status_code == 302
    assert Figure.objects.get(claim=claim).value_min == 680
    assert claim.corrections.get().changed == ["figures"]


def test_published_claims_figures_are_not_changed_on_their_own(reviewer_client):
    claim = published_claim()
    figure = make_figure(claim)
    url = reverse("admin:claims_figure_change", args=[figure.pk])
    response = reviewer_client.post(url, {"value_min": "1"})
    assert response.status_code == 403
    assert Figure.objects.get(pk=figure.pk).value_min == 10


def test_correction_notes_are_listed_on_the_claim_in_the_admin(reviewer_client):
    claim = published_claim()
    claim.text = "Corrected."
    claim.correction_note = "Fixed the number."
    claim.save()
    page = reviewer_client.get(change_url(claim)).content.decode()
    assert "Fixed the number." in page
    assert "corrections: shown publicly on the claim page" in page.lower()


# --- History: visible, comparable, revertible ------------------------------------------


def test_history_shows_who_changed_what(reviewer_client):
    claim = make_publishable(text="First wording.")
    data = form_data(reviewer_client.get(change_url(claim)))
    data["text"] = "Second wording."
    reviewer_client.post(change_url(claim), data)
    page = reviewer_client.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    html = page.content.decode()
    assert "reviewer" in html
    assert "First wording." in html and "Second wording." in html  # the change, old → new
    assert ' style="' not in html  # the Content Security Policy allows no inline style


def test_revert_a_draft_to_an_earlier_version(reviewer_client):
    claim = make_publishable(text="First wording.")
    first = claim.history.earliest()
    claim.text = "Second wording."
    claim.save()
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, first.pk])
    form = reviewer_client.get(url)
    assert form.status_code == 200
    data = revert_form_data(form)
    assert data["text"] == "First wording."
    assert reviewer_client.post(url, data).status_code == 302
    claim.refresh_from_db()
    assert claim.text == "First wording."
    assert claim.history.count() == 3


def test_reverting_a_published_claim_is_a_correction(reviewer_client):
    claim = published_claim(text="First wording.")
    first = claim.history.earliest()
    claim.text = "Wrong wording."
    claim.correction_note = "Reworded."
    claim.save()
    url = reverse("admin:claims_claim_simple_history", args=[claim.pk, first.pk])
    data = revert_form_data(reviewer_client.get(url))
    refused = reviewer_client.post(url, data)
    assert refused.status_code == 200
    assert "is a correction" in str(refused.context["adminform"].form.errors)
    data["correction_note"] = "The first wording was right."
    assert reviewer_client.post(url, data).status_code == 302
    claim.refresh_from_db()
    assert claim.text == "First wording."
    assert [c.note for c in claim.corrections.all()] == [
        "The first wording was right.",
        "Reworded.",
    ]


# --- Public: on the claim page, in the log and in the feed -------------------------------


@pytest.fixture
def corrected():
    claim = published_claim()
    claim.text = "Strikes killed 680 civilians in January."
    claim.correction_note = "The report said 680, not 679."
    claim.save()
    draft = published_claim(text="A claim later unpublished.")
    draft.text = "Changed while public."
    draft.correction_note = "A note readers must not see once unpublished."
    draft.save()
    draft.status = Claim.Status.DRAFT
    draft.save()
    return claim


def test_claim_page_says_corrected_on_with_the_note(client, corrected):
    html = client.get(corrected.get_absolute_url()).content.decode()
    today = datetime.date.today()
    assert "Corrected on <time datetime=" in html
    assert f"{today.day} {today:%B %Y}" in html
    assert "The report said 680, not 679." in html


def test_corrections_log_lists_published_claims_only(client, corrected):
    html = client.get(reverse("claims:corrections")).content.decode()
    assert "The report said 680, not 679." in html
    assert "must not see" not in html
    assert corrected.get_absolute_url() in html


def test_corrections_feed(client, corrected):
    response = client.get(reverse("claims:corrections_feed"))
    feed = feedparser.parse(response.content)
    assert [entry.summary for entry in feed.entries] == ["The report said 680, not 679."]
    assert feed.entries[0].link.endswith(
        f"{corrected.get_absolute_url()}#correction-{corrected.corrections.get().pk}"
    )


def test_claim_page_queries_do_not_grow_with_corrections(client, django_assert_max_num_queries):
    claim = published_claim()
    for n in range(5):
        claim.text = f"Wording {n}."
        claim.correction_note = f"Correction {n}."
        claim.save()
    with django_assert_max_num_queries(16):
        response = client.get(claim.get_absolute_url())
    assert response.content.decode().count("Corrected on") == 5


def test_a_published_permalink_never_changes_even_through_the_orm():
    claim = published_claim(slug="fixed-permalink")
    claim.slug = "moved"
    with pytest.raises(ValidationError, match="permalink"):
        claim.save()
    stale = Claim.objects.only("pk", "first_published_at").get(pk=claim.pk)
    stale.slug = "moved-again"
    with pytest.raises(ValidationError):
        stale.save()
    assert Claim.objects.get(pk=claim.pk).slug == "fixed-permalink"
    draft = make_publishable(slug="draft-slug")
    draft.slug = "renamed-draft"
    draft.save()

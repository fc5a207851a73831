"""The editorial workflow: draft, in review, published, withdrawn; who may
move a claim where, and what publishing needs."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from claims.models import Claim

from .admin_forms import CHANGELIST, change_url, error_text, form_data
from .factories import make_citation, make_claim, make_publishable, make_source, make_speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(django_user_model):
    user = django_user_model.objects.create_user("reviewer", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def test_reviewers_group_can_publish_and_edit(reviewer):
    assert reviewer.has_perm("claims.publish_claim")
    assert reviewer.has_perm("claims.change_claim")
    assert not reviewer.has_perm("auth.change_user")


def test_editor_may_send_to_review_but_not_publish_or_withdraw(editor):
    claim = make_publishable()
    claim.move_to(Claim.Status.IN_REVIEW, editor)
    assert claim.status == Claim.Status.IN_REVIEW
    with pytest.raises(PermissionDenied):
        claim.move_to(Claim.Status.PUBLISHED, editor)
    with pytest.raises(PermissionDenied):
        claim.move_to(Claim.Status.WITHDRAWN, editor, reason="Wrong")


def test_publishing_needs_speaker_date_and_appearance(reviewer):
    claim = make_claim(speaker=None)
    with pytest.raises(ValidationError) as error:
        claim.move_to(Claim.Status.PUBLISHED, reviewer)
    problems = " ".join(error.value.messages)
    assert "no speaker" in problems and "no date" in problems and "no appearance" in problems
    claim.speaker = make_speaker()
    claim.said_qualifier = Claim.DateQualifier.NOT_STATED
    make_citation(claim)
    claim.move_to(Claim.Status.PUBLISHED, reviewer)
    assert claim.first_published_at is not None


def test_corroborated_needs_two_independent_sources(reviewer):
    claim = make_publishable(assessment=Claim.Assessment.CORROBORATED)
    original = make_source(slug="original-report")
    wire = make_source(slug="wire-copy", publisher=make_speaker(kind="media"))
    echo = make_source(slug="echo-copy", publisher=make_speaker(kind="media"))
    wire.relays.add(original)
    echo.relays.add(original)
    make_citation(claim, wire, role="supports")
    make_citation(claim, echo, role="supports")
    with pytest.raises(ValidationError, match="two independent sources"):
        claim.move_to(Claim.Status.PUBLISHED, reviewer)
    make_citation(claim, make_source(publisher=make_speaker(kind="ngo")), role="supports")
    claim.move_to(Claim.Status.PUBLISHED, reviewer)


def test_withdrawing_needs_a_reason_and_keeps_the_date(reviewer):
    claim = make_publishable()
    claim.move_to(Claim.Status.PUBLISHED, reviewer)
    with pytest.raises(ValidationError):
        claim.move_to(Claim.Status.WITHDRAWN, reviewer)
    claim.move_to(Claim.Status.WITHDRAWN, reviewer, reason="The quote was misattributed.")
    claim.save()
    assert claim.withdrawn_at is not None


def test_withdrawn_permalink_answers_410_with_date_and_reason(client, reviewer):
    claim = make_publishable(slug="withdrawn-one", text="Words once published.")
    claim.move_to(Claim.Status.PUBLISHED, reviewer)
    claim.move_to(Claim.Status.WITHDRAWN, reviewer, reason="The quote was misattributed.")
    claim.withdrawn_at = datetime.datetime(2026, 3, 4, tzinfo=datetime.UTC)
    claim.save()
    response = client.get(reverse("claims:claim_detail", args=["withdrawn-one"]))
    assert response.status_code == 410
    html = response.content.decode()
    assert "4 March 2026" in html and "misattributed" in html
    for url in (reverse("claims:claim_list"), reverse("claims:home"), reverse("claims:feed")):
        assert b"Words once published" not in client.get(url).content
    assert client.get(reverse("claims:search"), {"q": "once published"}).context["results"] == []


def test_admin_actions_follow_the_same_rules(client, editor, reviewer):
    ready, incomplete = make_publishable(), make_claim()
    client.force_login(editor)
    client.post(CHANGELIST, {"action": "send_to_review", "_selected_action": [ready.pk]})
    ready.refresh_from_db()
    assert ready.status == Claim.Status.IN_REVIEW

    client.force_login(reviewer)
    response = client.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [ready.pk, incomplete.pk]},
        follow=True,
    )
    ready.refresh_from_db()
    incomplete.refresh_from_db()
    assert ready.status == Claim.Status.PUBLISHED
    assert incomplete.status == Claim.Status.DRAFT
    assert "no appearance" in response.content.decode()


def test_change_form_refuses_to_publish_an_incomplete_claim(client, reviewer):
    claim = make_claim(speaker=None)
    url = change_url(claim)
    client.force_login(reviewer)
    data = form_data(client.get(url))
    data["status"] = "published"
    response = client.post(url, data)
    assert "no speaker" in error_text(response)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT

    data["status"] = "withdrawn"
    response = client.post(url, data)
    assert "why it is withdrawn" in error_text(response)


def test_imports_publish_only_what_may_be_published(tmp_path, django_user_model):
    import json

    from django.core.management import CommandError, call_command

    user = django_user_model.objects.create_superuser("chief", password=None)
    path = tmp_path / "claims.json"
    path.write_text(
        json.dumps(
            [
                {"model": "claims.speaker", "fields": {"slug": "x", "name": "X", "kind": "ngo"}},
                {
                    "model": "claims.claim",
                    "fields": {
                        "slug": "bare",
                        "text": "T",
                        "speaker": ["x"],
                        "status": "published",
                    },
                },
            ]
        )
    )
    for dry_run in ([], ["--dry-run"]):
        with pytest.raises(CommandError) as error:
            call_command("import_claims", str(path), "--user", user.username, "--quiet", *dry_run)
        assert "bare" in str(error.value) and "no appearance" in str(error.value)
        assert not Claim.objects.exists()


# --- Every admin action, by role, as a crafted POST ---------------------------------------

ROLES = ["editor", "reviewer", "staff without a group"]


@pytest.fixture
def as_role(client, editor, reviewer, django_user_model):
    def log_in(role):
        user = {
            "editor": editor,
            "reviewer": reviewer,
            "staff without a group": django_user_model.objects.create_user(
                "bystander", is_staff=True
            ),
        }[role]
        client.force_login(user)
        return client

    return log_in


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("action", "start", "allowed", "end"),
    [
        ("send_to_review", "draft", {"editor", "reviewer"}, "in_review"),
        ("publish", "in_review", {"reviewer"}, "published"),
        ("unpublish", "published", {"reviewer"}, "draft"),
    ],
)
def test_status_actions_by_role(as_role, role, action, start, allowed, end):
    claim = make_publishable(status=start)
    client = as_role(role)
    client.post(CHANGELIST, {"action": action, "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == (end if role in allowed else start)
    if role in allowed:
        assert claim.history.first().history_change_reason.endswith("from the claims list")


@pytest.mark.parametrize("role", ROLES)
def test_export_action_by_role(as_role, role):
    claim = make_publishable()
    response = as_role(role).post(
        CHANGELIST, {"action": "export_fixture", "_selected_action": [claim.pk]}
    )
    if role == "staff without a group":
        assert response.status_code == 403
    else:
        assert response["Content-Disposition"].startswith("attachment")
        assert claim.slug in b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("role", ROLES)
def test_crafted_withdrawal_by_role(as_role, role):
    claim = make_publishable(status=Claim.Status.PUBLISHED)
    url = change_url(claim)
    client = as_role(role)
    page = client.get(url)
    if role == "staff without a group":
        assert page.status_code == 403
        assert client.post(url, {"status": "withdrawn"}).status_code == 403
    else:
        data = form_data(page)
        data.update(status="withdrawn", withdrawal_reason="Crafted by hand.")
        client.post(url, data)
    claim.refresh_from_db()
    expected = Claim.Status.WITHDRAWN if role == "reviewer" else Claim.Status.PUBLISHED
    assert claim.status == expected


@pytest.mark.parametrize("role", ROLES)
def test_corrections_cannot_be_added_by_hand_and_only_reviewers_reword_them(as_role, role):
    claim = make_publishable(status=Claim.Status.PUBLISHED)
    claim = Claim.objects.get(pk=claim.pk)
    claim.text = "Corrected wording."
    claim.correction_note = "First note."
    claim.save()
    correction = claim.corrections.get()
    client = as_role(role)
    add = client.post(
        reverse("admin:claims_correction_add"), {"claim": claim.pk, "note": "Invented."}
    )
    assert add.status_code == 403
    correction_url = reverse("admin:claims_correction_change", args=[correction.pk])
    client.post(correction_url, {"note": "Reworded note."})
    correction.refresh_from_db()
    expected = "Reworded note." if role == "reviewer" else "First note."
    assert correction.note == expected
    assert claim.corrections.count() == 1

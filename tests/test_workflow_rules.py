"""Each editorial rule of claims.workflow, asked directly. The model, the
admin and the importer call these functions (docs/architecture.md); their
own tests check that they do."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from claims import workflow
from claims.models import Citation, Claim, Figure, Speaker

from .factories import make_citation, make_claim, make_source, make_speaker

DRAFT, REVIEW = Claim.Status.DRAFT, Claim.Status.IN_REVIEW
PUBLISHED, WITHDRAWN = Claim.Status.PUBLISHED, Claim.Status.WITHDRAWN


@pytest.fixture
def staff_without_permissions(django_user_model):
    return django_user_model.objects.create_user("staff", is_staff=True)


@pytest.fixture
def reviewer(django_user_model):
    """Another editor, who may publish."""
    user = django_user_model.objects.create_user("reviewer", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    user.user_permissions.add(Permission.objects.get(codename="publish_claim"))
    return user


def test_an_editor_is_staff_who_may_read_claims(
    editor, staff_without_permissions, django_user_model
):
    assert workflow.is_editor(editor)
    assert not workflow.is_editor(AnonymousUser())
    assert not workflow.is_editor(staff_without_permissions)
    reader = django_user_model.objects.create_user("reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_claim"))
    assert not workflow.is_editor(type(reader).objects.get(pk=reader.pk))  # not staff


def test_only_those_who_may_publish_may_correct(editor, reviewer):
    assert not workflow.may_publish(editor) and not workflow.may_correct(editor)
    assert workflow.may_publish(reviewer) and workflow.may_correct(reviewer)


def test_moving_into_or_out_of_what_readers_see_needs_the_publish_permission(editor, reviewer):
    assert workflow.move_refusal(editor, DRAFT, REVIEW) is None
    for old, new in [(DRAFT, PUBLISHED), (PUBLISHED, DRAFT), (REVIEW, WITHDRAWN)]:
        refusal = workflow.move_refusal(editor, old, new)
        assert refusal == "editor may not publish, unpublish or withdraw claims"
        assert workflow.publishing_refusal(editor, old, new) == refusal
        assert workflow.move_refusal(reviewer, old, new) is None


def test_any_move_needs_the_change_permission(staff_without_permissions):
    refusal = workflow.move_refusal(staff_without_permissions, DRAFT, REVIEW)
    assert refusal == "staff may not change claims"
    assert workflow.publishing_refusal(staff_without_permissions, DRAFT, REVIEW) is None


def test_permission_names_follow_the_model():
    assert workflow.permission("add", Citation) == "claims.add_citation"
    assert workflow.PUBLISH == "claims.publish_claim"


@pytest.mark.django_db
def test_publishing_needs_a_speaker_a_date_and_an_appearance():
    claim = make_claim(speaker=None)
    assert workflow.publication_problems(claim) == [
        "It has no speaker.",
        "It has no date: give one, or choose “date not stated”.",
        "It has no appearance: cite where it was made or reported.",
    ]
    claim.speaker = make_speaker()
    claim.said_on = datetime.date(2016, 2, 10)
    make_citation(claim, role=Citation.Role.SUPPORTS)
    assert workflow.publication_problems(claim) == [
        "It has no appearance: cite where it was made or reported."
    ]
    make_citation(claim, role=Citation.Role.APPEARED_IN)
    assert workflow.publication_problems(claim) == []


@pytest.mark.django_db
def test_corroborated_needs_two_independent_supporting_sources():
    claim = make_claim(said_qualifier=Claim.DateQualifier.NOT_STATED)
    make_citation(claim)
    claim.assessment = Claim.Assessment.CORROBORATED
    outlet = make_speaker(kind=Speaker.Kind.MEDIA)
    make_citation(claim, make_source(publisher=outlet), role=Citation.Role.SUPPORTS)
    make_citation(claim, make_source(publisher=outlet), role=Citation.Role.SUPPORTS)
    assert len(workflow.publication_problems(claim)) == 1  # one publisher: one source
    make_citation(claim, make_source(), role=Citation.Role.SUPPORTS)
    assert workflow.publication_problems(claim) == []


def test_a_withdrawal_needs_a_reason():
    assert workflow.withdrawal_problem("  ") == "Say publicly why it is withdrawn."
    assert workflow.withdrawal_problem("The quote was misattributed.") is None


def test_a_correction_names_the_substantive_fields_changed():
    stored = Claim(text="Old words", assessment=Claim.Assessment.UNASSESSED)
    changed = Claim(text="New words", assessment=Claim.Assessment.REFUTED, place="Aleppo")
    assert workflow.substantive_changes(stored, changed) == ["text", "assessment"]
    assert workflow.substantive_changes(stored, changed, fields=["assessment"]) == ["assessment"]
    values = {name: getattr(stored, name) for name in workflow.SUBSTANTIVE}
    assert workflow.substantive_changes(values, stored) == []


def test_figures_added_removed_or_changed_are_a_correction():
    figure = Figure(position=1, measure_id=3, value_min=Decimal("679.00"))
    # As a form submits it: the measure as an object, the value as typed.
    same = {name: getattr(figure, name) for name in workflow.FIGURE_FIELDS}
    same.update(measure_id=None, measure=SimpleNamespace(pk=3), value_min=Decimal("679"))
    claim = Claim(text="Words")
    assert not workflow.figures_changed([figure], [same])
    assert workflow.substantive_changes(claim, claim, [figure], [same]) == []
    assert workflow.substantive_changes(claim, claim, [figure], []) == ["figures"]
    assert workflow.substantive_changes(claim, claim, [], [figure]) == ["figures"]
    assert workflow.figures_changed([figure], [{**same, "value_min": Decimal("680")}])


def test_the_message_for_a_correction_without_a_note():
    message = workflow.correction_needed_message(["text", "figures"])
    assert message.startswith(
        "This claim is published: changing its text, figures is a correction."
    )


def test_nothing_is_linked_to_itself():
    assert workflow.links_itself(("kremlin",), [("russia",), ("kremlin",)])
    assert not workflow.links_itself(("kremlin",), [("russia",)])
    speaker, other = SimpleNamespace(pk=1), SimpleNamespace(pk=2)
    assert workflow.links_itself(speaker, [other, speaker])
    assert not workflow.links_itself(SimpleNamespace(pk=None), [SimpleNamespace(pk=None)])


def _figure(pk, claim_id=1, unit="people", value=10, part_of=None):
    measure = SimpleNamespace(unit=unit)
    return SimpleNamespace(
        pk=pk,
        claim_id=claim_id,
        measure_id=1,
        measure=measure,
        value_min=value,
        value_max=None,
        part_of=part_of,
    )


def test_a_figure_is_part_of_a_larger_figure_of_the_same_claim_and_unit():
    whole = _figure(1, value=100)
    assert workflow.whole_problem(_figure(2, value=10), whole) is None
    assert "same claim" in workflow.whole_problem(_figure(2, claim_id=9), whole)
    assert "same unit" in workflow.whole_problem(_figure(2, unit="attacks"), whole)
    assert "larger than the whole" in workflow.whole_problem(_figure(2, value=101), whole)


def test_a_figure_is_not_part_of_itself_through_others():
    part = _figure(1)
    middle = _figure(2, value=100, part_of=part)
    assert "part of itself" in workflow.whole_problem(part, middle)
    assert workflow.whole_chain(middle) == [2, 1]
    part.part_of = middle  # a cycle ends the chain
    assert workflow.whole_chain(middle) == [2, 1]

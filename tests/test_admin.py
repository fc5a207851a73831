import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, Figure, Rebuttal

from .admin_forms import CHANGELIST, change_url, error_text, form_data
from .factories import (
    make_citation,
    make_claim,
    make_figure,
    make_publishable,
    make_rebuttal,
    make_source,
    make_speaker,
    make_topic,
)

pytestmark = pytest.mark.django_db

EDITED_MODELS = ["claim", "speaker", "source", "topic", "measure", "citation", "figure", "rebuttal"]


def prefixes(response):
    return {
        inline.formset.model.__name__ + ":" + inline.formset.fk.name: inline.formset.prefix
        for inline in response.context["inline_admin_formsets"]
    }


def add_inline_row(data, prefix, **fields):
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = str(value)


# --- Editors can work -----------------------------------------------------------


def test_editor_sees_claim_changelist_and_change_page(editor_client):
    claim = make_claim(text="Russian airstrikes killed an estimated 679 civilians.")
    make_citation(claim)
    make_figure(claim)
    make_rebuttal(claim, make_claim())
    make_rebuttal(make_claim(), claim)

    response = editor_client.get(CHANGELIST)
    assert response.status_code == 200
    assert "679 civilians" in response.content.decode()

    response = editor_client.get(change_url(claim))
    assert response.status_code == 200
    page = response.content.decode().lower()
    assert "counterclaims answering this claim" in page
    assert "claims this one answers" in page

    assert editor_client.get(reverse("admin:claims_claim_add")).status_code == 200


@pytest.mark.parametrize(
    "model", ["speaker", "source", "topic", "measure", "citation", "figure", "rebuttal"]
)
def test_editor_opens_every_claims_admin(editor_client, model):
    claim = make_claim()
    make_citation(claim)
    make_figure(claim)
    make_rebuttal(claim, make_claim())
    make_topic()
    assert editor_client.get(reverse(f"admin:claims_{model}_changelist")).status_code == 200
    assert editor_client.get(reverse(f"admin:claims_{model}_add")).status_code == 200


def test_editor_cannot_open_user_or_group_admin(editor_client):
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert editor_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_changelist_search_and_filters(editor_client):
    snhr = make_speaker(name="Syrian Network for Human Rights", kind="ngo")
    wanted = make_claim(speaker=snhr, text="An estimated 679 civilians.")
    cited = make_claim(text="Another statement.")
    make_citation(cited, make_source(title="Transitions Online report"))
    other = make_claim(text="Unrelated words.")

    def listed(**params):
        response = editor_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return set(response.context["cl"].result_list)

    assert listed(q="Syrian Network") == {wanted}
    assert listed(q="Transitions Online") == {cited}
    assert listed(q="679") == {wanted}
    assert listed(**{"speaker__kind__exact": "ngo"}) == {wanted}
    assert other in listed()


def test_changelist_dates_are_shown_at_their_precision(editor_client):
    make_claim(said_on=datetime.date(2016, 2, 1), said_on_precision="month")
    make_claim(said_on=datetime.date(2016, 2, 10), said_qualifier="on_or_before")
    make_claim(said_qualifier="not_stated")
    page = editor_client.get(CHANGELIST).content.decode()
    assert "February 2016" in page
    assert "on or before 10 February 2016" in page
    assert "date not stated" in page
    assert "Feb. 1, 2016" not in page


def test_changelist_query_count_does_not_grow_with_rows(editor_client):
    def add_claims(n):
        for _ in range(n):
            claim = make_claim(speaking_for=make_speaker(kind="government"))
            make_citation(claim)
            make_rebuttal(claim, make_claim())

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = editor_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(queries)

    add_claims(2)
    few = count_queries()
    add_claims(20)
    many = count_queries()
    assert few == many


# --- Publishing needs the permission ---------------------------------------------


def test_editor_sees_no_publish_action(editor_client):
    make_claim()
    response = editor_client.get(CHANGELIST)
    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "publish" not in actions
    assert "unpublish" not in actions


def test_publisher_sees_publish_actions(publisher_client):
    make_claim()
    response = publisher_client.get(CHANGELIST)
    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert {"publish", "unpublish"} <= set(actions)


def test_editor_crafted_publish_action_changes_nothing(editor_client):
    claims = [make_claim(), make_claim()]
    response = editor_client.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [c.pk for c in claims]},
        follow=True,
    )
    assert response.status_code == 200
    assert Claim.objects.published().count() == 0


def test_editor_crafted_status_in_change_form_is_ignored(editor_client):
    claim = make_claim()
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    assert "status" not in data  # read-only for editors
    data["status"] = "published"
    data["text"] = "Edited words."
    response = editor_client.post(change_url(claim), data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.text == "Edited words."
    assert claim.status == Claim.Status.DRAFT


def test_bulk_publish_writes_one_history_record_per_claim(publisher_client, publisher):
    claims = [make_publishable() for _ in range(3)]
    already = make_claim(status=Claim.Status.PUBLISHED)
    before = {c.pk: c.history.count() for c in [*claims, already]}

    response = publisher_client.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [c.pk for c in [*claims, already]]},
    )
    assert response.status_code == 302

    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == Claim.Status.PUBLISHED
        assert claim.first_published_at is not None
        assert claim.history.count() == before[claim.pk] + 1
        record = claim.history.first()
        assert record.status == Claim.Status.PUBLISHED
        assert record.history_user == publisher
        assert record.history_change_reason == "Published from the claims list"
    assert already.history.count() == before[already.pk]


def test_bulk_unpublish_keeps_first_publication(publisher_client):
    claim = make_claim()
    claim.set_status(Claim.Status.PUBLISHED)
    claim.save()
    first = claim.first_published_at
    publisher_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DRAFT
    assert claim.first_published_at == first


def test_publisher_publishes_from_the_change_form(publisher_client):
    claim = make_publishable()
    data = form_data(publisher_client.get(change_url(claim)))
    data["status"] = "published"
    assert publisher_client.post(change_url(claim), data).status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PUBLISHED
    assert claim.first_published_at is not None


def test_published_slug_is_read_only(publisher_client):
    claim = make_claim(slug="fixed")
    claim.set_status(Claim.Status.PUBLISHED)
    claim.save()
    data = form_data(publisher_client.get(change_url(claim)))
    assert "slug" not in data
    data["slug"] = "moved"
    publisher_client.post(change_url(claim), data)
    claim.refresh_from_db()
    assert claim.slug == "fixed"


# --- Mistakes get messages an editor understands -------------------------------------


def test_self_pair_in_the_admin(editor_client):
    claim = make_claim()
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    add_inline_row(
        data, prefixes(response)["Rebuttal:claim"], counterclaim=claim.pk, relation="denies"
    )
    response = editor_client.post(change_url(claim), data)
    assert "A claim cannot rebut itself." in error_text(response)
    assert Rebuttal.objects.count() == 0


def test_duplicate_pair_in_one_submission(editor_client):
    claim, answer = make_claim(), make_claim()
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    prefix = prefixes(response)["Rebuttal:claim"]
    add_inline_row(data, prefix, counterclaim=answer.pk, relation="denies")
    add_inline_row(data, prefix, counterclaim=answer.pk, relation="contradicts")
    response = editor_client.post(change_url(claim), data)
    assert "duplicate" in error_text(response).lower()
    assert Rebuttal.objects.count() == 0


def test_pair_entered_the_other_way_round(editor_client):
    claim, answer = make_claim(), make_claim()
    make_rebuttal(claim, answer)
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    add_inline_row(
        data, prefixes(response)["Rebuttal:counterclaim"], claim=answer.pk, relation="denies"
    )
    response = editor_client.post(change_url(claim), data)
    assert "already paired the other way round" in error_text(response)
    assert Rebuttal.objects.count() == 1


def test_min_above_max_in_the_admin(editor_client):
    claim = make_claim()
    figure = make_figure(claim, value_min=100)
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    prefix = prefixes(response)["Figure:claim"]
    data[f"{prefix}-0-value_max"] = "50"
    response = editor_client.post(change_url(claim), data)
    assert "high end of a range cannot be below its low end" in error_text(response)
    figure.refresh_from_db()
    assert figure.value_max is None


def test_reversed_period_in_the_admin(editor_client):
    claim = make_claim()
    data = form_data(editor_client.get(change_url(claim)))
    data["period_start"] = "2016-03-01"
    data["period_end"] = "2016-01-01"
    data["text"] = "Changed text that must not be saved."
    response = editor_client.post(change_url(claim), data)
    assert "The period cannot end before it starts." in error_text(response)
    claim.refresh_from_db()
    assert claim.period_start is None
    assert claim.text != "Changed text that must not be saved."


def test_figure_part_of_offers_only_this_claims_figures(editor_client):
    claim, other = make_claim(), make_claim()
    mine = make_figure(claim)
    make_figure(other)
    response = editor_client.get(change_url(claim))
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.model is Figure)
    choices = inline.formset.forms[0].fields["part_of"].queryset
    assert list(choices) == [mine]


def test_add_claim_with_everything_in_one_page(editor_client):
    speaker = make_speaker()
    source = make_source()
    answered = make_claim()
    response = editor_client.get(reverse("admin:claims_claim_add"))
    data = form_data(response)
    names = prefixes(response)
    data.update(
        {
            "text": "No one has presented a single piece of credible evidence.",
            "text_kind": "verbatim_translation",
            "slug": "no-credible-evidence",
            "speaker": str(speaker.pk),
            "said_qualifier": "on",
            "said_on": "2016-02-10",
            "said_on_precision": "day",
            "said_until_precision": "day",
            "period_start_precision": "day",
            "period_end_precision": "day",
            "assessment": "unassessed",
            f"{names['Citation:claim']}-0-source": str(source.pk),
            f"{names['Citation:claim']}-0-role": "appeared_in",
            f"{names['Citation:claim']}-0-locator": "¶ 7",
        }
    )
    add_inline_row(data, names["Rebuttal:counterclaim"], claim=answered.pk, relation="denies")
    response = editor_client.post(reverse("admin:claims_claim_add"), data)
    assert response.status_code == 302, error_text(response)
    claim = Claim.objects.get(slug="no-credible-evidence")
    assert claim.status == Claim.Status.DRAFT
    assert claim.citations.get().locator == "¶ 7"
    assert claim.rebuts.get().claim == answered
    assert claim.history.count() == 1


# --- Every list stays a fixed number of queries -------------------------------------


def _add_rows(model, n):
    for _ in range(n):
        claim = make_claim(speaking_for=make_speaker(kind="government"))
        untitled = make_source(title="", publisher=make_speaker(kind="media"))
        make_citation(claim, untitled)
        make_figure(claim, attributed_to=make_speaker(kind="military"))
        make_rebuttal(claim, make_claim())
        make_topic().claims.add(claim)


@pytest.mark.parametrize("model", EDITED_MODELS)
def test_every_changelist_query_count_is_fixed(editor_client, model):
    url = reverse(f"admin:claims_{model}_changelist")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(url).status_code == 200
        return len(queries)

    _add_rows(model, 2)
    few = count_queries()
    _add_rows(model, 15)
    assert count_queries() == few


@pytest.mark.parametrize(
    ("model", "field"),
    [("claim", "speaker"), ("citation", "source"), ("rebuttal", "counterclaim")],
)
def test_autocomplete_query_count_is_fixed(editor_client, model, field):
    url = reverse("admin:autocomplete")
    params = {"app_label": "claims", "model_name": model, "field_name": field, "term": ""}

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = editor_client.get(url, params)
        assert response.status_code == 200
        return len(queries), response.json()["results"]

    _add_rows(model, 2)
    few, _ = count_queries()
    _add_rows(model, 10)
    many, results = count_queries()
    assert few == many
    assert len(results) >= 10


def test_untitled_sources_are_named_by_publisher_in_autocomplete(editor_client):
    make_source(title="", slug="tol", publisher=make_speaker(name="Transitions Online"))
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "claims", "model_name": "citation", "field_name": "source", "term": "tol"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Untitled (Transitions Online)"]


def test_speaking_for_offers_only_organisations(editor_client):
    make_speaker(name="Kremlin", kind="government")
    make_speaker(name="Kremlin watcher", kind="person")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "claims",
            "model_name": "claim",
            "field_name": "speaking_for",
            "term": "Krem",
        },
    )
    assert [r["text"] for r in response.json()["results"]] == ["Kremlin"]


# --- The Editors group ------------------------------------------------------------------


def test_editors_group_can_edit_claim_data_but_not_publish_or_manage_users():
    from django.contrib.auth.models import Group

    codenames = set(
        Group.objects.get(name="Editors").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    for model in [
        "claim",
        "speaker",
        "source",
        "topic",
        "measure",
        "citation",
        "figure",
        "rebuttal",
    ]:
        for action in ["add", "change", "delete", "view"]:
            assert ("claims", f"{action}_{model}") in codenames
    assert ("claims", "publish_claim") not in codenames
    assert {app for app, _ in codenames} == {"claims"}


def test_original_text_fields_follow_the_writing_direction(editor_client):
    page = editor_client.get(reverse("admin:claims_claim_add")).content.decode()
    assert 'name="original_text"' in page
    assert page.count('dir="auto"') >= 5


def test_pair_entered_both_ways_in_one_submission(editor_client):
    claim, other = make_claim(), make_claim()
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    names = prefixes(response)
    add_inline_row(data, names["Rebuttal:claim"], counterclaim=other.pk, relation="denies")
    add_inline_row(data, names["Rebuttal:counterclaim"], claim=other.pk, relation="denies")
    response = editor_client.post(change_url(claim), data)
    assert "paired once" in error_text(response)
    assert Rebuttal.objects.count() == 0


# --- Figures, links and lists: more mistakes an editor can make -------------------------


def figure_prefix(response):
    return prefixes(response)["Figure:claim"]


@pytest.mark.parametrize("value", ["1,928", ""])
def test_part_of_with_a_bad_value_is_a_message_not_an_error_page(editor_client, value):
    claim = make_claim()
    whole = make_figure(claim, value_min=6686)
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    prefix = figure_prefix(response)
    add_inline_row(
        data,
        prefix,
        measure=whole.measure_id,
        value_min=value,
        qualifier="exact",
        part_of=whole.pk,
        period_start_precision="day",
        period_end_precision="day",
    )
    response = editor_client.post(change_url(claim), data)
    assert response.status_code == 200
    assert "number" in error_text(response) or "required" in error_text(response)
    assert claim.figures.count() == 1


def test_part_of_without_a_measure_is_a_message(editor_client):
    claim = make_claim()
    whole = make_figure(claim, value_min=6686)
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    add_inline_row(
        data,
        figure_prefix(response),
        value_min="10",
        qualifier="exact",
        part_of=whole.pk,
        period_start_precision="day",
        period_end_precision="day",
    )
    response = editor_client.post(change_url(claim), data)
    assert "This field is required." in error_text(response)


def test_part_of_cycle_is_rejected(editor_client):
    claim = make_claim()
    a = make_figure(claim, value_min=10)
    b = make_figure(claim, value_min=10, part_of=a)
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    prefix = figure_prefix(response)
    row = next(i for i in range(2) if data[f"{prefix}-{i}-id"] == str(a.pk))
    data[f"{prefix}-{row}-part_of"] = str(b.pk)
    response = editor_client.post(change_url(claim), data)
    assert "cannot be part of itself" in error_text(response)
    a.refresh_from_db()
    assert a.part_of is None


def test_reversed_figure_period_in_the_admin(editor_client):
    claim = make_claim()
    make_figure(claim)
    response = editor_client.get(change_url(claim))
    data = form_data(response)
    prefix = figure_prefix(response)
    data[f"{prefix}-0-period_start"] = "2016-03-01"
    data[f"{prefix}-0-period_end"] = "2016-01-01"
    response = editor_client.post(change_url(claim), data)
    assert "The period cannot end before it starts." in error_text(response)


def test_change_page_queries_do_not_grow_with_figures(editor_client):
    claim = make_claim()

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(change_url(claim)).status_code == 200
        return len(queries)

    whole = make_figure(claim)
    make_figure(claim, part_of=whole, measure=whole.measure)
    few = count_queries()
    for _ in range(10):
        make_figure(claim, part_of=whole, measure=whole.measure)
    assert count_queries() == few


def test_speaker_cannot_belong_to_itself(editor_client):
    org = make_speaker(kind="government", name="Kremlin", slug="kremlin")
    url = reverse("admin:claims_speaker_change", args=[org.pk])
    response = editor_client.post(
        url, {"name": "Kremlin", "slug": "kremlin", "kind": "government", "organisations": [org.pk]}
    )
    assert response.status_code == 200
    assert "cannot be linked to itself" in str(response.context["adminform"].form.errors)
    assert not org.organisations.exists()


def test_source_cannot_relay_itself(editor_client):
    source = make_source(slug="report")
    url = reverse("admin:claims_source_change", args=[source.pk])
    response = editor_client.post(
        url,
        {
            "slug": "report",
            "kind": "report",
            "published_precision": "day",
            "relays": [source.pk],
        },
    )
    assert response.status_code == 200
    assert "cannot be linked to itself" in str(response.context["adminform"].form.errors)


def test_exact_duplicate_pair_gets_one_message():
    from django.core.exceptions import ValidationError

    claim, answer = make_claim(), make_claim()
    make_rebuttal(claim, answer)
    with pytest.raises(ValidationError) as exc:
        Rebuttal(claim=claim, counterclaim=answer, relation="denies").full_clean()
    assert exc.value.messages == ["These two claims are already paired."]


def test_said_in_year_filter_uses_the_whole_known_date(editor_client):
    feb = make_claim(said_on=datetime.date(2016, 2, 1), said_on_precision="month")
    year = make_claim(said_on=datetime.date(2016, 1, 1), said_on_precision="year")
    before = make_claim(said_on=datetime.date(2016, 2, 10), said_qualifier="on_or_before")
    undated = make_claim(said_qualifier="not_stated")

    def listed(value):
        response = editor_client.get(CHANGELIST, {"said_in": value})
        return set(response.context["cl"].result_list)

    assert listed("2016") == {feb, year}
    assert listed("not-stated") == {undated}
    assert before not in listed("2016")


def test_date_hierarchy_stops_at_years(editor_client):
    make_claim(said_on=datetime.date(2016, 2, 1), said_on_precision="month")
    make_claim(said_on=datetime.date(2019, 9, 1), said_on_precision="month")

    def hierarchy(**params):
        page = editor_client.get(CHANGELIST, params).content.decode()
        return page.split('class="toplinks"')[1].split("</nav>")[0]

    assert "2016" in hierarchy() and "2019" in hierarchy()
    for params in ({"said_on__year": "2016"}, {"said_on__year": "2016", "said_on__month": "2"}):
        assert "February" not in hierarchy(**params)
        assert "said_on__month=" not in hierarchy(**params).split("date-back")[-1]


def test_search_finds_claims_by_source_publisher(editor_client):
    claim = make_claim()
    make_citation(claim, make_source(title="", publisher=make_speaker(name="Transitions Online")))
    make_claim()
    response = editor_client.get(CHANGELIST, {"q": "Transitions Online"})
    assert list(response.context["cl"].result_list) == [claim]

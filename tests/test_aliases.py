"""A speaker's aliases: kept in the admin one per line, with history, and
found by the list's speaker filter and by search."""

import pytest

from claims import search
from claims.models import Claim, Speaker

from .factories import make_claim, make_speaker


@pytest.fixture
def sputnik(db):
    speaker = make_speaker(name="Sputnik", slug="sputnik", kind="media")
    claim = make_claim(
        speaker=speaker,
        slug="sputnik-claim",
        text="Nothing was struck.",
        said_qualifier=Claim.DateQualifier.NOT_STATED,
        status=Claim.Status.PUBLISHED,
    )
    return speaker, claim


def test_the_admin_keeps_aliases_one_per_line(admin_client, sputnik):
    speaker, _ = sputnik
    page = admin_client.get(f"/admin/claims/speaker/{speaker.pk}/change/")
    assert page.status_code == 200 and 'name="aliases"' in page.text
    form = {
        "name": "Sputnik",
        "short_name": "",
        "aliases": "SputnikNews\r\n  Спутник \r\n\r\nsputniknews",
        "slug": "sputnik",
        "kind": "media",
        "description": "",
        "website": "",
        "country": "",
    }
    response = admin_client.post(f"/admin/claims/speaker/{speaker.pk}/change/", form)
    assert response.status_code == 302, response.text
    speaker.refresh_from_db()
    assert speaker.aliases == ["SputnikNews", "Спутник"]
    assert speaker.history.first().aliases == ["SputnikNews", "Спутник"]


def test_the_list_filter_and_search_find_a_speaker_by_alias(client, sputnik):
    speaker, claim = sputnik
    speaker.aliases = ["Спутник", "Sputnik News"]
    speaker.save()
    page = client.get("/claims/", {"speaker": "спутник"})
    assert page.status_code == 200
    assert "Nothing was struck." in page.text
    page = client.get("/claims/", {"speaker": "sputnik-news"})
    assert "Nothing was struck." in page.text
    assert claim.pk in search.ranked_ids("Спутник", 10)


def test_an_unknown_name_is_still_refused(client, sputnik):
    page = client.get("/claims/", {"speaker": "Sputnikk"})
    assert "No speaker is called" in page.text
    assert Speaker.objects.count() == 1

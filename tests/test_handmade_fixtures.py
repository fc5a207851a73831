"""A fixture made by hand, without the times rows were created and changed,
loads with plain loaddata: the database gives them (db_default=Now())."""

import json

from django.core.management import call_command

from claims.models import Claim, Rebuttal, Source, Speaker


def test_a_fixture_without_timestamps_loads(db, tmp_path):
    objects = [
        {"model": "claims.speaker", "fields": {"slug": "snhr", "name": "SNHR", "kind": "ngo"}},
        {"model": "claims.speaker", "fields": {"slug": "mod", "name": "MoD", "kind": "military"}},
        {"model": "claims.source", "fields": {"slug": "report", "url": "https://sn4hr.org/r"}},
        {
            "model": "claims.claim",
            "fields": {"slug": "a", "text": "679 civilians were killed.", "speaker": ["snhr"]},
        },
        {
            "model": "claims.claim",
            "fields": {"slug": "b", "text": "We have not missed once.", "speaker": ["mod"]},
        },
        {
            "model": "claims.rebuttal",
            "fields": {"claim": ["a"], "counterclaim": ["b"], "relation": "denies"},
        },
    ]
    path = tmp_path / "handmade.json"
    path.write_text(json.dumps(objects))
    call_command("loaddata", str(path), verbosity=0)
    for model in (Speaker, Source, Claim):
        assert not model.objects.filter(created_at__isnull=True).exists()
        assert not model.objects.filter(updated_at__isnull=True).exists()
    assert Rebuttal.objects.get().created_at is not None
    assert Claim.objects.get(slug="a").created_at is not None

"""Fixtures in and out: exports, validated imports, round trips, bad files."""

import datetime
import gzip
import io
import json
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.exchange import MODELS
from claims.models import (
    Citation,
    Claim,
    Correction,
    Figure,
    Rebuttal,
    Source,
    Speaker,
    Topic,
)

from .factories import SEED, make_citation, make_claim, make_figure, make_rebuttal, make_source
from .fixture_files import (
    P679,
    counts,
    export,
    import_file,
    rejected,
    snapshot,
    wipe,
    write_json,
)

pytestmark = pytest.mark.django_db

PESKOV = "dmitry-peskov-no-credible-evidence-2016-02-10"


# --- Round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.json", "out.jsonl", "out.yaml", "out.xml", "out.jsonl.gz"])
def test_round_trip_through_import_is_byte_identical(seed, importer, tmp_path, name):
    first = export(tmp_path, name)
    wipe()
    import_file(first)
    second = export(tmp_path, "again-" + name)
    assert first.read_bytes() == second.read_bytes()
    record = Claim.objects.get(slug=P679).history.first()
    assert record.history_change_reason == f"imported from {name}"
    # Many-to-many links are part of the record, as for an edit in the admin.
    assert {t.topic.slug for t in record.topics.all()} == {"civilian-casualties", "air-strikes"}
    assert [a.speaker.slug for a in record.accused.all()] == ["russian-forces"]
    peskov = Speaker.objects.get(slug="dmitry-peskov").history.first()
    assert [o.to_speaker.slug for o in peskov.organisations.all()] == ["kremlin"]


@pytest.mark.parametrize("name", ["out.json", "out.jsonl", "out.yaml", "out.xml"])
def test_round_trip_through_loaddata_is_byte_identical(seed, tmp_path, name):
    first = export(tmp_path, name)
    wipe()
    call_command("loaddata", str(first), verbosity=0)
    assert first.read_bytes() == export(tmp_path, "again-" + name).read_bytes()


def test_export_is_deterministic_and_gzip_reproducible(seed, tmp_path):
    a = export(tmp_path, "a.json.gz")
    b = export(tmp_path, "b.json.gz")
    assert a.read_bytes() == b.read_bytes()
    header = a.read_bytes()[:10]
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert header[3] & 0x08 == 0  # no stored file name
    assert json.loads(gzip.decompress(a.read_bytes()))


def test_export_has_natural_keys_only(seed, tmp_path):
    objects = json.loads(export(tmp_path).read_text())
    assert all("pk" not in obj for obj in objects)
    assert not any(
        "said_sort" in obj["fields"] or "search_document" in obj["fields"] for obj in objects
    )
    assert [obj["model"] for obj in objects] == sorted(
        (obj["model"] for obj in objects),
        key=lambda label: [f"claims.{m._meta.model_name}" for m in MODELS].index(label),
    )


def test_export_to_stdout(seed, capsysbinary):
    call_command("export_claims", "--format", "jsonl", "--quiet", "--slug", PESKOV)
    lines = capsysbinary.readouterr().out.decode().splitlines()
    assert any(PESKOV in line for line in lines)


# --- Selections ----------------------------------------------------------------------------------


def exported(tmp_path, *args):
    objects = json.loads(export(tmp_path, "sel.json", *args).read_text())
    by_model = {}
    for obj in objects:
        by_model.setdefault(obj["model"].split(".")[1], []).append(obj["fields"])
    return by_model


def test_selection_by_slug_brings_what_it_needs(seed, tmp_path, importer):
    data = exported(tmp_path, "--slug", P679)
    slugs = {c["slug"] for c in data["claim"]}
    # The claim, the claims answering it, and the claims answering those.
    assert P679 in slugs and PESKOV in slugs
    assert "snhr-6686-civilians-killed-by-russian-forces-since-2015" in slugs
    speakers = {s["slug"] for s in data["speaker"]}
    assert {"snhr", "dmitry-peskov", "kremlin", "russia", "russian-forces"} <= speakers
    assert "airwars" in speakers  # answers Russia's denial, which answers the claim
    # Loadable on its own into an empty database.
    path = tmp_path / "sel.json"
    wipe()
    call_command("loaddata", str(path), verbosity=0)
    assert Claim.objects.filter(slug__in=slugs).count() == len(slugs)
    wipe()
    import_file(path)
    assert Claim.objects.count() == len(slugs)


def test_selection_by_speaker_topic_and_dates(seed, tmp_path):
    by_speaker = exported(tmp_path, "--speaker", "fadel-abdul-ghany")
    assert "fadel-abdul-ghany-cannot-trust-russian-sponsored-settlement" in {
        c["slug"] for c in by_speaker["claim"]
    }
    assert len(by_speaker["claim"]) == 1
    by_topic = {c["slug"] for c in exported(tmp_path, "--topic", "displacement")["claim"]}
    assert by_topic == {"snhr-3-3-million-people-displaced"}
    in_2019 = exported(tmp_path, "--since", "2019", "--until", "2019")["claim"]
    assert {c["said_on"][:4] for c in in_2019} == {"2019"}
    expected = Claim.objects.said_within(datetime.date(2019, 1, 1), datetime.date(2019, 12, 31))
    assert len(in_2019) == expected.count()


def test_published_only_leaves_out_drafts_restricted_sources_and_notes(seed, tmp_path):
    claim = Claim.objects.get(slug=P679)
    claim.internal_notes = "INTERNAL"
    claim.save()
    secret = make_source(slug="secret-witness", restricted=True, internal_notes="WITNESS")
    make_citation(claim, secret, role="supports")
    draft = make_claim(slug="draft-answer")
    make_rebuttal(claim, draft)
    text = export(tmp_path, "pub.json", "--published-only").read_text()
    assert "INTERNAL" not in text and "WITNESS" not in text
    assert "secret-witness" not in text and "draft-answer" not in text
    full = export(tmp_path, "all.json").read_text()
    assert "secret-witness" in full and "draft-answer" in full and "INTERNAL" in full


def test_bad_export_arguments(seed, tmp_path):
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_claims", "--since", "last week", "--quiet", "-o", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="after --until"):
        call_command(
            "export_claims",
            "--since",
            "2019",
            "--until",
            "2016",
            "--quiet",
            "-o",
            str(tmp_path / "x"),
        )


def test_admin_action_downloads_the_same_fixture(seed, tmp_path, client, importer):
    client.force_login(importer)
    importer.is_superuser = True
    importer.save()
    claim = Claim.objects.get(slug=P679)
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "export_fixture", "_selected_action": [claim.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body == export(tmp_path, "admin.json", "--slug", P679).read_bytes()


# --- Imports that change things ------------------------------------------------------------


def test_reimport_changes_nothing(seed, tmp_path, importer):
    path = export(tmp_path)
    wipe()
    import_file(path)
    history = {model: model.history.count() for model in MODELS}
    before = snapshot()
    report = import_file(path)
    assert "0 created, 0 updated" in report
    assert snapshot() == before
    assert {model: model.history.count() for model in MODELS} == history


def test_newer_export_updates_and_makes_parts_match(seed, tmp_path, importer):
    path = export(tmp_path)
    objects = json.loads(path.read_text())
    for obj in objects:
        fields = obj["fields"]
        if obj["model"] == "claims.claim" and fields["slug"] == P679:
            fields["text"] = "A corrected text."
            fields["topics"] = [["war-crimes"]]
    # Drop one citation and one figure of the 6,686 claim, one pairing of the 679 claim.
    six = "snhr-6686-civilians-killed-by-russian-forces-since-2015"
    objects = [
        o
        for o in objects
        if not (
            o["model"] == "claims.figure"
            and o["fields"]["claim"] == [six]
            and o["fields"]["position"] == 3
        )
        and not (
            o["model"] == "claims.citation"
            and o["fields"]["claim"] == [six]
            and o["fields"]["locator"] == ""
        )
        and not (o["model"] == "claims.rebuttal" and o["fields"]["counterclaim"] == [PESKOV])
    ]
    path.write_text(json.dumps(objects))
    # Both claims are published: their changes are corrections, which need a note.
    with pytest.raises(CommandError) as refused:
        import_file(path)
    assert "changing its text is a correction" in str(refused.value)
    assert "the figures" in str(refused.value) or "figures is a correction" in str(refused.value)
    assert Claim.objects.get(slug=P679).text != "A corrected text."

    report = import_file(path, "importer", "--correction-note", "Reworded after review.")
    assert "claims.claim: 0 created, 1 updated" in report
    assert "corrections recorded: 2 published claim(s)" in report
    corrections = {c.claim.slug: c for c in Correction.objects.select_related("claim")}
    assert corrections[P679].changed == ["text"]
    assert corrections[P679].note == "Reworded after review."
    assert corrections[six].changed == ["figures"]
    claim = Claim.objects.get(slug=P679)
    assert claim.text == "A corrected text."
    assert [t.slug for t in claim.topics.all()] == ["war-crimes"]
    assert not Figure.objects.filter(claim__slug=six, position=3).exists()
    assert not Citation.objects.filter(claim__slug=six, locator="").exists()
    assert not Rebuttal.objects.filter(claim=claim, counterclaim__slug=PESKOV).exists()
    record = claim.history.first()
    assert record.history_type == "~" and record.history_user.username == "importer"
    deleted = Figure.history.filter(claim_id=Claim.objects.get(slug=six).pk, history_type="-")
    assert deleted.count() == 1
    # The search index follows.
    from claims import search

    assert claim.pk in search.ranked_ids("corrected", 10)


def test_import_respects_the_users_permissions(seed, tmp_path, editor):
    path = export(tmp_path)
    wipe()
    with pytest.raises(CommandError) as error:
        import_file(path, user="editor")
    assert "may not publish, unpublish or withdraw claims" in str(error.value)
    assert counts() == {model.__name__: 0 for model in MODELS}


def test_unknown_user(seed, tmp_path):
    with pytest.raises(CommandError, match="No active user"):
        import_file(export(tmp_path), user="nobody")


def test_dry_run_writes_nothing(seed, tmp_path, importer):
    path = export(tmp_path)
    wipe()
    report = import_file(path, "importer", "--dry-run")
    assert "claims.claim: 24 created" in report
    assert Claim.objects.count() == 0


# --- Bad files: every problem named, nothing written ---------------------------------------------


def seed_objects():
    with open(SEED, encoding="utf-8") as handle:
        return json.load(handle)


def edited(change):
    objects = seed_objects()
    change(objects)
    return json.dumps(objects, ensure_ascii=False)


def first(objects, model, **match):
    for obj in objects:
        if obj["model"] == model and all(obj["fields"].get(k) == v for k, v in match.items()):
            return obj["fields"]
    raise LookupError(model)


BAD_FILES = {
    "truncated JSON": (lambda: json.dumps(seed_objects())[:5000], ["not valid JSON"]),
    "empty file": (lambda: "", ["the file is empty"]),
    "wrong model label": (
        lambda: edited(lambda o: o[0].update(model="claims.topix")),
        ["object 1", "model", "unknown model 'claims.topix'"],
    ),
    "unknown speaker key": (
        lambda: edited(lambda o: first(o, "claims.claim", slug=PESKOV).update(speaker=["nobody"])),
        [PESKOV, "speaker", "no claims.speaker with the natural key ['nobody']"],
    ),
    "dangling rebuttal": (
        lambda: edited(
            lambda o: first(o, "claims.rebuttal", counterclaim=[PESKOV]).update(
                counterclaim=["no-such-claim"]
            )
        ),
        [
            "claims.rebuttal",
            "counterclaim",
            "no claims.claim with the natural key ['no-such-claim']",
        ],
    ),
    "bad date": (
        lambda: edited(
            lambda o: first(o, "claims.claim", slug=PESKOV).update(said_on="2016-02-30")
        ),
        [PESKOV, "said_on", "invalid date"],
    ),
    "bad precision": (
        lambda: edited(
            lambda o: first(o, "claims.claim", slug=PESKOV).update(said_on_precision="week")
        ),
        [PESKOV, "said_on_precision", "not a valid choice"],
    ),
    "min above max": (
        lambda: edited(
            lambda o: first(
                o,
                "claims.figure",
                position=2,
                claim=["airwars-1006-to-1410-non-combatant-deaths-january-2016"],
            ).update(value_max="5")
        ),
        ["claims.figure", "value_max", "high end of a range cannot be below"],
    ),
    "self-pair": (
        lambda: edited(
            lambda o: first(o, "claims.rebuttal", counterclaim=[PESKOV]).update(claim=[PESKOV])
        ),
        ["claims.rebuttal", "A claim cannot rebut itself."],
    ),
    "duplicate slug": (
        lambda: edited(lambda o: o.append(o[-30])),
        ["appears twice"],
    ),
    "wrong type": (
        lambda: edited(lambda o: first(o, "claims.figure", position=1).update(value_min="many")),
        ["claims.figure", "value_min", "must be a decimal number"],
    ),
    "missing required field": (
        lambda: edited(lambda o: first(o, "claims.claim", slug=PESKOV).pop("text")),
        [PESKOV, "text", "required field missing"],
    ),
    "unknown field": (
        lambda: edited(lambda o: first(o, "claims.topic").update(colour="red")),
        ["claims.topic", "colour", "no such field"],
    ),
    "not stated with a date": (
        lambda: edited(
            lambda o: first(o, "claims.claim", slug=PESKOV).update(said_qualifier="not_stated")
        ),
        [PESKOV, "said_qualifier"],
    ),
    "not a list": (lambda: json.dumps({"model": "claims.topic"}), ["a fixture is a list"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_rejected_naming_the_object_and_field(seed, importer, tmp_path, case):
    build, expected = BAD_FILES[case]
    path = tmp_path / "bad.json"
    path.write_text(build(), encoding="utf-8")
    before_counts, before_rows = counts(), snapshot()
    history = {model: model.history.count() for model in MODELS}
    with pytest.raises(CommandError) as error:
        import_file(path)
    message = str(error.value)
    assert "bad.json" in message and "nothing was imported" in message
    for fragment in expected:
        assert fragment in message, message
    assert counts() == before_counts
    assert snapshot() == before_rows
    assert {model: model.history.count() for model in MODELS} == history


def test_every_problem_is_reported_at_once(seed, importer, tmp_path):
    def break_three(objects):
        first(objects, "claims.claim", slug=PESKOV).update(said_on="yesterday")
        first(objects, "claims.figure", position=1).update(value_min="many")
        objects[0]["model"] = "claims.nothing"

    path = tmp_path / "bad.json"
    path.write_text(edited(break_three))
    with pytest.raises(CommandError) as error:
        import_file(path)
    assert "3 problem(s)" in str(error.value)


@pytest.mark.parametrize("suffix", [".jsonl", ".yaml", ".xml", ".json.gz"])
def test_bad_files_in_other_formats(seed, importer, tmp_path, suffix):
    path = tmp_path / f"bad{suffix}"
    payload = {
        ".jsonl": b'{"model": "claims.topic", "fields": {\n',
        ".yaml": b"- model: [unclosed",
        ".xml": b"<django-objects><object",
        ".json.gz": b"\x1f\x8b not gzip",
    }[suffix]
    path.write_bytes(payload)
    with pytest.raises(CommandError, match="nothing was imported"):
        import_file(path)


@pytest.mark.parametrize(
    "doctype",
    [
        # A billion laughs: entities that expand into gigabytes.
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        # An external entity that would read a local file into a topic's name.
        '<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_xml_with_entities_is_refused(seed, importer, tmp_path, doctype):
    path = tmp_path / "hostile.xml"
    path.write_text(
        f'<?xml version="1.0"?>{doctype}<django-objects version="1.0">'
        '<object model="claims.topic"><field name="slug" type="SlugField">hostile</field>'
        '<field name="name" type="CharField">&b;</field></object></django-objects>'
    )
    with pytest.raises(CommandError) as refused:
        import_file(path)
    assert "XML with entity or DTD declarations is refused" in str(refused.value)
    assert not Topic.objects.filter(slug="hostile").exists()


def test_import_of_a_pair_already_standing_the_other_way(seed, importer, tmp_path):
    claim, other = make_claim(slug="a-claim"), make_claim(slug="b-claim")
    make_rebuttal(claim, other)
    path = tmp_path / "pair.json"
    path.write_text(
        json.dumps(
            [
                {
                    "model": "claims.rebuttal",
                    "fields": {
                        "claim": ["b-claim"],
                        "counterclaim": ["a-claim"],
                        "relation": "denies",
                    },
                }
            ]
        )
    )
    with pytest.raises(CommandError, match="already paired the other way round"):
        import_file(path)
    assert Rebuttal.objects.filter(claim=other).count() == 0


def test_speakers_and_sources_cannot_link_to_themselves(db, importer, tmp_path):
    path = tmp_path / "self.json"
    path.write_text(
        json.dumps(
            [
                {
                    "model": "claims.speaker",
                    "fields": {
                        "slug": "x",
                        "name": "X",
                        "kind": "government",
                        "organisations": [["x"]],
                    },
                },
                {"model": "claims.source", "fields": {"slug": "s", "relays": [["s"]]}},
            ]
        )
    )
    with pytest.raises(CommandError) as error:
        import_file(path)
    assert str(error.value).count("cannot be linked to itself") == 2
    assert not Speaker.objects.exists() and not Source.objects.exists()


def test_minimal_fixture_fills_defaults(db, importer, tmp_path):
    path = tmp_path / "min.json"
    path.write_text(
        json.dumps(
            [
                {"model": "claims.speaker", "fields": {"slug": "x", "name": "X", "kind": "ngo"}},
                {
                    "model": "claims.claim",
                    "fields": {
                        "slug": "c",
                        "text": "Words.",
                        "speaker": ["x"],
                        "said_on": "2016-02-17",
                        "said_on_precision": "month",
                    },
                },
                {
                    "model": "claims.measure",
                    "fields": {"slug": "m", "name": "things", "unit": "people"},
                },
                {
                    "model": "claims.figure",
                    "fields": {"claim": ["c"], "position": 1, "measure": ["m"], "value_min": "3"},
                },
            ]
        )
    )
    import_file(path)
    claim = Claim.objects.get(slug="c")
    assert claim.said_display == "February 2016"  # truncated to its precision
    assert claim.status == Claim.Status.DRAFT
    assert claim.figures.get().value_display == "3"
    assert make_figure  # the factories stay importable


# --- /data/ ---------------------------------------------------------------------------------------


@pytest.fixture
def dataset_root(settings, tmp_path):
    settings.DATASET_ROOT = tmp_path / "datasets"
    return settings.DATASET_ROOT


def test_data_page_lists_files_with_size_counts_and_hashes(client, seed, dataset_root):
    import hashlib

    html = client.get(reverse("claims:data")).content.decode()
    for name in ("counterclaim-published.jsonl.gz", "counterclaim-published.csv"):
        data = (dataset_root / name).read_bytes()
        assert name in html
        assert hashlib.sha256(data).hexdigest() in html
    assert "claims.claim</td><td>24" in html
    response = client.get(reverse("claims:data_file", args=["counterclaim-published.csv"]))
    assert response["Content-Disposition"].startswith("attachment")
    assert client.get(reverse("claims:data_file", args=["manifest.json"])).status_code == 404
    assert client.get("/data/..%2Fsettings.py").status_code == 404


def test_data_files_are_rebuilt_only_when_data_change(client, seed, dataset_root):
    client.get(reverse("claims:data"))
    manifest = json.loads((dataset_root / "manifest.json").read_text())
    mtime = (dataset_root / "counterclaim-published.csv").stat().st_mtime_ns
    client.get(reverse("claims:data"))
    client.get(reverse("claims:data_file", args=["counterclaim-published.csv"]))
    assert json.loads((dataset_root / "manifest.json").read_text()) == manifest
    assert (dataset_root / "counterclaim-published.csv").stat().st_mtime_ns == mtime

    claim = Claim.objects.get(slug=P679)
    claim.text = "Changed words for the dataset."
    claim.correction_note = "Reworded."
    claim.save()
    client.get(reverse("claims:data"))
    assert (
        json.loads((dataset_root / "manifest.json").read_text())["fingerprint"]
        != (manifest["fingerprint"])
    )
    assert "Changed words" in (dataset_root / "counterclaim-published.csv").read_text()


def test_data_files_hold_only_public_data(client, seed, dataset_root):
    make_claim(slug="draft-in-dataset", text="DRAFTWORD")
    make_citation(Claim.objects.get(slug=P679), make_source(slug="hidden", restricted=True))
    client.get(reverse("claims:data"))
    for path in dataset_root.iterdir():
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        assert b"DRAFTWORD" not in data and b"draft-in-dataset" not in data, path.name
        assert b'"hidden"' not in data, path.name
    # The fixture loads as it is.
    wipe()
    call_command("loaddata", str(dataset_root / "counterclaim-published.jsonl.gz"), verbosity=0)
    assert Claim.objects.count() == 24


HOLD_LOCK = (
    "import fcntl, sys, time; lock = open(sys.argv[1], 'w'); fcntl.flock(lock, fcntl.LOCK_EX); "
    "print('locked', flush=True); time.sleep(float(sys.argv[2]))"
)


@contextmanager
def another_build_running(dataset_root, seconds=20):
    """The lock a build holds, held by another process for at most `seconds`:
    a reader who waited for it would be seen to, not hang the tests."""
    dataset_root.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(dataset_root / ".lock"), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_readers_do_not_wait_for_a_build_in_progress(client, seed, dataset_root):
    # At a million claims a build takes minutes: each reader waiting for it
    # would hold a server thread. They get the files as they were.
    client.get(reverse("claims:data"))
    csv_file = dataset_root / "counterclaim-published.csv"
    before = csv_file.read_bytes()
    claim = Claim.objects.get(slug=P679)
    claim.text = "Changed while a build runs."
    claim.correction_note = "Reworded."
    claim.save()
    with another_build_running(dataset_root):
        html = client.get(reverse("claims:data")).content.decode()
        assert "new files are being built" in html
        assert "counterclaim-published.csv" in html
        response = client.get(reverse("claims:data_file", args=["counterclaim-published.csv"]))
        assert b"".join(response.streaming_content) == before
    # Once it is done, the next reader finds the data changed and builds.
    html = client.get(reverse("claims:data")).content.decode()
    assert "being built" not in html
    assert "Changed while a build runs." in csv_file.read_text()


def test_before_the_first_build_ends_readers_are_asked_to_come_back(client, seed, dataset_root):
    with another_build_running(dataset_root):
        html = client.get(reverse("claims:data")).content.decode()
        assert "being built for the first time" in html
        response = client.get(reverse("claims:data_file", args=["counterclaim-published.csv"]))
        assert response.status_code == 503
        assert response["Retry-After"] == "300"
        assert not (dataset_root / "counterclaim-published.csv").exists()


def test_a_build_clears_what_a_stopped_build_left(client, seed, dataset_root):
    leftover = dataset_root / ".building-stopped"
    leftover.mkdir(parents=True)
    (leftover / "counterclaim-published.csv").write_text("half a file")
    client.get(reverse("claims:data"))
    assert not leftover.exists()
    assert [p.name for p in dataset_root.glob(".building-*")] == []


def test_build_datasets_command(seed, dataset_root):
    out = io.StringIO()
    call_command("build_datasets", "--base-url", "https://claims.example.org/", stdout=out)
    assert "counterclaim-published.jsonl.gz" in out.getvalue()
    assert (
        "https://claims.example.org/claims/"
        in (dataset_root / "counterclaim-published.csv").read_text()
    )


# --- Crafted files -------------------------------------------------------------------------


def test_evidence_files_do_not_travel_in_fixtures(db, importer, tmp_path):
    path = write_json(
        tmp_path,
        [
            {
                "model": "claims.source",
                "fields": {"slug": "s", "file": "evidence/secret.pdf", "file_sha256": "0" * 64},
            }
        ],
    )
    message = rejected(path)
    assert "file: evidence files do not travel" in message
    assert "file_sha256: evidence files do not travel" in message
    assert not Source.objects.exists()


def test_types_a_fixture_cannot_hold(db, importer, tmp_path):
    path = write_json(
        tmp_path,
        [
            {"model": "claims.topic", "fields": {"slug": ["a"], "name": "A"}},
            {"model": "claims.speaker", "fields": {"slug": "x", "name": "X", "kind": "ngo"}},
            {
                "model": "claims.claim",
                "fields": {"slug": "c", "text": "T", "speaker": {"x": 1}, "said_on": 20160210},
            },
        ],
    )
    message = rejected(path)
    assert "natural key is incomplete or malformed" in message
    assert "speaker: expected a natural key" in message
    assert "said_on" in message


def test_parts_before_their_whole_and_a_dropped_whole(db, importer, tmp_path):
    claim = {
        "model": "claims.claim",
        "fields": {"slug": "c", "text": "T", "said_qualifier": "not_stated"},
    }
    measure = {
        "model": "claims.measure",
        "fields": {"slug": "m", "name": "killed", "unit": "people"},
    }

    def figure(position, value, part_of=None):
        return {
            "model": "claims.figure",
            "fields": {
                "claim": ["c"],
                "position": position,
                "measure": ["m"],
                "value_min": value,
                "part_of": ["c", part_of] if part_of else None,
            },
        }

    # The part (position 1) comes before its whole (position 2).
    import_file(write_json(tmp_path, [claim, measure, figure(1, 10, part_of=2), figure(2, 100)]))
    part = Figure.objects.get(position=1)
    assert part.part_of.position == 2
    # A newer file drops the whole but keeps the part, now on its own.
    report = import_file(write_json(tmp_path, [claim, measure, figure(1, 10)], "newer.json"))
    assert "claims.figure: 0 created, 1 updated, 0 unchanged, 1 deleted" in report
    assert list(Figure.objects.values_list("position", "part_of")) == [(1, None)]


def test_first_publication_is_not_a_field_to_set(seed, tmp_path, editor, importer):
    objects = json.loads(export(tmp_path).read_text())
    for obj in objects:
        if obj["model"] == "claims.claim" and obj["fields"]["slug"] == PESKOV:
            obj["fields"]["first_published_at"] = None
    editor.user_permissions.add(*Permission.objects.filter(codename__startswith="change_"))
    before = Claim.objects.get(slug=PESKOV).first_published_at
    # Publication time is history: kept as stored, and the report says so.
    report = import_file(write_json(tmp_path, objects), "editor")
    assert "first publication times kept as stored: 1 claim(s)" in report
    assert Claim.objects.get(slug=PESKOV).first_published_at == before
    # Asked to take the file's, only someone who may publish may.
    with pytest.raises(CommandError) as refused:
        import_file(write_json(tmp_path, objects), "editor", "--publication-times", "file")
    assert "first_published_at: editor may not change it" in str(refused.value)
    assert Claim.objects.get(slug=PESKOV).first_published_at == before
    later = before + datetime.timedelta(days=3)
    for obj in objects:
        if obj["model"] == "claims.claim" and obj["fields"]["slug"] == PESKOV:
            obj["fields"]["first_published_at"] = later.isoformat()
    report = import_file(write_json(tmp_path, objects), "importer", "--publication-times", "file")
    assert "first publication times changed: 1 claim(s)" in report
    assert Claim.objects.get(slug=PESKOV).first_published_at == later

    new = {
        "model": "claims.claim",
        "fields": {
            "slug": "fresh",
            "text": "T",
            "status": "published",
            "said_qualifier": "not_stated",
            "speaker": ["snhr"],
        },
    }
    cited = {
        "model": "claims.citation",
        "fields": {
            "claim": ["fresh"],
            "role": "appeared_in",
            "source": ["snhr-report-january-2016"],
        },
    }
    import_file(write_json(tmp_path, [new, cited], "new.json"))
    assert Claim.objects.get(slug="fresh").first_published_at is not None


def test_links_the_admin_would_not_offer(db, importer, tmp_path):
    path = write_json(
        tmp_path,
        [
            {
                "model": "claims.speaker",
                "fields": {"slug": "p", "name": "P", "kind": "person", "organisations": [["q"]]},
            },
            {"model": "claims.speaker", "fields": {"slug": "q", "name": "Q", "kind": "person"}},
            {
                "model": "claims.claim",
                "fields": {"slug": "c", "text": "T", "speaker": ["p"], "speaking_for": ["q"]},
            },
        ],
    )
    message = rejected(path)
    assert "speaking_for: ['q'] is not a valid choice here" in message
    assert "organisations: ['q'] is not a valid choice here" in message


def test_reimport_into_the_same_database_changes_nothing(seed, importer, tmp_path):
    path = export(tmp_path)
    history = {model: model.history.count() for model in MODELS}
    report = import_file(path)
    assert "updated" in report and " 0 updated" in report
    assert "1 updated" not in report and "created, 0 updated, 0 unchanged" not in report
    assert {model: model.history.count() for model in MODELS} == history


def test_a_broken_key_does_not_hide_a_broken_rule(seed, importer, tmp_path):
    def break_two(objects):
        first(objects, "claims.claim", slug=PESKOV).update(speaker=["nobody"])
        airwars = "airwars-1006-to-1410-non-combatant-deaths-january-2016"
        first(objects, "claims.figure", position=2, claim=[airwars]).update(value_max="5")

    path = tmp_path / "two.json"
    path.write_text(edited(break_two))
    message = rejected(path)
    assert "2 problem(s)" in message
    assert "speaker" in message and "high end of a range" in message


def test_export_of_an_unknown_speaker_says_so(seed, tmp_path):
    with pytest.raises(CommandError, match="--speaker: nothing is called typo"):
        call_command("export_claims", "--speaker", "typo", "--quiet", "-o", str(tmp_path / "x"))


def test_the_export_does_not_keep_its_queries_when_debug_is_on(settings, monkeypatch):
    """With DEBUG on Django keeps the last 9,000 queries; an export of a million
    claims sends more than that, each with a list of ids."""
    from django.db import connection

    from claims import exchange
    from claims.exchange import export

    monkeypatch.setattr(export, "CHUNK", 2)
    for n in range(10):
        make_claim(text=f"Claim {n}.")
    settings.DEBUG = True
    connection.queries_log.clear()
    kept = []
    plan = exchange.Plan(exchange.Selection())
    for _ in export._batches(exchange.rows(plan)):
        kept.append(len(connection.queries_log))
    assert len(kept) > 5 and max(kept) < 10, kept

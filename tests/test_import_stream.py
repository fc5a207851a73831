"""Imports as streams: files larger than a batch, problems late in a file,
broken JSON named by position, the cap on problems kept, memory that does
not follow the size of the file."""

import json
import tracemalloc

import pytest
from django.db import connection

from claims.exchange import MODELS
from claims.exchange.importer import Importer, reading, state
from claims.exchange.importer import run as running
from claims.models import Claim, Correction, Figure, Topic

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


@pytest.fixture
def small_batches(monkeypatch):
    """Seven objects a batch: the seed (140 objects) takes twenty."""
    monkeypatch.setattr(running, "OBJECTS_PER_BATCH", 7)


def history_counts():
    return {model: model.history.count() for model in MODELS}


@pytest.mark.parametrize("name", ["out.json", "out.jsonl", "out.xml", "out.yaml", "out.json.gz"])
def test_a_file_of_many_batches_round_trips_and_reimports_unchanged(
    seed, importer, tmp_path, small_batches, name
):
    first = export(tmp_path, name)
    wipe()
    report = import_file(first)
    assert "claims.citation: 46 created" in report
    # Speakers name organisations later in slug order (dmitry-peskov in the
    # kremlin): they wait for them, across batches.
    assert export(tmp_path, "again-" + name).read_bytes() == first.read_bytes()
    before, history = snapshot(), history_counts()
    report = import_file(first)
    assert "0 created, 0 updated" in report and "1 updated" not in report
    assert " 0 deleted" in report and "1 deleted" not in report
    assert snapshot() == before
    assert history_counts() == history


def test_a_problem_in_the_last_batch_undoes_the_earlier_batches(
    seed, importer, tmp_path, small_batches
):
    objects = json.loads(export(tmp_path).read_text())
    assert objects[-1]["model"] == "claims.rebuttal"
    objects[-1]["fields"]["relation"] = "agrees"
    path = write_json(tmp_path, objects)
    wipe()
    history = history_counts()
    message = rejected(path)
    assert f"crafted.json object {len(objects)}" in message
    assert "relation" in message and "not a valid choice" in message
    assert "1 problem(s)" in message
    assert counts() == {model.__name__: 0 for model in MODELS}
    assert history_counts() == history


def test_a_dry_run_of_many_batches_writes_nothing(seed, importer, tmp_path, small_batches):
    path = export(tmp_path)
    wipe()
    report = import_file(path, "importer", "--dry-run")
    assert "claims.claim: 24 created" in report
    assert counts() == {model.__name__: 0 for model in MODELS}


def test_parts_the_file_drops_go_at_the_end_with_one_correction_a_claim(
    seed, importer, tmp_path, small_batches
):
    objects = json.loads(export(tmp_path).read_text())
    for obj in objects:
        fields = obj["fields"]
        if obj["model"] == "claims.claim" and fields["slug"] == P679:
            fields["text"] = "A corrected text."
    # The claim's text (an early batch) and one of its figures (a later one).
    objects = [
        o for o in objects if not (o["model"] == "claims.figure" and o["fields"]["claim"] == [P679])
    ]
    path = write_json(tmp_path, objects)
    message = rejected(path)
    assert "changing its text is a correction" in message
    assert "changing its figures is a correction" in message
    assert Claim.objects.get(slug=P679).text != "A corrected text."

    report = import_file(path, "importer", "--correction-note", "Reviewed.")
    assert "corrections recorded: 1 published claim(s)" in report
    correction = Correction.objects.get(claim__slug=P679)
    assert correction.changed == ["text", "figures"]
    assert not Figure.objects.filter(claim__slug=P679).exists()


def test_a_key_naming_a_later_object_of_another_model_leads_nowhere(
    db, importer, tmp_path, small_batches
):
    figure = {
        "model": "claims.figure",
        "fields": {"claim": ["c"], "position": 1, "measure": ["m"], "value_min": "1"},
    }
    topics = [
        {"model": "claims.topic", "fields": {"slug": f"t{n}", "name": f"T{n}"}} for n in range(8)
    ]
    claim = {"model": "claims.claim", "fields": {"slug": "c", "text": "T"}}
    measure = {"model": "claims.measure", "fields": {"slug": "m", "name": "m", "unit": "people"}}
    message = rejected(write_json(tmp_path, [figure, *topics, claim, measure]))
    assert "crafted.json object 1 (claims.figure [c, 1]): claim: no claims.claim" in message
    assert not Topic.objects.exists()


# --- Broken files -------------------------------------------------------------------------------


def test_truncated_json_names_the_line_and_column(db, importer, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "READ_SIZE", 16)  # the buffer slides many times
    topics = [
        {"model": "claims.topic", "fields": {"slug": f"t{n}", "name": f"T{n}"}} for n in range(3)
    ]
    text = json.dumps(topics, indent=1)
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"t2"') + 3])
    line = text[: text.index('"t2"')].count("\n") + 1
    message = rejected(path)
    assert "cut.json: not valid JSON: Unterminated string" in message
    assert f"(line {line}, column" in message and "after object 2)" in message
    assert not Topic.objects.exists()


def test_garbled_json_names_the_position(db, importer, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "READ_SIZE", 8)
    path = tmp_path / "garbled.json"
    path.write_text(
        '[\n{"model": "claims.topic", "fields": {"slug": "a", "name": "A"}},\n'
        '{"model": "claims.topic" "fields": {}}\n]'
    )
    assert "not valid JSON: Expecting ',' delimiter (line 3, column 26, after object 1)" in (
        rejected(path)
    )


def test_problems_kept_are_capped_and_the_rest_counted(db, importer, tmp_path, monkeypatch):
    monkeypatch.setattr(state, "MAX_PROBLEMS", 5)
    topics = [
        {"model": "claims.topic", "fields": {"slug": f"t{n}", "name": f"T{n}", "colour": "red"}}
        for n in range(12)
    ]
    message = rejected(write_json(tmp_path, topics))
    assert "12 problem(s)" in message
    # Problems of one kind are one line, counted in full, naming the first places.
    assert message.count("colour: no such field") == 1
    places = ", ".join(f"crafted.json object {n}" for n in range(1, 11))
    assert f"12 times ({places}, …): colour: no such field on claims.topic" in message


def test_problems_of_different_kinds_are_told_apart(db, importer, tmp_path):
    topics = [
        {"model": "claims.topic", "fields": {"slug": f"t{n}", "name": f"T{n}", "colour": "red"}}
        for n in range(3)
    ] + [{"model": "claims.topic", "fields": {"slug": "x", "name": "X", "shade": "red"}}]
    message = rejected(write_json(tmp_path, topics))
    assert "3 times (crafted.json object 1, crafted.json object 2, crafted.json object 3)" in (
        message
    )
    assert "crafted.json object 4 (claims.topic [x]): shade: no such field" in message


# --- Memory -----------------------------------------------------------------------------------


def test_the_importer_never_holds_more_than_a_batch(db, importer, tmp_path, monkeypatch):
    monkeypatch.setattr(running, "OBJECTS_PER_BATCH", 10)
    read = {"count": 0}

    def source(path):
        for n in range(95):
            read["count"] += 1
            yield (
                f"made object {n + 1}",
                {
                    "model": "claims.topic",
                    "fields": {"slug": f"t{n}", "name": f"T{n}"},
                },
            )

    ahead = []
    take = Importer._take

    def spy(self, batch, next_label):
        ahead.append(read["count"] - self.objects)  # read but not yet checked
        take(self, batch, next_label)

    monkeypatch.setattr(running, "read", source)
    monkeypatch.setattr(Importer, "_take", spy)
    import_file(tmp_path / "made.json")
    assert Topic.objects.count() == 95
    assert len(ahead) == 10 and max(ahead) <= 11  # a batch and the object after it


def reading_peak(path):
    tracemalloc.start()
    try:
        assert sum(1 for _ in reading.read(path)) > 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", ["big.json", "big.jsonl", "big.xml", "big.json.gz"])
def test_reading_memory_does_not_grow_with_the_file(tmp_path, name):
    def write(path, n):
        topics = [
            {"model": "claims.topic", "fields": {"slug": f"topic-{i}", "name": "x" * 100}}
            for i in range(n)
        ]
        if ".xml" in name:
            body = "".join(
                f'<object model="claims.topic"><field name="slug">topic-{i}</field>'
                f'<field name="name">{"x" * 100}</field></object>\n'
                for i in range(n)
            )
            path.write_text(f'<?xml version="1.0"?><django-objects>{body}</django-objects>')
        elif ".jsonl" in name:
            path.write_text("".join(json.dumps(t) + "\n" for t in topics))
        elif name.endswith(".gz"):
            import gzip

            path.write_bytes(gzip.compress(json.dumps(topics, indent=2).encode()))
        else:
            path.write_text(json.dumps(topics, indent=2))
        return path

    small = reading_peak(write(tmp_path / f"small-{name}", 2_000))
    large = reading_peak(write(tmp_path / f"large-{name}", 8_000))
    assert large < small * 1.5 + 50_000, (small, large)
    assert large < 1_000_000  # the file is about 1.4 MB of text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner statistics")
def test_an_import_leaves_the_planner_statistics_current(seed, importer, tmp_path):
    path = export(tmp_path, "out.jsonl")
    wipe()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics of the empty tables
        cursor.execute("DELETE FROM sqlite_stat1")
        import_file(path)
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'claims_list_by_date'")
        (stat,) = cursor.fetchone()
    assert int(stat.split()[0]) == Claim.objects.count()


def test_a_published_claim_that_loses_its_appearance_is_refused(seed, importer, tmp_path):
    objects = json.loads(export(tmp_path).read_text())
    kept = [
        o
        for o in objects
        if not (
            o["model"] == "claims.citation"
            and o["fields"]["claim"] == [P679]
            and o["fields"]["role"] == "appeared_in"
        )
    ]
    assert len(kept) < len(objects)
    # The claim itself is unchanged; only a part of it goes.
    message = rejected(write_json(tmp_path, kept))
    assert f"claims.claim [{P679}]" in message and "It has no appearance" in message
    assert Claim.objects.get(slug=P679).citations.filter(role="appeared_in").exists()


def test_a_waiting_object_with_a_problem_is_reported_once(db, importer, tmp_path, small_batches):
    later = [
        {"model": "claims.topic", "fields": {"slug": f"t{n}", "name": f"T{n}"}} for n in range(20)
    ]
    objects = [
        {
            "model": "claims.speaker",
            "fields": {
                "slug": "a-member",
                "name": "A member",
                "kind": "nonsense",
                "organisations": [["z-body"]],
            },
        },
        *[
            {"model": "claims.speaker", "fields": {"slug": f"s{n:02d}", "name": f"S{n}"}}
            for n in range(20)
        ],
        {
            "model": "claims.speaker",
            "fields": {"slug": "z-body", "name": "Z body", "kind": "government"},
        },
        *later,
    ]
    message = rejected(write_json(tmp_path, objects))
    assert message.count("not a valid choice") == 1
    assert "1 problem(s)" in message

"""Spreadsheets in through `import_sheet`: the example case file and its
mapping, speakers matched by name, rows known by their external ID,
editors' changes kept, problems named by row and column and grouped, the
list download imported back, and the database untouched by any refusal."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims.exchange import MODELS
from claims.models import Claim, Correction, ExternalId, Mapping, Rebuttal, Source, Speaker

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "examples"
CASES = EXAMPLES / "cases.csv"
CASES_MAPPING = EXAMPLES / "cases-mapping.json"
EXPORT_MAPPING = EXAMPLES / "export-mapping.json"


def sheet(path, *args, user="importer", mapping=CASES_MAPPING):
    out = io.StringIO()
    call_command(
        "import_sheet", str(path), "--mapping", str(mapping), "--user", user, *args, stdout=out
    )
    return out.getvalue()


def refused(path, *args, user="importer", mapping=CASES_MAPPING):
    with pytest.raises(CommandError) as error:
        sheet(path, *args, user=user, mapping=mapping)
    return str(error.value)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def histories():
    return {model.__name__: model.history.count() for model in MODELS}


def write_csv(tmp_path, rows, name="cases.csv", delimiter=";", encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def write_mapping(tmp_path, **changes):
    document = json.loads(CASES_MAPPING.read_text(encoding="utf-8"))
    document.update(changes)
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


HEADER = ["Case ID", "Date", "Outlet", "Language", "Keywords", "Source URL", "Summary", "Disproof"]


def case(number, outlet="Sputnik", date="10.02.2016", summary=None, disproof="It is false."):
    return [
        f"C-{number}",
        date,
        outlet,
        "English",
        "Syria",
        f"https://example.org/article/{number}",
        summary or f"Claim number {number} about the war.",
        disproof,
    ]


# --- The example -------------------------------------------------------------------------------


def test_the_example_imports_and_a_second_import_changes_nothing(db, importer):
    report = sheet(CASES)
    assert "cases.csv: CSV, encoding utf-8 (bom), delimiter “;”, 8 columns" in report
    assert "claims.claim: 11 created" in report  # six cases and five answers
    assert "exact duplicate rows, imported once: 1: 9 (= 8)" in report
    assert "links on URL shorteners, kept as given and not followed: 1: row 6" in report
    assert "dates that could not be read" in report and "“31.02.2016”" in report
    # "sputnik" on the last row is the same outlet as "Sputnik"; "Sputnik News" is not (yet).
    sputnik = Speaker.objects.get(name="Sputnik")
    assert Claim.objects.filter(speaker=sputnik).count() == 2
    assert Speaker.objects.filter(name="Sputnik News").exists()
    # Texts keep their line breaks; the answer's links became its evidence.
    first = ExternalId.objects.get(namespace="example-watchdog", value="SY-001").claim
    answer = ExternalId.objects.get(namespace="example-watchdog", value="SY-001#answer").claim
    assert "\nSee the SNHR report" in answer.text
    assert Rebuttal.objects.get(claim=first, counterclaim=answer).relation == "contradicts"
    evidence = set(answer.citations.filter(role="supports").values_list("source__url", flat=True))
    assert evidence == {
        "https://sn4hr.org/blog/2016/02/01/january-2016-report/",
        "https://airwars.org/civilian-casualties/?country=syria",
    }
    appearance = first.citations.get(role="appeared_in").source
    assert appearance.language == "en" or appearance.language == "ru"
    assert appearance.publisher == sputnik
    # The month-only date has month precision; the impossible one is kept in the note.
    douma = ExternalId.objects.get(value="SY-003").claim
    assert (douma.said_on.isoformat(), douma.said_on_precision) == ("2016-02-01", "month")
    chemical = ExternalId.objects.get(value="SY-004").claim
    assert chemical.said_on is None and chemical.said_qualifier == "not_stated"
    assert "“31.02.2016”" in chemical.date_note
    # Topics that differ in case or spacing are one.
    assert sorted(douma.topics.values_list("name", flat=True)) == ["Syria"]
    record = first.history.first()
    assert record.history_user == importer
    assert record.history_change_reason == (
        "imported from cases.csv with mapping Example case file"
    )

    before, history = counts(), histories()
    again = sheet(CASES)
    assert "claims.claim: 0 created, 0 updated, 11 unchanged" in again
    assert counts() == before and histories() == history


def test_a_dry_run_previews_and_writes_nothing(db, importer):
    report = sheet(CASES, "--dry-run")
    assert report.startswith("Would import (dry run, nothing written):")
    assert "new speakers to create: 6: Sputnik (2 rows, first row 2)" in report
    assert "row 2: Russian aircraft have not struck" in report
    assert "| Monitors documented 679" in report
    assert "10 February 2016" in report and "February 2016" in report
    assert all(number == 0 for number in counts().values())


# --- Speakers ----------------------------------------------------------------------------------


def test_names_aliases_and_short_names_find_one_speaker(db, importer, tmp_path):
    sputnik = Speaker.objects.create(
        name="Sputnik", slug="sputnik", kind="media", short_name="SPN", aliases=["SputnikNews"]
    )
    rows = [HEADER] + [
        case(n, outlet)
        for n, outlet in enumerate(
            ["Sputnik", "sputnik", " Sputnik ", "Sputnik\u00a0", "SputnikNews", "SPN", "sputnik"], 1
        )
    ]
    report = sheet(write_csv(tmp_path, rows), "--dry-run")
    assert "new speakers to create: 1: Example Watchdog" in report
    sheet(write_csv(tmp_path, rows))
    assert Claim.objects.filter(speaker=sputnik).count() == 7


def test_an_unknown_name_is_offered_and_can_be_mapped_to_a_speaker(db, importer, tmp_path):
    sputnik = Speaker.objects.create(name="Sputnik", slug="sputnik", kind="media")
    path = write_csv(tmp_path, [HEADER, case(1, "Спутник")])
    assert "new speakers to create: 2: Спутник (1 rows, first row 2)" in sheet(path, "--dry-run")
    # Mapped to the speaker, the name becomes its alias: next time it matches by itself.
    mapping = write_mapping(tmp_path, speakers={"Спутник": "sputnik"})
    report = sheet(path, mapping=mapping)
    assert "alias added: “Спутник” for the speaker sputnik" in report
    sputnik.refresh_from_db()
    assert sputnik.aliases == ["Спутник"]
    assert Claim.objects.get(text__startswith="Claim number 1").speaker == sputnik
    assert sputnik.history.first().history_change_reason.startswith("imported from")
    report = sheet(write_csv(tmp_path, [HEADER, case(2, "спутник")]))
    assert "new speakers" not in report
    assert Claim.objects.filter(speaker=sputnik).count() == 2


def test_a_name_of_two_speakers_is_a_problem(db, importer, tmp_path):
    Speaker.objects.create(name="Sputnik", slug="sputnik", kind="media")
    Speaker.objects.create(name="SPUTNIK", slug="sputnik-2", kind="media")
    message = refused(write_csv(tmp_path, [HEADER, case(1)]))
    assert "row 2, column “Outlet”: “Sputnik” names several speakers (sputnik, sputnik-2)" in (
        message
    )
    assert Claim.objects.count() == 0


def test_an_alias_cannot_name_two_speakers(db):
    from django.core.exceptions import ValidationError

    Speaker.objects.create(name="Sputnik", slug="sputnik", kind="media")
    other = Speaker(name="RT", slug="rt", kind="media", aliases=[" sputnik "])
    with pytest.raises(ValidationError) as error:
        other.clean()
    assert "already names the speaker “Sputnik”" in str(error.value)
    other = Speaker(
        name="RT", slug="rt", kind="media", aliases=["RT", "Russia Today", " Russia  Today"]
    )
    other.clean()
    assert other.aliases == ["Russia Today"]


# --- Rows known by their identifier ---------------------------------------------------------


def test_an_edited_row_updates_exactly_its_claim(db, importer, tmp_path):
    rows = [HEADER] + [case(n) for n in range(1, 6)]
    sheet(write_csv(tmp_path, rows))
    before = {c.slug: c.text for c in Claim.objects.all()}
    rows[3] = case(3, summary="Claim number 3, reworded.")
    report = sheet(write_csv(tmp_path, rows))
    assert "claims.claim: 0 created, 1 updated, 9 unchanged" in report
    after = {c.slug: c.text for c in Claim.objects.all()}
    changed = {slug for slug in after if after[slug] != before[slug]}
    assert len(changed) == 1
    assert after[changed.pop()] == "Claim number 3, reworded."
    # The slug is made once and never changes.
    assert set(after) == set(before)


def test_an_edited_published_claim_needs_a_correction_note(db, importer, tmp_path):
    mapping = write_mapping(
        tmp_path,
        constants={
            **json.loads(CASES_MAPPING.read_text())["constants"],
            "status": "published",
            "counterclaim.status": "draft",  # the answers have no appearance of their own
        },
    )
    rows = [HEADER, case(1), case(2)]
    sheet(write_csv(tmp_path, rows), mapping=mapping)
    assert Claim.objects.published().count() == 2
    rows[1] = case(1, summary="A corrected claim.")
    path = write_csv(tmp_path, rows)
    before, history = counts(), histories()
    message = refused(path, mapping=mapping)
    assert "row 2, column “Summary”: Changing its text is a correction" in message or (
        "changing its text is a correction" in message
    )
    assert counts() == before and histories() == history
    report = sheet(path, "--correction-note", "The case file was corrected.", mapping=mapping)
    assert "corrections recorded: 1 published claim(s)" in report
    assert Correction.objects.get().note == "The case file was corrected."


def test_a_field_an_editor_changed_is_kept_and_reported(db, importer, tmp_path):
    rows = [HEADER, case(1), case(2)]
    path = write_csv(tmp_path, rows)
    sheet(path)
    claim = ExternalId.objects.get(value="C-1").claim
    claim.text = "Worded better by an editor."
    claim.place = "Aleppo"
    claim.save()
    rows[1] = case(1, summary="The file's new words.", date="11.02.2016")
    path = write_csv(tmp_path, rows)
    report = sheet(path)
    assert "conflicts: 1 field(s) changed in the admin since the last import were kept" in report
    assert "text (“Summary”): 1 rows: 2" in report
    claim.refresh_from_db()
    assert claim.text == "Worded better by an editor."
    assert claim.said_on.isoformat() == "2016-02-11"  # the file's change the editor did not make
    assert claim.place == "Aleppo"  # not a column of the file: untouched
    report = sheet(path, "--overwrite")
    assert "were overwritten" in report
    claim.refresh_from_db()
    assert claim.text == "The file's new words."


def test_without_an_identifier_column_rows_are_known_by_their_content(db, importer, tmp_path):
    document = json.loads(CASES_MAPPING.read_text())
    document["columns"] = [c for c in document["columns"] if c["target"] != "external_id"]
    mapping = tmp_path / "no-ids.json"
    mapping.write_text(json.dumps(document))
    path = write_csv(tmp_path, [HEADER, case(1), case(2)])
    report = sheet(path, mapping=mapping)
    assert "no external ID column" in report and "an edited row will become a new claim" in report
    assert "claims.claim: 0 created" in sheet(path, mapping=mapping)


def test_the_same_identifier_with_other_values_is_a_problem(db, importer, tmp_path):
    path = write_csv(tmp_path, [HEADER, case(1), case(1, summary="Something else.")])
    message = refused(path)
    assert "row 3, column “Case ID”: the identifier “C-1” is also row 2's, with other values" in (
        message
    )


# --- Problems ----------------------------------------------------------------------------------


def test_many_rows_with_one_problem_are_one_line(db, importer, tmp_path):
    document = json.loads(CASES_MAPPING.read_text())
    for column in document["columns"]:
        if column["target"] in ("said_on", "counterclaim.said_on"):
            column["format"] = "DD.MM.YYYY"
            column.pop("unreadable")
    mapping = tmp_path / "strict.json"
    mapping.write_text(json.dumps(document))
    rows = [HEADER] + [case(n, date="2016/02/10") for n in range(1, 2001)]
    message = refused(write_csv(tmp_path, rows), mapping=mapping)
    assert "2,000 rows (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …): column “Date”:" in message
    assert "is not a date written DD.MM.YYYY" in message
    assert len(message.splitlines()) < 20
    assert Claim.objects.count() == 0


@pytest.mark.parametrize(
    ("cells", "column", "expected"),
    [
        ({"Source URL": "ftp://example.org/x"}, "Source URL", "is not an http(s) address"),
        ({"Summary": "  "}, "Summary", "the claim's text is empty"),
        ({"Outlet": "x" * 250}, "Outlet", "at most 200 characters"),
    ],
)
def test_a_bad_cell_names_its_row_and_column(db, importer, tmp_path, cells, column, expected):
    row = dict(zip(HEADER, case(1), strict=True))
    row.update(cells)
    message = refused(write_csv(tmp_path, [HEADER, case(2), list(row.values())]))
    assert f"row 3, column “{column}”" in message
    assert expected in message
    assert counts() == {model.__name__: 0 for model in MODELS}


def test_an_unknown_relation_names_the_constant(db, importer, tmp_path):
    document = json.loads(CASES_MAPPING.read_text())
    document["constants"]["counterclaim.relation"] = "refutes"
    mapping = tmp_path / "bad.json"
    mapping.write_text(json.dumps(document))
    message = refused(write_csv(tmp_path, [HEADER, case(1), case(2)]), mapping=mapping)
    expected = (
        "2 rows (2, 3): constant counterclaim.relation: Value 'refutes' is not a valid choice."
    )
    assert expected in message


def test_publishing_needs_the_permission(db, editor, tmp_path):
    document = json.loads(CASES_MAPPING.read_text())
    document["constants"]["status"] = "published"
    mapping = tmp_path / "publish.json"
    mapping.write_text(json.dumps(document))
    message = refused(write_csv(tmp_path, [HEADER, case(1)]), mapping=mapping, user="editor")
    assert "row 2, constant: editor may not publish" in message.lower() or (
        "may not publish" in message
    )
    assert Claim.objects.count() == 0


def test_a_mapping_that_cannot_be_used_is_refused(db, importer, tmp_path):
    document = json.loads(CASES_MAPPING.read_text())
    document["columns"].append({"column": "Notes", "target": "notes"})
    mapping = tmp_path / "bad.json"
    mapping.write_text(json.dumps(document))
    message = refused(CASES, mapping=mapping)
    assert "column “Notes”: unknown target 'notes'" in message


def test_a_column_the_file_lacks_is_refused(db, importer, tmp_path):
    path = write_csv(tmp_path, [HEADER[:-1], case(1)[:-1]])
    message = refused(path)
    assert "the mapping names column(s) the file does not have: “Disproof”" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (";".join(HEADER).encode() + b"\r\n", "the file has a header but no rows"),
    ],
)
def test_an_empty_file_and_a_header_only_are_refused(db, importer, tmp_path, content, expected):
    path = tmp_path / "cases.csv"
    path.write_bytes(content)
    assert expected in refused(path)


def test_a_file_over_the_limit_is_refused(db, importer, settings):
    settings.SHEET_MAX_BYTES = 1000
    message = refused(CASES)
    assert "over the limit of 0 MB" in message or "over the limit" in message
    assert Claim.objects.count() == 0


def test_legacy_encodings_and_delimiters_import(db, importer, tmp_path):
    rows = [HEADER] + [
        case(
            n,
            "Российское информационное агентство",
            summary=f"Заявление номер {n} о войне в Сирии.",
        )
        for n in range(1, 6)
    ]
    path = write_csv(tmp_path, rows, encoding="cp1251", delimiter="\t")
    report = sheet(path, "--delimiter", "tab")
    assert "encoding cp1251" in report and "delimiter “tab”" in report
    assert Claim.objects.filter(text__startswith="Заявление номер").count() == 5


# --- Saved mappings --------------------------------------------------------------------------


def test_a_saved_mapping_is_found_by_name_and_travels_in_fixtures(db, importer, tmp_path):
    document = json.loads(CASES_MAPPING.read_text())
    saved = Mapping(slug="cases", name=document["name"], namespace=document["namespace"])
    saved.spec = {k: v for k, v in document.items() if k not in ("name", "namespace")}
    saved.full_clean()
    saved.save()
    assert "claims.claim: 11 created" in sheet(CASES, mapping="Example case file")
    fixture = tmp_path / "all.json"
    call_command("export_claims", "-o", str(fixture), "--quiet")
    exported = json.loads(fixture.read_text())
    assert any(o["model"] == "claims.mapping" for o in exported)
    assert sum(o["model"] == "claims.externalid" for o in exported) == 11
    published = tmp_path / "published.json"
    call_command("export_claims", "-o", str(published), "--quiet", "--published-only")
    assert not any(
        o["model"] in ("claims.mapping", "claims.externalid")
        for o in json.loads(published.read_text())
    )


def test_a_broken_saved_mapping_is_refused_with_its_field(db):
    from django.core.exceptions import ValidationError

    saved = Mapping(slug="m", name="M", namespace="n", spec={"columns": [{"column": "A"}]})
    with pytest.raises(ValidationError) as error:
        saved.full_clean()
    assert "column “A”: unknown target None" in str(error.value)


# --- The list download, imported back ------------------------------------------------------


def test_the_list_download_imports_back(seed, importer, client, tmp_path):
    response = client.get("/claims/?_export=csv")
    path = tmp_path / "claims.csv"
    path.write_bytes(b"".join(response.streaming_content))
    keep = [
        "slug",
        "text",
        "text_kind",
        "original_language",
        "original_text",
        "speaker__name",
        "speaking_for__name",
        "speaker_role",
        "said_on",
        "said_on_precision",
        "said_qualifier",
        "said_until",
        "said_until_precision",
        "place",
        "assessment",
    ]

    def published():
        claims = Claim.objects.published() if Claim.objects.published().exists() else Claim.objects
        return {row["slug"]: row for row in claims.values(*keep)}, {
            c.slug: sorted(c.topics.values_list("name", flat=True)) for c in claims.all()
        }

    before, before_topics = published()
    for model in reversed(MODELS):
        model.objects.all().delete()
    report = sheet(path, mapping=EXPORT_MAPPING)
    assert f"claims.claim: {len(before)} created" in report
    after = {row["slug"]: row for row in Claim.objects.values(*keep)}
    topics = {c.slug: sorted(c.topics.values_list("name", flat=True)) for c in Claim.objects.all()}
    differences = {
        slug: {k: (v, after[slug][k]) for k, v in row.items() if after[slug][k] != v}
        for slug, row in before.items()
    }
    assert {slug: d for slug, d in differences.items() if d} == {}
    assert topics == before_topics
    assert not Source.objects.exists()  # the download names no sources


# --- Messy files, imported whole or refused whole -----------------------------------------


def _mapping_for(tmp_path, delimiter=None, date_format="DD.MM.YYYY"):
    document = json.loads(CASES_MAPPING.read_text())
    document["read"] = {"delimiter": delimiter} if delimiter else {}
    for column in document["columns"]:
        if column["target"] in ("said_on", "counterclaim.said_on"):
            column["format"] = date_format
            column.pop("unreadable", None)
    path = tmp_path / "messy-mapping.json"
    path.write_text(json.dumps(document))
    return path


ARABIC = "قالت وكالة الأنباء إن الطائرات لم تستهدف أي مبنى مدني في المدينة خلال الأسبوع."
RUSSIAN = "Агентство заявило, что самолёты не наносили ударов по жилым кварталам города."


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_each_delimiter_and_line_ending_imports(db, importer, tmp_path, delimiter, newline):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(HEADER)
    writer.writerow(case(1, summary=f"First line{newline}second line; with, a {delimiter} too"))
    writer.writerow(case(2, summary='She said "no" twice.'))
    path = tmp_path / "cases.csv"
    path.write_bytes(out.getvalue().encode())
    sheet(path, mapping=_mapping_for(tmp_path))  # the delimiter detected
    texts = set(Claim.objects.values_list("text", flat=True))
    assert f"First line\nsecond line; with, a {delimiter} too" in texts
    assert 'She said "no" twice.' in texts


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8-sig", RUSSIAN),
        ("utf-16", ARABIC),
        ("cp1251", RUSSIAN),
        ("cp1256", ARABIC),
    ],
)
def test_encodings_import(db, importer, tmp_path, encoding, text):
    rows = [HEADER] + [case(n, summary=f"{text} {n}") for n in range(1, 4)]
    path = write_csv(tmp_path, rows, encoding=encoding)
    report = sheet(path, mapping=_mapping_for(tmp_path))
    assert "claims.claim: 6 created" in report
    assert Claim.objects.filter(text=f"{text} 1").exists()


def test_no_break_spaces_are_trimmed_in_names_and_kept_in_texts(db, importer, tmp_path):
    summary = "A claim\u00a0with a no-break space."
    path = write_csv(tmp_path, [HEADER, case(1, "\u00a0Sputnik\u00a0", summary=summary)])
    sheet(path, mapping=_mapping_for(tmp_path))
    claim = Claim.objects.get(text=summary)
    assert claim.speaker.name == "Sputnik"


def test_a_ragged_row_is_refused_naming_it(db, importer, tmp_path):
    path = tmp_path / "cases.csv"
    lines = [";".join(HEADER), ";".join(case(1)), ";".join(case(2)[:5])]
    path.write_text("\r\n".join(lines) + "\r\n")
    message = refused(path, mapping=_mapping_for(tmp_path))
    assert "row 3, column “Source URL”:" in message and "ends before" in message
    assert Claim.objects.count() == 0


@pytest.mark.parametrize(
    ("written", "good", "bad"),
    [
        ("DD.MM.YYYY", "10.02.2016", "2016-02-10"),
        ("YYYY-MM-DD", "2016-02-10", "10.02.2016"),
        ("MM/DD/YYYY", "02/10/2016", "13/10/2016"),
        ("YYYY-MM", "2016-02", "2016-13"),
        ("YYYY", "2016", "16"),
        ("words", "February 2016", "Febtober 2016"),
        ("excel", "42401", "forty"),
    ],
)
def test_a_bad_date_in_each_format_names_row_and_column(db, importer, tmp_path, written, good, bad):
    mapping = _mapping_for(tmp_path, date_format=written)
    sheet(write_csv(tmp_path, [HEADER, case(1, date=good)]), mapping=mapping)
    assert Claim.objects.filter(said_on__isnull=False).count() == 2
    before, history = counts(), histories()
    message = refused(write_csv(tmp_path, [HEADER, case(2, date=bad)]), mapping=mapping)
    assert "row 2, column “Date”:" in message and f"“{bad}”" in message
    assert counts() == before and histories() == history


def test_what_an_import_made_is_forgotten_once_written(db, importer, tmp_path, monkeypatch):
    from claims.exchange.importer import run as importing
    from claims.exchange.sheets import matching
    from claims.exchange.sheets import rows as sheet_rows

    monkeypatch.setattr(sheet_rows, "ROWS_PER_CHUNK", 5)
    monkeypatch.setattr(importing, "OBJECTS_PER_BATCH", 10)  # written 10 objects at a time
    monkeypatch.setattr(matching, "KEPT_AFTER", 30)
    kept = []
    original = matching._Recent.next_chunk

    def watched(self, given):
        original(self, given)
        kept.append(sum(len(values) for values, _end in self.generations))

    monkeypatch.setattr(matching._Recent, "next_chunk", watched)
    shared = "See https://monitor.example/report for the count."
    rows = [HEADER] + [case(n, disproof=shared) for n in range(1, 61)]
    sheet(write_csv(tmp_path, rows))
    # One source for the link all rows share, found again after it was forgotten.
    assert Source.objects.filter(url="https://monitor.example/report").count() == 1
    assert Claim.objects.count() == 120
    assert max(kept) < 40  # a few chunks' worth, not the file's 120 claims and 61 sources


def test_made_values_outlive_the_importers_batch():
    from claims.exchange.importer import OBJECTS_PER_BATCH
    from claims.exchange.sheets.matching import KEPT_AFTER

    assert KEPT_AFTER >= 4 * OBJECTS_PER_BATCH

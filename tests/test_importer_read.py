"""The fixture reader on its own, without a database: objects one at a time,
named by position, and unreadable files refused naming where."""

import gzip
import json

import pytest

from claims.exchange.importer import ImportFailed, read, reading

TOPIC = {"model": "claims.topic", "fields": {"slug": "a", "name": "A"}}


def refusal(path):
    with pytest.raises(ImportFailed) as failure:
        list(read(path))
    return str(failure.value.problems[0])


def test_a_json_array_is_read_one_object_at_a_time_named_by_number(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps([TOPIC, TOPIC]))
    assert [position for position, _ in read(path)] == ["f.json object 1", "f.json object 2"]


def test_json_lines_are_named_by_line(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps(TOPIC) + "\n\n" + json.dumps(TOPIC) + "\n")
    assert [position for position, _ in read(path)] == ["f.jsonl line 1", "f.jsonl line 3"]


def test_a_gzip_file_is_read_as_its_contents(tmp_path):
    path = tmp_path / "f.json.gz"
    path.write_bytes(gzip.compress(json.dumps([TOPIC]).encode()))
    assert list(read(path)) == [("f.json.gz object 1", TOPIC)]


def test_malformed_json_names_the_line_column_and_object_before(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n{"model": "claims.topic"},\n{"model" "x"}\n]')
    assert refusal(path) == (
        "bad.json: not valid JSON: Expecting ':' delimiter (line 3, column 10, after object 1)"
    )


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("  \n")
    assert refusal(path) == "empty.json: the file is empty"


@pytest.mark.parametrize(
    ("name", "text"), [("one.json", json.dumps(TOPIC)), ("one.yml", "model: claims.topic\n")]
)
def test_a_fixture_that_is_an_object_not_a_list_is_refused(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert refusal(path) == f"{name}: a fixture is a list of objects"


def test_yaml_is_read_whole_and_named_by_item(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("- model: claims.topic\n  fields: {slug: a, name: A}\n- " + json.dumps(TOPIC))
    assert list(read(path)) == [("f.yaml item 1", TOPIC), ("f.yaml item 2", TOPIC)]


def test_malformed_yaml_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- model: claims.topic\n  fields: [a\n")
    assert refusal(path).startswith("bad.yaml: not valid YAML: ")
    assert "line 3" in refusal(path)


XML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<django-objects version="1.0">'
    '<object model="claims.topic"><field name="slug" type="SlugField">a</field>'
    '<field name="name" type="CharField">A</field>'
    '<field name="parent" rel="ManyToOneRel" to="claims.topic"><None></None></field></object>'
    '<object model="claims.speaker"><field name="slug" type="SlugField">s</field>'
    '<field name="organisations" rel="ManyToManyRel" to="claims.speaker">'
    "<object><natural>o</natural></object><object><natural>p</natural></object></field>"
    '<field name="claim" rel="ManyToOneRel" to="claims.claim"><natural>c</natural></field>'
    '<field name="note" type="TextField"></field></object>'
    "</django-objects>"
)


def test_xml_objects_are_read_with_their_relations(tmp_path):
    path = tmp_path / "f.xml"
    path.write_text(XML)
    assert list(read(path)) == [
        (
            "f.xml object 1",
            {"model": "claims.topic", "fields": {"slug": "a", "name": "A", "parent": None}},
        ),
        (
            "f.xml object 2",
            {
                "model": "claims.speaker",
                "fields": {
                    "slug": "s",
                    "organisations": [["o"], ["p"]],
                    "claim": ["c"],
                    "note": "",
                },
            },
        ),
    ]


def test_malformed_xml_is_refused_naming_the_line_and_column(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text('<django-objects>\n<object model="claims.topic">\n</django-objects>')
    assert refusal(path) == "bad.xml: not valid XML: mismatched tag: line 3, column 2"


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE d [<!ENTITY big "x">]>',
        '<!DOCTYPE d [<!ENTITY file SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_xml_with_entity_declarations_is_refused(tmp_path, doctype):
    path = tmp_path / "evil.xml"
    path.write_text(f'<?xml version="1.0"?>\n{doctype}\n<django-objects>&big;</django-objects>')
    assert refusal(path).startswith("evil.xml: XML with entity or DTD declarations is refused (")


def test_truncated_json_names_where_the_file_ends(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text("[\n" + json.dumps(TOPIC) + ",\n" + json.dumps(TOPIC)[:20])
    assert refusal(path) == (
        "cut.json: not valid JSON: Unterminated string starting at "
        "(line 3, column 11, after object 1)"
    )


def test_a_json_list_left_open_is_refused(tmp_path):
    path = tmp_path / "open.json"
    path.write_text("[" + json.dumps(TOPIC) + "\n")
    assert refusal(path) == (
        "open.json: not valid JSON: the file ends inside the list "
        "(line 2, column 1, after object 1)"
    )


def test_a_file_named_gz_that_is_not_gzip_is_read_as_it_is(tmp_path):
    path = tmp_path / "plain.json.gz"
    path.write_text(json.dumps([TOPIC]))
    assert list(read(path)) == [("plain.json.gz object 1", TOPIC)]


def test_a_broken_gzip_file_is_refused(tmp_path):
    path = tmp_path / "broken.json.gz"
    path.write_bytes(gzip.compress(json.dumps([TOPIC] * 50).encode())[:40])
    assert refusal(path).startswith("broken.json.gz: not a readable gzip file (")


def test_text_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes('[{"model": "claims.topic", "fields": {"name": "Café"}}]'.encode("latin-1"))
    assert refusal(path) == "latin.json: not UTF-8 text (invalid continuation byte)"


def test_an_unknown_format_is_refused_by_its_name(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("slug\n")
    with pytest.raises(ImportFailed) as failure:
        list(read(path))
    assert "unknown format" in str(failure.value.problems[0])


def test_an_object_larger_than_a_read_is_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "READ_SIZE", 8)
    big = {"model": "claims.topic", "fields": {"slug": "b", "name": "N" * 100}}
    path = tmp_path / "big.json"
    path.write_text(json.dumps([TOPIC, big, TOPIC], indent=1))
    assert [obj for _, obj in read(path)] == [TOPIC, big, TOPIC]


def test_an_object_larger_than_the_largest_allowed_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "READ_SIZE", 8)
    monkeypatch.setattr(reading, "MAX_OBJECT", 80)
    big = {"model": "claims.topic", "fields": {"slug": "b", "name": "N" * 100}}
    path = tmp_path / "big.json"
    path.write_text(json.dumps([TOPIC, big]))
    assert refusal(path).startswith("big.json: not valid JSON: Unterminated string")
    assert "after object 1" in refusal(path)

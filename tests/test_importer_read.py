"""The fixture reader on its own, without a database: objects one at a time,
named by position, and unreadable files refused naming where."""

import gzip
import json

import pytest

from claims.exchange.importer import ImportFailed, read

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


def test_a_fixture_that_is_an_object_not_a_list_is_refused(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(TOPIC))
    assert refusal(path) == "one.json: a fixture is a list of objects"

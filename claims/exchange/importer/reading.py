"""Reading a fixture file: its objects one at a time in any format (gzip by
content), or why the file cannot be read, naming where."""

import gzip
import io
import json
import re
import zlib
from contextlib import contextmanager
from pathlib import Path

import yaml
from defusedxml import DefusedXmlException, ElementTree

from .outcome import failed

__all__ = ["MAX_OBJECT", "READ_SIZE", "read"]

READ_SIZE = 1 << 16  # characters read at a time
MAX_OBJECT = 1 << 24  # an object larger than this (16 M characters) is not read on
WHITESPACE = re.compile(r"[ \t\n\r]*")


def _format(path):
    name = str(path).lower().removesuffix(".gz")
    for suffix, fmt in (
        (".jsonl", "jsonl"),
        (".json", "json"),
        (".yaml", "yaml"),
        (".yml", "yaml"),
        (".xml", "xml"),
    ):
        if name.endswith(suffix):
            return fmt
    raise failed(str(path), "unknown format: name it .json, .jsonl, .yaml or .xml (.gz)")


@contextmanager
def _binary(path):
    """The bytes of the file, decompressed as they are read when it is gzip."""
    with open(path, "rb") as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw, mode="rb") as zipped:
                yield zipped
        else:
            yield raw


def _is_blank(path):
    with _binary(path) as stream:
        while chunk := stream.read(READ_SIZE):
            if chunk.strip():
                return False
    return True


class _JSONArray:
    """The objects of a JSON array, decoded one at a time from a text stream
    through a sliding buffer: memory follows the largest object, not the file."""

    def __init__(self, text, name):
        self.text, self.name = text, name
        self.decoder = json.JSONDecoder()
        self.buffer, self.start = "", 0  # buffer[start:] is not read yet
        self.lines, self.column = 0, 0  # where buffer[0] is in the file
        self.eof = False

    def _more(self):
        chunk = self.text.read(READ_SIZE)
        if not chunk:
            self.eof = True
            return False
        done = self.buffer[: self.start]
        newlines = done.count("\n")
        self.lines += newlines
        self.column = len(done) - done.rfind("\n") - 1 if newlines else self.column + len(done)
        self.buffer, self.start = self.buffer[self.start :] + chunk, 0
        return True

    def _skip_whitespace(self):
        while True:
            self.start = WHITESPACE.match(self.buffer, self.start).end()
            if self.start < len(self.buffer) or not self._more():
                return

    def _at(self, index):
        """'line L, column C' of buffer[index] in the file."""
        line = self.lines + self.buffer.count("\n", 0, index) + 1
        newline = self.buffer.rfind("\n", 0, index)
        column = index - newline if newline >= 0 else self.column + index + 1
        return f"line {line}, column {column}"

    def _invalid(self, message, index, number):
        after = f", after object {number}" if number else ""
        return failed(self.name, f"not valid JSON: {message} ({self._at(index)}{after})")

    def __iter__(self):
        self._skip_whitespace()
        if self.start == len(self.buffer):
            return
        if self.buffer[self.start] != "[":
            if self.buffer[self.start] == "{":
                raise failed(self.name, "a fixture is a list of objects")
            raise self._invalid("expecting '['", self.start, 0)
        self.start += 1
        number = 0
        while True:
            self._skip_whitespace()
            if self.start == len(self.buffer):
                raise self._invalid("the file ends inside the list", self.start, number)
            if self.buffer[self.start] == "]":
                self.start += 1
                self._skip_whitespace()
                if self.start < len(self.buffer):
                    raise self._invalid("extra data after the list", self.start, number)
                return
            if number:
                if self.buffer[self.start] != ",":
                    raise self._invalid("expecting ',' delimiter", self.start, number)
                self.start += 1
                self._skip_whitespace()
            number += 1
            yield number, self._decode(number - 1)

    def _decode(self, number):
        while True:
            try:
                obj, self.start = self.decoder.raw_decode(self.buffer, self.start)
                return obj
            except json.JSONDecodeError as error:
                # Perhaps only cut off by the end of the buffer: read on.
                cut = error.pos >= len(self.buffer) - 16 or error.msg.startswith("Unterminated")
                if not cut or len(self.buffer) - self.start > MAX_OBJECT or not self._more():
                    raise self._invalid(error.msg, error.pos, number) from None


def _json_lines(text, name):
    for number, line in enumerate(text, start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                raise failed(
                    f"{name} line {number}", f"not valid JSON: {error.msg} (column {error.colno})"
                ) from None


def _xml_fields(element):
    fields = {}
    for node in element.findall("field"):
        if node.find("None") is not None:
            fields[node.get("name")] = None
        elif node.get("rel") == "ManyToManyRel":
            fields[node.get("name")] = [
                [n.text or "" for n in value.findall("natural")] for value in node.findall("object")
            ]
        elif node.get("type") == "JSONField":
            try:
                fields[node.get("name")] = json.loads(node.text or "null")
            except json.JSONDecodeError:
                fields[node.get("name")] = node.text  # said by the field's check
        elif node.get("rel") == "ManyToOneRel":
            fields[node.get("name")] = [n.text or "" for n in node.findall("natural")]
        else:
            fields[node.get("name")] = node.text or ""
    return fields


def _xml_objects(stream):
    """Each <object model=...> as it ends; what has been read is let go."""
    depth, root, number = 0, None, 0
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        if event == "start":
            root = element if root is None else root
            depth += 1
            continue
        depth -= 1
        if element.tag != "object" or element.get("model") is None:
            continue  # a many-to-many value is read with its object
        number += 1
        yield number, {"model": element.get("model"), "fields": _xml_fields(element)}
        if depth == 1:
            root.clear()


def read(path):
    """The objects of a fixture file as (position, raw dict), one at a time;
    ImportFailed when the file cannot be read, naming where."""
    name = Path(path).name
    fmt = _format(path)
    try:
        if _is_blank(path):
            raise failed(name, "the file is empty")
        with _binary(path) as stream:
            if fmt == "xml":
                for number, obj in _xml_objects(stream):
                    yield f"{name} object {number}", obj
                return
            text = io.TextIOWrapper(stream, encoding="utf-8-sig")
            if fmt == "json":
                for number, obj in _JSONArray(text, name):
                    yield f"{name} object {number}", obj
            elif fmt == "jsonl":
                for number, obj in _json_lines(text, name):
                    yield f"{name} line {number}", obj
            else:
                # PyYAML builds the whole document: a YAML file is read whole.
                data = yaml.safe_load(text)
                if not isinstance(data, list):
                    raise failed(name, "a fixture is a list of objects")
                for number, obj in enumerate(data, start=1):
                    yield f"{name} item {number}", obj
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise failed(name, f"not a readable gzip file ({error})") from None
    except UnicodeDecodeError as error:
        raise failed(name, f"not UTF-8 text ({error.reason})") from None
    except yaml.YAMLError as error:
        raise failed(name, f"not valid YAML: {error}") from None
    except ElementTree.ParseError as error:
        raise failed(name, f"not valid XML: {error}") from None
    except DefusedXmlException as error:
        # Entity declarations can expand into gigabytes or read local files.
        raise failed(name, f"XML with entity or DTD declarations is refused ({error})") from None

"""Uploaded evidence: a size limit, accepted types whose content must match
the name, the SHA-256 recorded, and never served as a page."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.models import Source

pytestmark = pytest.mark.django_db

ADD_SOURCE = reverse("admin:claims_source_add")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, name, content, slug="report"):
    return client.post(
        ADD_SOURCE,
        {
            "title": "SNHR monthly report",
            "slug": slug,
            "kind": "report",
            "published_precision": "day",
            "file": SimpleUploadedFile(name, content),
        },
    )


def file_error(response):
    assert response.status_code == 200, "the form should have been shown again"
    return " ".join(response.context["adminform"].form.errors.get("file", []))


def test_a_pdf_is_stored_with_its_hash_outside_the_static_root(editor_client, media, settings):
    response = upload(editor_client, "report.pdf", PDF)
    assert response.status_code == 302, file_error(response)
    source = Source.objects.get(slug="report")
    assert source.file_sha256 == hashlib.sha256(PDF).hexdigest()
    stored = media / source.file.name
    assert stored.read_bytes() == PDF
    assert settings.STATIC_ROOT not in stored.parents

    download = editor_client.get(reverse("claims:evidence", args=[source.file.name]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "“.html” files are not accepted"),
        ("drawing.svg", b"<svg onload='alert(1)'/>", "“.svg” files are not accepted"),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n", "“.sh” files are not accepted"),
        ("noextension", PDF, "files are not accepted"),
        ("report.pdf", b"<html><body>not a pdf</body></html>", "is not a .pdf file"),
        ("photo.jpg", b"GIF89a......", "is not a .jpg file"),
        ("notes.txt", b"<!DOCTYPE html><script>alert(1)</script>", "HTML or XML markup"),
        ("notes.txt", b"\xff\xfe\x00binary\x00" * 100, "not UTF-8 text"),
    ],
)
def test_refused_files_name_what_is_wrong(editor_client, media, name, content, message):
    response = upload(editor_client, name, content)
    assert message in file_error(response)
    assert not Source.objects.exists()
    assert not media.exists() or not any(media.rglob("*.*"))


def test_size_limit(editor_client, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1_000_000
    response = upload(editor_client, "report.pdf", PDF + b"0" * 1_000_000)
    assert "may be at most 1 MB" in file_error(response)
    assert not Source.objects.exists()
    assert upload(editor_client, "report.pdf", PDF).status_code == 302


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 32),
        ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32),
        ("page.warc", b"WARC/1.1\r\nWARC-Type: response\r\n"),
        ("figures.csv", "month,killed\nJanuary,679\nيناير,679\n".encode()),
        ("image.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 "),
    ],
)
def test_accepted_types(editor_client, media, name, content):
    response = upload(editor_client, name, content)
    assert response.status_code == 302, file_error(response)

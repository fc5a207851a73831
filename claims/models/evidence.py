"""Evidence files: what may be uploaded (by extension and by content), and the
SHA-256 kept with each."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.files import FieldFile

__all__ = [
    "EVIDENCE_SIGNATURES",
    "EvidenceFileField",
    "HashedFieldFile",
    "MARKUP",
    "validate_evidence_file",
]


class HashedFieldFile(FieldFile):
    """Records the SHA-256 of the content whenever a new file is stored,
    whether it comes through a form or through `field_file.save()`."""

    def save(self, name, content, save=True):
        digest = hashlib.sha256()
        for chunk in content.chunks():
            digest.update(chunk)
        self.instance.file_sha256 = digest.hexdigest()
        super().save(name, content, save)


# Evidence an editor may upload, by extension, with how its content must
# begin: a file whose bytes do not match its name is refused, so nothing can
# pass for a PDF and be something else. Never HTML, SVG or scripts.
EVIDENCE_SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF87a", b"GIF89a"],
    "webp": [b"RIFF"],
    "mp4": [],  # checked below: "ftyp" at offset 4
    "mp3": [b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"],
    "ogg": [b"OggS"],
    "webm": [b"\x1a\x45\xdf\xa3"],
    "warc": [b"WARC/"],
    "zip": [b"PK\x03\x04"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "odt": [b"PK\x03\x04"],
    "txt": None,  # text: UTF-8, not markup
    "csv": None,
    "json": None,
}
MARKUP = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<iframe", b"<body")


def validate_evidence_file(file):
    """Size, type and content of an uploaded evidence file."""
    from django.conf import settings

    if not hasattr(file, "chunks") or getattr(file, "_committed", False):
        return  # a stored file (or its name): it was checked when it was uploaded
    limit = settings.EVIDENCE_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            f"The file is {file.size / 1_000_000:.1f} MB; evidence files may be at most "
            f"{limit / 1_000_000:.0f} MB."
        )
    extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    if extension not in EVIDENCE_SIGNATURES:
        raise ValidationError(
            f"“.{extension}” files are not accepted as evidence. Accepted: "
            f"{', '.join(sorted(EVIDENCE_SIGNATURES))}."
        )
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    signatures = EVIDENCE_SIGNATURES[extension]
    if signatures is None:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is fine.
            if error.start < len(head) - 3:
                raise ValidationError(f"This .{extension} file is not UTF-8 text.") from None
            text = head[: error.start].decode("utf-8")
        if any(tag.decode() in text.lower() for tag in MARKUP):
            raise ValidationError(f"This .{extension} file holds HTML or XML markup.")
        return
    matches = head[4:8] == b"ftyp" if extension == "mp4" else head.startswith(tuple(signatures))
    if extension == "webp":
        matches = matches and head[8:12] == b"WEBP"
    if not matches:
        raise ValidationError(f"The content of this file is not a .{extension} file.")


class EvidenceFileField(models.FileField):
    attr_class = HashedFieldFile

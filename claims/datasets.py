"""The published dataset as downloadable files, for /data/.

The files (a fixture as jsonl.gz, CSV, JSON) are built only when the data
changed since they were last built: every change to claim data leaves a
history row, so the newest history id of each model, with the row counts,
fingerprints the data cheaply. A manifest beside the files records their
size, SHA-256, record counts, generation time and the fingerprint.
"""

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import exchange, exports
from .models import Claim

FILES = [
    ("counterclaim-published.jsonl.gz", "Django fixture with natural keys (jsonl, gzip)"),
    ("counterclaim-published.csv", "CSV, one row per claim"),
    ("counterclaim-published.json", "JSON, one object per claim"),
]
MANIFEST = "manifest.json"


def root():
    return Path(settings.DATASET_ROOT)


def fingerprint():
    parts = []
    for model in exchange.MODELS:
        if model in exchange.PRIVATE:
            continue  # never in a published dataset
        newest = model.history.aggregate(newest=Max("history_id"))["newest"]
        parts.append(f"{model._meta.model_name}:{model.objects.count()}:{newest}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def manifest():
    try:
        return json.loads((root() / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_response(response, path):
    with open(path, "wb") as handle:
        for chunk in response.streaming_content:
            handle.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))


def build(base_url):
    """Write the files and their manifest; return the manifest."""
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():  # one consistent view of the data
        stamp = fingerprint()
        plan = exchange.Plan(exchange.Selection(published_only=True))
        counts = {model._meta.label_lower: rows.count() for model, rows in plan.querysets()}
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".building-"))
        fixture = staging / FILES[0][0]
        with exchange.open_output(fixture) as stream:
            exchange.write(plan, "jsonl", stream)
        claims = Claim.objects.published().for_list().order_by("-said_sort", "-id")
        _write_response(exports.csv_response(claims, base_url), staging / FILES[1][0])
        _write_response(exports.json_response(claims, base_url), staging / FILES[2][0])
    # Sized and hashed before they replace the files readers are given (who
    # do not wait for a build), then swapped in with the manifest at once.
    files = [
        {
            "name": name,
            "description": description,
            "size": (staging / name).stat().st_size,
            "sha256": _sha256(staging / name),
        }
        for name, description in FILES
    ]
    data = {
        "fingerprint": stamp,
        "base_url": base_url,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "counts": counts,
        "files": files,
    }
    (staging / MANIFEST).write_text(json.dumps(data, indent=2), encoding="utf-8")
    for name, _ in FILES:
        os.replace(staging / name, folder / name)
    os.replace(staging / MANIFEST, folder / MANIFEST)
    staging.rmdir()
    return data


def _fresh(existing, stamp, base_url):
    return (
        existing and existing.get("fingerprint") == stamp and existing.get("base_url") == base_url
    )


def current(base_url, wait=False, force=False):
    """The manifest of files that match the data now, building them if needed
    (always, with `force`).

    One process builds at a time. A reader who arrives while another builds
    does not wait for it (at a million claims a build takes minutes, and
    every waiting request would hold a server thread): they get the files
    there are, with "building" set, or None when there are none yet. With
    `wait`, as for build_datasets, the build is waited for."""
    existing, stamp = manifest(), fingerprint()
    if not force and _fresh(existing, stamp, base_url):
        return existing
    root().mkdir(parents=True, exist_ok=True)
    with open(root() / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return existing and {**existing, "building": True}
        existing = manifest()
        if not force and _fresh(existing, fingerprint(), base_url):
            return existing
        # What a build stopped part-way left (the server restarted, say).
        for leftover in root().glob(".building-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        return build(base_url)

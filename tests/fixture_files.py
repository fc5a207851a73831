"""Claim data in and out through the export_claims and import_claims commands:
files written and read, the data wiped between, every row compared by its
natural key."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from claims.exchange import MODELS

P679 = "snhr-russian-strikes-killed-679-civilians-january-2016"


def export(tmp_path, name="out.json", *args):
    path = tmp_path / name
    call_command("export_claims", "-o", str(path), "--quiet", *args)
    return path


def import_file(path, user="importer", *args):
    out = io.StringIO()
    call_command("import_claims", str(path), "--user", user, "--quiet", *args, stdout=out)
    return out.getvalue()


def wipe():
    for model in reversed(MODELS):
        model.objects.all().delete()


def snapshot():
    """Every row of claim data, by natural key, ids left out."""
    from django.core import serializers

    rows = {}
    for model in MODELS:
        for row in serializers.serialize(
            "python",
            model.objects.all(),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        ):
            fields = {k: sorted(v) if isinstance(v, list) else v for k, v in row["fields"].items()}
            rows[(row["model"], json.dumps(fields, sort_keys=True, default=str))] = True
    return set(rows)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def write_json(tmp_path, objects, name="crafted.json"):
    path = tmp_path / name
    path.write_text(json.dumps(objects))
    return path


def rejected(path, user="importer"):
    with pytest.raises(CommandError) as error:
        import_file(path, user)
    return str(error.value)

"""Corrections in the groups: Editors see them; Reviewers, who make them,
may also reword a note."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("claims")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    correction = Permission.objects.filter(content_type__app_label="claims")
    editors, _ = Group.objects.get_or_create(name="Editors")
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    editors.permissions.add(correction.get(codename="view_correction"))
    reviewers.permissions.add(*correction.filter(codename__in=["view_correction", "change_correction"]))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Reviewers"]):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="claims", codename__endswith="_correction")
        )


class Migration(migrations.Migration):
    dependencies = [("claims", "0007_corrections")]

    operations = [migrations.RunPython(grant, revoke)]

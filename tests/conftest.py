import itertools

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from claims.models import Citation, Claim, Figure, Measure, Rebuttal, Source, Speaker, Topic

_counter = itertools.count(1)
SEED = "fixtures/seed.json"


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Passwords hashed with a fast hasher in the tests, as Django's testing guide
    advises: the production hasher takes 0.3 s a hash on purpose, and the tests
    make users and log in many times over. What is tested (a right password
    lets in, a wrong one does not, the lockout) holds with any hasher; processes
    the tests start keep the production one."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A migrated SQLite database file, made once by a manage.py process; tests
    that need a new site copy it rather than migrate again."""
    from .test_backup import migrate_sqlite

    return migrate_sqlite(tmp_path_factory.mktemp("template") / "site.sqlite3")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with nothing cached (the home page caches its counts)."""
    cache.clear()


def make_speaker(**fields):
    n = next(_counter)
    fields.setdefault("name", f"Speaker {n}")
    fields.setdefault("slug", f"speaker-{n}")
    fields.setdefault("kind", Speaker.Kind.PERSON)
    return Speaker.objects.create(**fields)


def make_source(**fields):
    n = next(_counter)
    fields.setdefault("slug", f"source-{n}")
    fields.setdefault("title", f"Source {n}")
    return Source.objects.create(**fields)


def make_claim(**fields):
    n = next(_counter)
    fields.setdefault("slug", f"claim-{n}")
    fields.setdefault("text", f"Statement number {n}.")
    if "speaker" not in fields:
        fields["speaker"] = make_speaker()
    return Claim.objects.create(**fields)


def make_publishable(**fields):
    """A draft with what publishing needs: a speaker, a date, an appearance."""
    fields.setdefault("said_qualifier", Claim.DateQualifier.NOT_STATED)
    claim = make_claim(**fields)
    make_citation(claim)
    return claim


def make_measure(**fields):
    n = next(_counter)
    fields.setdefault("slug", f"measure-{n}")
    fields.setdefault("name", f"things counted {n}")
    fields.setdefault("unit", Measure.Unit.PEOPLE)
    return Measure.objects.create(**fields)


def make_figure(claim, **fields):
    if "measure" not in fields:
        fields["measure"] = make_measure()
    fields.setdefault("value_min", 10)
    return Figure.objects.create(claim=claim, **fields)


def make_topic(**fields):
    n = next(_counter)
    fields.setdefault("slug", f"topic-{n}")
    fields.setdefault("name", f"Topic {n}")
    return Topic.objects.create(**fields)


def make_citation(claim, source=None, **fields):
    return Citation.objects.create(claim=claim, source=source or make_source(), **fields)


def make_rebuttal(claim, counterclaim, **fields):
    fields.setdefault("relation", Rebuttal.Relation.DENIES)
    return Rebuttal.objects.create(claim=claim, counterclaim=counterclaim, **fields)


@pytest.fixture
def editor(django_user_model):
    """A member of the Editors group, as the data migration made it."""
    user = django_user_model.objects.create_user(
        "editor", password="editor-pass-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def publisher(editor):
    """An editor who also holds claims.publish_claim."""
    editor.user_permissions.add(Permission.objects.get(codename="publish_claim"))
    # Permissions are cached on the instance; fetch a fresh one.
    return type(editor).objects.get(pk=editor.pk)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


@pytest.fixture
def seed(db):
    """The demo data from the two seed articles."""
    call_command("loaddata", SEED, verbosity=0)


@pytest.fixture
def importer(django_user_model):
    """An editor who may do everything an import does, publishing included."""
    user = django_user_model.objects.create_user("importer", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims"))
    return user

"""The suite's fixtures. What tests share besides fixtures has its own modules:
factories (model rows), admin_forms, pages (the reader's site), sites
(processes on their own database) and fixture_files (exports and imports)."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from .factories import (
    SEED,
    make_citation,
    make_claim,
    make_figure,
    make_measure,
    make_rebuttal,
    make_source,
    make_speaker,
    published,
)
from .sites import migrate_sqlite

# The asserts in the shared helpers explain a failure as a test's own do
# (registered before any of them is imported).
pytest.register_assert_rewrite("tests.admin_forms", "tests.fixture_files", "tests.pages")


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
    return migrate_sqlite(tmp_path_factory.mktemp("template") / "site.sqlite3")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with nothing cached (the home page caches its counts)."""
    cache.clear()


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


@pytest.fixture
def story():
    """A published claim, its published and draft counterclaims, sources."""
    snhr = make_speaker(name="Syrian Network for Human Rights", slug="snhr", kind="ngo")
    kremlin = make_speaker(name="Kremlin", slug="kremlin", kind="government")
    peskov = make_speaker(name="Dmitry Peskov", slug="dmitry-peskov")
    peskov.organisations.add(kremlin)
    report = make_source(slug="report", title="SNHR monthly report", publisher=snhr)
    secret = make_source(slug="secret", title="Witness statement XYZZY", restricted=True)
    claim = published(
        slug="snhr-679",
        speaker=snhr,
        text="Russian airstrikes killed an estimated 679 civilians in January.",
        said_on=datetime.date(2016, 2, 1),
        said_on_precision="month",
        said_qualifier="on_or_before",
        period_start=datetime.date(2016, 1, 1),
        period_start_precision="month",
        period_end=datetime.date(2016, 1, 1),
        period_end_precision="month",
        place="Syria",
    )
    make_citation(claim, report, excerpt="an estimated 679 civilians")
    make_citation(claim, secret, role="supports", excerpt="secret excerpt QWERTY")
    civilians = make_measure(slug="civilians-killed", name="civilians killed")
    make_figure(claim, measure=civilians, value_min=679, qualifier="estimated")
    denial = published(
        slug="peskov-denial",
        speaker=peskov,
        speaking_for=kremlin,
        speaker_role="Kremlin spokesperson",
        text="No one has presented a single piece of credible evidence.",
    )
    make_rebuttal(claim, denial, note="The article does not say he answered this report.")
    draft = make_claim(slug="draft-answer", text="A DRAFTWORD answer not yet reviewed.")
    make_rebuttal(claim, draft)
    hidden = make_claim(slug="hidden", speaker=snhr, text="Another DRAFTWORD statement.")
    make_citation(hidden, report)
    return {
        "claim": claim,
        "denial": denial,
        "draft": draft,
        "hidden": hidden,
        "snhr": snhr,
        "kremlin": kremlin,
        "peskov": peskov,
        "report": report,
        "secret": secret,
    }

"""Settings come from the environment; a bad value stops start-up and names itself."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.db.models.deletion import Collector

from claims.models import Figure, Speaker

from .sites import PROJECT


def start(env, code="import django; django.setup(); print('started')"):
    ours = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    ours |= {"POSTGRES_PREPARED", "SQLITE_BUSY_TIMEOUT"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "0", "ALLOWED_HOSTS": "example.org"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 50}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({"DATABASE_URL": "mysql://u:p@localhost/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"SQLITE_BUSY_TIMEOUT": "soon"}, "SQLITE_BUSY_TIMEOUT"),
        ({"SQLITE_BUSY_TIMEOUT": "-1"}, "SQLITE_BUSY_TIMEOUT"),
        (
            {"DATABASE_URL": "postgres://u:p@127.0.0.1/db", "POSTGRES_PREPARED": "sometimes"},
            "POSTGRES_PREPARED",
        ),
    ],
)
def test_bad_value_fails_at_start_naming_the_variable(env, named):
    result = start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_production_values_are_read():
    result = start(
        {
            "DEBUG": "off",
            "SECRET_KEY": "s" * 50,
            "ALLOWED_HOSTS": "claims.example.org, example.org",
        },
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.ALLOWED_HOSTS)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['claims.example.org', 'example.org']"


def test_postgresql_url_selects_postgresql():
    result = start(
        {"DATABASE_URL": "postgres://user:secret@127.0.0.1:5432/claims"},
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["tracker.postgresql", "claims", "127.0.0.1"]


@pytest.mark.parametrize(
    ("prepared", "options"),
    [
        (
            None,
            "{'server_side_binding': True, 'prepare_threshold': 5, "
            "'options': '-c plan_cache_mode=force_custom_plan'}",
        ),
        ("off", "{}"),
    ],
)
def test_postgresql_prepares_repeated_queries_unless_told_not_to(prepared, options):
    env = {"DATABASE_URL": "postgres://user:secret@127.0.0.1:5432/claims"}
    if prepared is not None:
        env["POSTGRES_PREPARED"] = prepared
    result = start(
        env,
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['OPTIONS'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == options


@pytest.mark.django_db
@pytest.mark.skipif(
    not getattr(connection.features, "uses_server_side_binding", False),
    reason="PostgreSQL with POSTGRES_PREPARED on",
)
def test_a_query_run_often_is_prepared_on_postgresql():
    speakers = Speaker.objects.public().filter(slug="nobody")
    for _ in range(6):
        list(speakers.all())
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "claims_speaker"' in sql and "$1" in sql for sql in prepared), prepared


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parameter limit")
def test_postgresql_deletions_go_in_batches_within_the_parameter_limit():
    # Deleting figures collects their parts with one IN list per batch; bound
    # on the server, a list of 70,000 ids would be refused.
    figures = [Figure(pk=n) for n in range(1, 70_001)]
    batches = Collector(using="default", origin=None).get_del_batches(
        figures, [Figure._meta.get_field("part_of")]
    )
    assert [len(batch) for batch in batches] == [65_000, 5_000]


def test_sqlite_is_set_up_for_several_editors(tmp_path):
    result = start(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        "import django; django.setup(); from django.db import connection as c; "
        "cur = c.cursor(); cur.execute('PRAGMA journal_mode'); print(cur.fetchone()[0]); "
        "cur.execute('PRAGMA busy_timeout'); print(cur.fetchone()[0]); "
        "cur.execute('PRAGMA mmap_size'); print(cur.fetchone()[0]); "
        "print(c.settings_dict['OPTIONS']['transaction_mode']); "
        "print(c.settings_dict['CONN_MAX_AGE'])",
    )
    assert result.returncode == 0, result.stderr
    # Connections are kept a minute: opening one costs milliseconds a request.
    # Pages are read through a shared memory map, not copied into each
    # connection's own cache.
    assert result.stdout.split() == ["wal", "20000", str(2**30), "IMMEDIATE", "60"]


def test_time_zone_aware():
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"


def test_uploads_are_kept_apart_from_static_files():
    assert settings.MEDIA_ROOT != settings.STATIC_ROOT
    assert not str(settings.MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))


def test_deploy_check_passes_with_production_settings(tmp_path):
    result = start(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
            "ALLOWED_HOSTS": "claims.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SECURE_PROXY_SSL_HEADER": "1",
        },
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers_in_production(tmp_path):
    result = start(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SECURE_PROXY_SSL_HEADER": "1",
        },
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/robots.txt', headers={'X-Forwarded-Proto': 'https'}); "
        "print(r.status_code, r.headers.get('Strict-Transport-Security'), "
        "r.headers.get('X-Content-Type-Options'), r.headers.get('Referrer-Policy')); "
        "r = Client().get('/robots.txt'); print(r.status_code, r.headers.get('Location'))",
    )
    assert result.returncode == 0, result.stderr
    secure, plain = result.stdout.strip().splitlines()
    assert secure == "200 max-age=31536000; includeSubDomains; preload nosniff same-origin"
    assert plain == "301 https://testserver/robots.txt"


def test_readme_documents_every_environment_variable():
    import re

    source = (PROJECT / "tracker" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    read |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', source))
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "EVIDENCE_MAX_MB"} <= read
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert {name for name in read if f"`{name}`" not in readme} == set()

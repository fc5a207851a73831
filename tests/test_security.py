"""Who gets in and what a browser may run: the Content Security Policy on every
response and the admin login's lockout after repeated failures."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from claims.models import Claim
from tracker.proxy import client_address

from .factories import make_publishable

pytestmark = pytest.mark.django_db

PASSWORD = "a long editor password"


def policy(response):
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize(
    "path", ["/", "/claims/", "/search/?q=x", "/no-such-page/", "/admin/login/"]
)
def test_every_response_carries_the_policy(client, path):
    directives = policy(client.get(path))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in " ".join(directives.values())
    assert "unsafe-eval" not in " ".join(directives.values())


def test_claim_page_has_no_inline_style_or_handler(client):
    claim = make_publishable(status=Claim.Status.PUBLISHED)
    html = client.get(claim.get_absolute_url()).content.decode()
    assert " style=" not in html
    assert " onclick=" not in html and " onload=" not in html
    scripts = [chunk.split(">", 1)[0] for chunk in html.split("<script")[1:]]
    assert all("src=" in tag or "application/ld+json" in tag for tag in scripts)


def test_old_style_csp_settings_are_refused():
    with override_settings(CSP_DEFAULT_SRC=["'self'"]):
        errors = checks.run_checks()
    assert any(error.id.startswith("csp.") for error in errors)


@pytest.fixture
def chief(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.org", PASSWORD)


def log_in(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_login_locks_after_repeated_failures(client, chief, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "chief", "wrong")
        assert response.status_code == 200
        assert "enter the correct username and password" in response.content.decode()

    locked = log_in(client, "chief", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()

    # Even the right password is refused now, and nobody is logged in.
    refused = log_in(client, "chief", PASSWORD)
    assert refused.status_code == 429
    assert client.get("/admin/").status_code == 302

    # Lifting the lockout lets the editor back in.
    call_command("axes_reset", verbosity=0)
    assert log_in(client, "chief", PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_lockout_is_for_one_account_from_one_address(client, chief, django_user_model, settings):
    django_user_model.objects.create_superuser("deputy", "deputy@example.org", PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "chief", "wrong")
    assert log_in(client, "chief", PASSWORD).status_code == 429
    assert log_in(client, "deputy", PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, chief, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "chief", "wrong")
    assert log_in(client, "chief", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "chief", "wrong")
    assert log_in(client, "chief", PASSWORD).status_code == 302


def test_behind_a_proxy_the_address_the_proxy_saw_counts():
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.1"
    )
    assert client_address(request) == "203.0.113.7"
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"

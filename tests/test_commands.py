import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def can_log_in(username, password):
    request = RequestFactory().post("/admin/login/")
    return authenticate(request, username=username, password=password)


def create_admin(username="admin"):
    out = StringIO()
    call_command("create_local_admin", username=username, stdout=out)
    return out.getvalue()


def test_local_admin_gets_a_random_password_shown_once():
    output = create_admin()
    password = re.search(r"password: (\S+)", output).group(1)
    assert len(password) >= 16
    user = can_log_in("admin", password)
    assert user is not None and user.is_superuser

    again = create_admin()
    assert password not in again
    assert "unchanged" in again
    assert can_log_in("admin", password) is not None


def test_two_installs_get_different_passwords():
    first = re.search(r"password: (\S+)", create_admin("one")).group(1)
    second = re.search(r"password: (\S+)", create_admin("two")).group(1)
    assert first != second
    assert get_user_model().objects.count() == 2

"""An editor imports the example spreadsheet in a real Chromium: from the
claims list to the upload, the column mapping, the preview and the
confirmation, then the result; the pages pass axe-core's checks."""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from claims.models import Claim, ExternalId

CHROMIUM = "/usr/bin/chromium"
AXE = settings.BASE_DIR / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
EXAMPLES = settings.BASE_DIR / "fixtures" / "examples"

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def editor(django_user_model, settings, tmp_path):
    settings.RUN_UPLOAD_ROOT = tmp_path / "uploads"
    user = django_user_model.objects.create_user(
        "sheet-editor", password="sheet-pass-123", is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims"))
    return user


def violations(page):
    """axe-core's findings on the page (none checked, and said, without axe-core)."""
    if not AXE.exists():
        return []
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {v['help']} ({v['nodes'][0]['target']})" for v in found]


def test_an_editor_imports_the_example_through_the_admin(browser, live_server, editor):
    if not AXE.exists():
        print(f"axe-core is not installed ({AXE}): the pages' accessibility is not checked")
    page = browser.new_context(bypass_csp=True).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/claims/claim/")
    page.fill("#id_username", "sheet-editor")
    page.fill("#id_password", "sheet-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/claims/claim/")
    page.click("text=Import a spreadsheet")
    page.set_input_files("#id_file", str(EXAMPLES / "cases.csv"))
    page.click("#sheet-upload input[type=submit]")
    page.wait_for_url("**/mapping/")
    assert "utf-8 (bom)" in page.content()
    assert violations(page) == []

    document = json.loads((EXAMPLES / "cases-mapping.json").read_text())
    page.fill("#id_name", document["name"])
    page.fill("#id_namespace", document["namespace"])
    names = page.locator("#sheet-columns tbody tr > th > bdi").all_inner_texts()
    assert names[:3] == ["Case ID", "Date", "Outlet"]
    assert "SY-001" in page.inner_text("#sheet-columns")  # sample values
    for entry in document["columns"]:
        index = names.index(entry["column"])
        taken = 0 if page.input_value(f"#id_c{index}_t0") == "" else 1
        page.select_option(f"#id_c{index}_t{taken}", entry["target"])
        if "format" in entry:
            page.select_option(f"#id_c{index}_format", entry["format"][0])
        if entry.get("unreadable") == "note":
            page.check(f"#id_c{index}_unreadable")
        if entry.get("separator"):
            page.fill(f"#id_c{index}_separator", entry["separator"])
        if entry.get("find_urls"):
            page.check(f"#id_c{index}_find_urls")
        if entry.get("values"):
            lines = "\n".join(f"{k} = {v}" for k, v in entry["values"].items())
            page.fill(f"#id_c{index}_values", lines)
    for target, value in document["constants"].items():
        page.fill(f"[name='k_{target}']", value)
    page.click("#sheet-mapping input[type=submit]")
    page.wait_for_selector("#sheet-preview")
    preview = page.inner_text("#sheet-preview")
    assert "Russian aircraft have not struck" in preview and "10 February 2016" in preview
    assert page.locator("#sheet-problems").count() == 0, page.inner_text("#sheet-problems")
    assert Claim.objects.count() == 0
    assert violations(page) == []

    page.click("input[name=confirm]")
    page.wait_for_selector("#sheet-created")
    assert "What the import did" in page.content()
    assert Claim.objects.count() == 11
    first = ExternalId.objects.get(value="SY-001").claim
    page.click(f"#sheet-created a:text('{first.slug}')")
    page.wait_for_url(f"**/admin/claims/claim/{first.pk}/change/")

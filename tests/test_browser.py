"""What a reader does, in a real Chromium: filter, open a claim, see the
counterclaim beside it, follow to the speaker, search in Arabic; on a laptop
and on a phone; with no accessibility violations (axe-core). The pages are
photographed into docs/screenshots/."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from claims.models import Claim

from .factories import make_citation, make_source, make_speaker

CHROMIUM = "/usr/bin/chromium"
AXE = settings.BASE_DIR / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = settings.BASE_DIR / "docs" / "screenshots"

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls made
# by the test itself (not by the server) are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

P679 = "snhr-russian-strikes-killed-679-civilians-january-2016"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def datasets(settings, tmp_path):
    """The data page builds its files here, not in the project's datasets/."""
    settings.DATASET_ROOT = tmp_path / "datasets"


@pytest.fixture
def seeded(transactional_db):
    call_command("loaddata", str(settings.BASE_DIR / "fixtures" / "seed.json"), verbosity=0)
    # An Arabic quote to search for: the seed articles are English only.
    speaker = make_speaker(name="Syria Civil Defence", slug="syria-civil-defence", kind="ngo")
    claim = Claim.objects.create(
        slug="civil-defence-idlib-strikes",
        text="Strikes hit a market in Idlib.",
        text_kind=Claim.TextKind.VERBATIM_TRANSLATION,
        original_text="غارات جوية استهدفت سوقاً في مدينة إدلب",
        original_language="ar",
        speaker=speaker,
        said_qualifier=Claim.DateQualifier.NOT_STATED,
        status=Claim.Status.PUBLISHED,
    )
    make_citation(claim, make_source(slug="civil-defence-post", title="Civil Defence post"))


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def open_page(browser, viewport):
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def axe_violations(page):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}); run make test with npm available")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]


def shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def reader_walks_through(page, base, shots=""):
    page.goto(f"{base}/claims/")
    page.fill("#id_speaker", "Syrian Network for Human Rights")
    page.fill("#id_said_to", "2016-02")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/claims/?*")
    assert "speaker=Syrian+Network+for+Human+Rights" in page.url
    rows = page.locator("table.claims tbody tr")
    assert rows.count() >= 4
    assert "on or before February 2016" in rows.first.inner_text()
    if shots:
        shoot(page, f"{shots}list")

    page.click(f"a[href='/claims/{P679}/']")
    page.wait_for_url(f"**/claims/{P679}/")
    pair = page.locator(".pair").filter(has_text="Dmitry Peskov").first
    assert pair.is_visible()
    claim_box = pair.locator(".column").first.bounding_box()
    counter_box = pair.locator(".column.counter").bounding_box()
    if shots:
        shoot(page, f"{shots}claim")

    pair.locator(".column.counter a", has_text="Dmitry Peskov").first.click()
    page.wait_for_url("**/speakers/dmitry-peskov/")
    assert "no one up to now has presented" in page.content()

    page.fill("#site-q", "ادلب")
    page.press("#site-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    marked = page.locator("mark")
    assert marked.count() >= 1
    assert marked.first.inner_text() == "إدلب"
    assert page.locator("p[lang=ar][dir=rtl]").count() >= 1
    if shots:
        shoot(page, f"{shots}search")
    return claim_box, counter_box


def test_reader_on_a_laptop(browser, live_server, seeded):
    page, errors = open_page(browser, LAPTOP)
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Claims and counterclaims, side by side"
    shoot(page, "home")
    claim_box, counter_box = reader_walks_through(page, live_server.url, shots="")
    # Side by side: the counterclaim to the right of the claim, level with it.
    assert counter_box["x"] > claim_box["x"] + claim_box["width"] - 1
    assert abs(counter_box["y"] - claim_box["y"]) < 200
    assert errors == []


def test_reader_on_a_phone(browser, live_server, seeded):
    page, errors = open_page(browser, PHONE)
    claim_box, counter_box = reader_walks_through(page, live_server.url, shots="phone-")
    # Stacked: the counterclaim below the claim.
    assert counter_box["y"] >= claim_box["y"] + claim_box["height"] - 1
    for path in ("/", "/claims/", f"/claims/{P679}/", "/search/?q=civilians"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{path} is {width}px wide on a phone"
    assert errors == []


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("home", "/"),
        ("list", "/claims/?speaker=snhr"),
        ("claim", f"/claims/{P679}/"),
        ("search", "/search/?q=%D8%A7%D8%AF%D9%84%D8%A8"),
        ("compare", f"/compare/{P679}/airwars-1006-to-1410-non-combatant-deaths-january-2016/"),
        ("speaker", "/speakers/snhr/"),
    ],
)
def test_no_accessibility_violations(browser, live_server, seeded, name, path):
    page, _ = open_page(browser, LAPTOP)
    page.goto(live_server.url + path)
    shoot(page, name)
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    assert axe_violations(page) == []


# Records every Content Security Policy violation the page reports.
LISTEN_FOR_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""

PUBLIC_PAGES = [
    "/",
    "/claims/",
    "/claims/?speaker=snhr&said_to=2016-02",
    f"/claims/{P679}/",
    f"/compare/{P679}/airwars-1006-to-1410-non-combatant-deaths-january-2016/",
    "/speakers/",
    "/speakers/snhr/",
    "/sources/civil-defence-post/",
    "/search/?q=%D8%A7%D8%AF%D9%84%D8%A8",
    "/data/",
    "/corrections/",
]


def csp_context(browser):
    context = browser.new_context(viewport=LAPTOP)  # the policy enforced, not bypassed
    context.set_default_timeout(15_000)
    context.add_init_script(LISTEN_FOR_CSP)
    return context


def visit(page, url):
    response = page.goto(url, wait_until="networkidle")
    assert response.headers.get("content-security-policy"), f"{url} has no CSP header"
    return page.evaluate("window.cspViolations")


def visit_all(context, urls):
    """{url: the violations its page reported}, each page read, as by visit(), once
    it has had no network traffic for 500 ms (networkidle). Each page has a tab of
    its own and they are opened one after another; the 500 ms waits then run side
    by side rather than one after another."""
    pages = {}
    for url in urls:
        page = context.new_page()
        response = page.goto(url)
        assert response.headers.get("content-security-policy"), f"{url} has no CSP header"
        pages[url] = page
    found = {}
    for url, page in pages.items():
        page.wait_for_load_state("networkidle")
        found[url] = page.evaluate("window.cspViolations")
        page.close()
    return found


def test_public_pages_keep_the_content_security_policy(browser, live_server, seeded):
    context = csp_context(browser)
    found = visit_all(context, [live_server.url + path for path in PUBLIC_PAGES])
    assert {url: seen for url, seen in found.items() if seen} == {}

    # The listener does hear a violation: an inline style is refused.
    page = context.new_page()
    visit(page, live_server.url + "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_function("window.cspViolations.length > 0")


def test_admin_pages_keep_the_content_security_policy(browser, live_server, seeded):
    User = get_user_model()
    User.objects.create_superuser("chief", "chief@example.org", "a long editor password")
    claim = Claim.objects.get(slug=P679)
    claim.text += " (checked)"
    claim.correction_note = "Checked against the report."
    claim.save()
    record = claim.history.earliest()

    context = csp_context(browser)
    page = context.new_page()
    assert visit(page, live_server.url + "/admin/login/") == []
    page.fill("#id_username", "chief")
    page.fill("#id_password", "a long editor password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    paths = [
        "/admin/",
        "/admin/claims/claim/",
        "/admin/claims/claim/?status__exact=published&q=civilians",
        "/admin/claims/claim/add/",
        f"/admin/claims/claim/{claim.pk}/change/",
        f"/admin/claims/claim/{claim.pk}/history/",
        f"/admin/claims/claim/{claim.pk}/history/{record.pk}/",
        "/admin/claims/speaker/",
        "/admin/claims/speaker/add/",
        "/admin/claims/source/add/",
        "/admin/claims/rebuttal/",
        "/admin/claims/correction/",
        "/admin/claims/figure/add/",
    ]
    found = visit_all(context, [live_server.url + path for path in paths])
    assert {url: seen for url, seen in found.items() if seen} == {}

    # The speaker autocomplete opens without breaking the policy.
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/", wait_until="networkidle")
    page.click("#select2-id_speaker-container")
    page.wait_for_selector(".select2-results__option")
    assert page.evaluate("window.cspViolations") == []


def test_readme_shows_a_screenshot():
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert "docs/screenshots/claim.png" in readme


def teardown_module(module):
    # Screenshots are refreshed by every run; leave no partial folder behind.
    if SCREENSHOTS.exists() and not any(SCREENSHOTS.iterdir()):
        shutil.rmtree(SCREENSHOTS)

"""The seed data: the two seed articles, faithfully, and a natural-key round trip."""

import datetime
import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import transaction

from claims.models import Citation, Claim, Figure, Measure, Rebuttal, Source, Speaker, Topic

pytestmark = pytest.mark.django_db

SEED = settings.BASE_DIR / "fixtures" / "seed.json"
SEED_ARTICLES = settings.BASE_DIR.parent / "shared" / "seeds"
CLAIM_DATA = [Speaker, Topic, Measure, Source, Claim, Citation, Figure, Rebuttal]
D = datetime.date

P679 = "snhr-russian-strikes-killed-679-civilians-january-2016"


@pytest.fixture(scope="class")
def seed(django_db_setup, django_db_blocker):
    """The seed loaded once for a class of tests that read it. It stays in a
    transaction that is rolled back when the class is done; each test runs in a
    savepoint inside it (the django_db mark), so what one test changes is undone
    before the next, as when each test loaded the seed itself."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", str(SEED), verbosity=0)
        yield
        transaction.set_rollback(True)


def figures(slug):
    return [
        (f.measure.slug, f.value_min, f.value_max, f.qualifier, f.part_of and f.part_of.position)
        for f in Figure.objects.filter(claim__slug=slug).select_related("measure", "part_of")
    ]


def normalise(text):
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    return re.sub(r"\s+", " ", text).strip()


def snapshot():
    """Every claim-data row, keyed by model and natural key, ids left out."""
    rows = {}
    for model in CLAIM_DATA:
        data = serializers.serialize(
            "python",
            model.objects.all(),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        for row in data:
            fields = {
                name: sorted(value) if isinstance(value, list) else value
                for name, value in row["fields"].items()
            }
            instance = model._default_manager.get(**_natural_lookup(model, fields))
            rows[(row["model"], instance.natural_key())] = fields
    return rows


def _natural_lookup(model, fields):
    if model is Citation:
        return {
            "claim__slug": fields["claim"][0],
            "source__slug": fields["source"][0],
            "role": fields["role"],
            "locator": fields["locator"],
        }
    if model is Figure:
        return {"claim__slug": fields["claim"][0], "position": fields["position"]}
    if model is Rebuttal:
        return {"claim__slug": fields["claim"][0], "counterclaim__slug": fields["counterclaim"][0]}
    return {"slug": fields["slug"]}


def test_fixture_uses_natural_keys_only():
    objects = json.loads(SEED.read_text(encoding="utf-8"))
    assert objects, "the seed fixture is empty"
    assert all("pk" not in obj for obj in objects)
    assert {obj["model"] for obj in objects} == {f"claims.{m._meta.model_name}" for m in CLAIM_DATA}


class TestTheSeedData:
    """Tests that read the seed (a test may change it: its changes are undone)."""

    def test_snhr_679_civilians_in_january_2016(self, seed):
        claim = Claim.objects.get(slug=P679)
        assert claim.speaker.slug == "snhr"
        assert "estimated 679 civilians in January" in claim.text
        assert claim.said_display == "on or before February 2016"
        assert claim.date_supplied_by_editor and "CONTEXT.md" in claim.date_note
        assert claim.period_display == "January 2016"
        assert claim.place == "Syria"
        assert [s.slug for s in claim.accused.all()] == ["russian-forces"]
        assert figures(P679) == [("civilians-killed", Decimal(679), None, "estimated", None)]
        figure = claim.figures.get()
        assert figure.attributed_to.slug == "russian-forces"
        assert figure.value_display == "an estimated 679"

    def test_counterclaims_of_the_679_figure(self, seed):
        claim = Claim.objects.get(slug=P679)
        answers = {r.counterclaim.slug: r for r in claim.rebuttals.select_related("counterclaim")}
        assert set(answers) == {
            "russia-repeatedly-denied-civilian-deaths-in-syria",
            "dmitry-peskov-no-credible-evidence-2016-02-10",
            "viktor-bondarev-have-not-missed-even-once",
            "russian-air-force-strikes-cause-no-civilian-deaths",
        }
        for rebuttal in answers.values():
            assert rebuttal.relation == Rebuttal.Relation.DENIES
            # The article never says that one statement answered the other.
            assert "does not say" in rebuttal.note

    def test_peskov_on_10_february_2016(self, seed):
        claim = Claim.objects.get(slug="dmitry-peskov-no-credible-evidence-2016-02-10")
        assert claim.speaker.name == "Dmitry Peskov"
        assert claim.speaking_for.name == "Kremlin"
        assert claim.speaker_role == "Kremlin spokesperson"
        assert claim.text.startswith("Despite a huge number of such statements")
        assert claim.text_kind == Claim.TextKind.VERBATIM  # the article does not say
        assert (claim.said_on, claim.said_on_precision) == (D(2016, 2, 10), "day")
        assert claim.said_display == "10 February 2016"
        assert claim.date_supplied_by_editor
        assert "“Feb. 10” without a year" in claim.date_note
        first = claim.first_appearance()
        assert first.source.publisher.name == "Transitions Online"

    def test_bondarev_and_the_air_force(self, seed):
        bondarev = Claim.objects.get(slug="viktor-bondarev-have-not-missed-even-once")
        assert "have not missed even once" in bondarev.text
        assert bondarev.speaker.name == "Viktor Bondarev"
        assert bondarev.speaking_for.name == "Russian Air Force"
        assert bondarev.said_display == "date not stated"
        air_force = Claim.objects.get(slug="russian-air-force-strikes-cause-no-civilian-deaths")
        assert air_force.speaker.slug == "russian-air-force"
        assert "do not result in civilian deaths" in air_force.text

    def test_russia_repeatedly_denied(self, seed):
        claim = Claim.objects.get(slug="russia-repeatedly-denied-civilian-deaths-in-syria")
        assert claim.speaker.slug == "russia"
        assert claim.said_qualifier == Claim.DateQualifier.REPEATEDLY
        assert claim.said_display == "repeatedly since September 2015"
        assert claim.date_supplied_by_editor
        assert len(claim.appearances()) == 1
        # Rebutted in turn: a rebuttal of a rebuttal.
        assert {r.counterclaim.slug for r in claim.rebuttals.all()} == {
            "snhr-6686-civilians-killed-by-russian-forces-since-2015",
            "airwars-1006-to-1410-non-combatant-deaths-january-2016",
        }

    def test_other_2016_statements(self, seed):
        ninety = "snhr-more-than-90-percent-of-attacks-targeted-civilians"
        assert figures(ninety) == [
            ("share-of-attacks-on-civilians", Decimal(90), None, "more_than", None)
        ]
        assert Measure.objects.get(slug="share-of-attacks-on-civilians").unit == "percent"
        accusation = Claim.objects.get(slug="snhr-russia-and-regime-violated-right-to-life")
        assert {s.slug for s in accusation.accused.all()} == {"russia", "assad-regime"}
        factions = Claim.objects.get(slug="snhr-all-factions-committed-extrajudicial-crimes")
        assert factions.accused.count() == 5
        assert "extrajudicial crimes that amount to war crimes" in factions.text
        targets = Claim.objects.get(slug="russian-strikes-mostly-hit-aleppo-idlib-raqqa")
        assert targets.speaker.kind == Speaker.Kind.UNATTRIBUTED
        assert targets.place == "Aleppo, Idlib and Raqqa"
        un = Claim.objects.get(slug="snhr-recommends-un-security-council-act")
        assert "UN Security Council" in un.text

    def test_four_year_report_of_september_2019(self, seed):
        assert figures("snhr-russia-killed-almost-7000-civilians") == [
            ("civilians-killed", Decimal(7000), None, "almost", None)
        ]
        assert figures("snhr-6686-civilians-killed-by-russian-forces-since-2015") == [
            ("civilians-killed", Decimal(6686), None, "exact", None),
            ("children-killed", Decimal(1928), None, "exact", 1),
            ("women-killed", Decimal(908), None, "exact", 1),
        ]
        assert figures("snhr-1083-attacks-on-civilian-infrastructure") == [
            ("attacks-on-civilian-infrastructure", Decimal(1083), None, "at_least", None),
            ("attacks-on-schools", Decimal(201), None, "exact", 1),
            ("attacks-on-medical-facilities", Decimal(190), None, "exact", 1),
        ]
        assert figures("snhr-107-medical-personnel-and-21-journalists-killed") == [
            ("medical-and-civil-defence-personnel-killed", Decimal(107), None, "exact", None),
            ("journalists-and-media-activists-killed", Decimal(21), None, "exact", None),
        ]
        assert figures("snhr-236-cluster-and-125-incendiary-attacks") == [
            ("cluster-munition-attacks", Decimal(236), None, "at_least", None),
            ("incendiary-weapon-attacks", Decimal(125), None, "exact", None),
        ]
        assert figures("snhr-3-3-million-people-displaced") == [
            ("people-displaced", Decimal(3300000), None, "about", None)
        ]
        deadliest = Claim.objects.get(slug="snhr-first-two-years-of-intervention-deadliest")
        assert "first two years" in deadliest.text
        where = Claim.objects.get(slug="snhr-casualties-concentrated-in-aleppo-idlib-deir-az-zour")
        assert where.place.startswith("Aleppo governorate")
        total = Claim.objects.get(slug="snhr-6686-civilians-killed-by-russian-forces-since-2015")
        assert total.said_display == "September 2019"
        assert total.period_display == "September 2015 – September 2019"
        assert total.first_appearance().source.slug == "snhr-report-four-years-russian-intervention"

    def test_headline_and_video_teaser(self, seed):
        claim = Claim.objects.get(slug="snhr-russian-forces-killed-almost-2000-children")
        assert figures(claim.slug) == [("children-killed", Decimal(2000), None, "almost", None)]
        assert claim.period_display == "from 2015"  # "since 2015": a year
        assert {c.locator for c in claim.citations.all()} == {"headline", "video teaser"}

    def test_newsweek_on_snhr_method(self, seed):
        claim = Claim.objects.get(
            slug="newsweek-snhr-verifies-estimates-with-civil-servants-reports"
        )
        assert claim.speaker.slug == "newsweek"
        assert "reports of Syrian civil servants" in claim.text
        assert claim.date_supplied_by_editor

    def test_airwars_range_is_editor_supplied_context(self, seed):
        claim = Claim.objects.get(slug="airwars-1006-to-1410-non-combatant-deaths-january-2016")
        assert figures(claim.slug)[1] == (
            "civilians-killed",
            Decimal(1006),
            Decimal(1410),
            "exact",
            None,
        )
        assert claim.period_display == "January 2016"
        assert "CONTEXT.md" in claim.date_note
        pairing = claim.rebuts.get()
        assert pairing.claim.slug == "russia-repeatedly-denied-civilian-deaths-in-syria"
        assert "Paired by the editors" in pairing.note

    def test_fadel_abdul_ghany(self, seed):
        claim = Claim.objects.get(
            slug="fadel-abdul-ghany-cannot-trust-russian-sponsored-settlement"
        )
        assert claim.speaker.name == "Fadel Abdul Ghany"
        assert claim.speaking_for.slug == "snhr"
        assert claim.speaker_role == "Chairman of the SNHR"
        assert claim.said_display == "on or before 30 September 2019"
        assert not claim.date_supplied_by_editor
        assert "Russia is implicated in war crimes" in claim.text

    def test_people_belong_to_their_organisations(self, seed):
        def orgs(slug):
            return {o.slug for o in Speaker.objects.get(slug=slug).organisations.all()}

        assert orgs("dmitry-peskov") == {"kremlin"}
        assert orgs("viktor-bondarev") == {"russian-air-force"}
        assert orgs("fadel-abdul-ghany") == {"snhr"}

    def test_unknowns_stay_not_stated(self, seed):
        article = Source.objects.get(slug="article-russia-killed-more-civilians-than-isis")
        assert article.publisher_display == "not stated"
        assert article.published_display == "not stated"
        assert article.url == ""
        assert {s.slug for s in article.relays.all()} == {
            "newsweek-snhr-january-2016",
            "snhr-report-january-2016",
            "transitions-online-peskov",
        }
        dated = Source.objects.get(slug="article-russian-forces-kill-almost-2000-children")
        assert dated.published_display == "30 September 2019"
        assert dated.publisher is None
        newsweek = Source.objects.get(slug="newsweek-snhr-january-2016")
        assert newsweek.published_display == "February 2016"
        assert "Editor-supplied" in newsweek.date_note

    def test_every_seed_claim_is_published_unassessed_and_appears_somewhere(self, seed):
        claims = Claim.objects.all()
        assert claims.count() >= 24
        for claim in claims:
            assert claim.status == Claim.Status.PUBLISHED
            assert claim.assessment == Claim.Assessment.UNASSESSED
            assert claim.speaker_id, claim.slug
            assert claim.appearances(), claim.slug
            assert claim.said_on or claim.said_qualifier == Claim.DateQualifier.NOT_STATED, (
                claim.slug
            )
            claim.full_clean()

    @pytest.mark.skipif(
        not SEED_ARTICLES.is_dir(), reason="the seed articles (shared/seeds) are absent"
    )
    def test_excerpts_are_quoted_from_the_articles(self, seed):
        articles = {
            "article-russia-killed-more-civilians-than-isis": "000_feefdc3e4b5300d7.txt",
            "article-russian-forces-kill-almost-2000-children": "004_2bc3b7db26af8e56.txt",
        }
        checked = 0
        for slug, filename in articles.items():
            text = normalise((SEED_ARTICLES / filename).read_text(encoding="utf-8"))
            for citation in Citation.objects.filter(source__slug=slug).exclude(excerpt=""):
                assert normalise(citation.excerpt) in text, (citation.claim.slug, citation.locator)
                checked += 1
        assert checked >= 25

    # --- Natural-key round trip ---------------------------------------------------

    def test_natural_key_round_trip(self, seed, tmp_path):
        before = snapshot()
        ids_before = set(Claim.objects.values_list("pk", flat=True))
        out = StringIO()
        call_command(
            "dumpdata",
            *[f"claims.{m._meta.model_name}" for m in CLAIM_DATA],
            natural_foreign=True,
            natural_primary=True,
            stdout=out,
        )
        dump = tmp_path / "dump.json"
        dump.write_text(out.getvalue(), encoding="utf-8")
        assert '"pk"' not in out.getvalue()

        for model in reversed(CLAIM_DATA):
            model.objects.all().delete()
        assert all(not m.objects.exists() for m in CLAIM_DATA)

        call_command("loaddata", str(dump), verbosity=0)
        after = snapshot()
        assert after == before
        assert len(after) == len(json.loads(out.getvalue()))
        assert ids_before.isdisjoint(Claim.objects.values_list("pk", flat=True))

    def test_loading_the_seed_twice_duplicates_nothing(self, seed):
        counts = {m: m.objects.count() for m in CLAIM_DATA}
        call_command("loaddata", str(SEED), verbosity=0)
        assert {m: m.objects.count() for m in CLAIM_DATA} == counts


def test_load_seed_command_records_history_and_leaves_edits_alone(db):
    out = StringIO()
    call_command("load_seed", stdout=out)
    assert "Loaded" in out.getvalue()
    claim_count = Claim.objects.count()
    assert claim_count >= 24
    assert Claim.history.count() == claim_count
    assert Speaker.history.count() == Speaker.objects.count()
    assert Rebuttal.history.count() == Rebuttal.objects.count()
    first = Claim.history.get(slug=P679)
    assert first.history_type == "+"
    assert first.history_change_reason == "Loaded from the seed data"
    assert {t.topic.slug for t in first.topics.all()} == {"civilian-casualties", "air-strikes"}
    assert [a.speaker.slug for a in first.accused.all()] == ["russian-forces"]

    claim = Claim.objects.get(slug=P679)
    claim.text = "Edited by an editor."
    claim.correction_note = "Edited."
    claim.save()
    out = StringIO()
    call_command("load_seed", stdout=out)
    assert "not loaded" in out.getvalue()
    claim.refresh_from_db()
    assert claim.text == "Edited by an editor."

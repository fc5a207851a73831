"""Synthetic claims for load and scale testing, shaped like the real thing.

Thousands of speakers, most of them people speaking for organisations,
with a Zipf-like spread (a few speak very often, most rarely); sources
published by the media and watchdogs among them; each claim citing where it
appeared and what supports or contradicts it; figures in about half of the
claims; about half of the claims paired with a counterclaim; original
wording in Arabic or Russian for some. The same seed always gives the same
data. Rows are written with bulk inserts a chunk at a time, so memory stays
flat however many claims are asked for. No history is written: this is
test data, not editorial work.
"""

import datetime
import itertools
import random
from decimal import Decimal

from django.db import connection, reset_queries, transaction
from django.utils import timezone

from .dates import truncate
from .models import Citation, Claim, Figure, Measure, Rebuttal, Source, Speaker, Topic
from .search import document

CHUNK = 5000
SPEAKERS_PER_CLAIM = 1 / 200  # 5,000 speakers for a million claims
SOURCES_PER_CLAIM = 1 / 20
FIRST_DAY = datetime.date(2011, 3, 1)
DAYS = (datetime.date(2024, 12, 31) - FIRST_DAY).days

PLACES = [
    ("Aleppo", "حلب", "Алеппо"),
    ("Idlib", "إدلب", "Идлиб"),
    ("Homs", "حمص", "Хомс"),
    ("Hama", "حماة", "Хама"),
    ("Douma", "دوما", "Дума"),
    ("Deir ez-Zor", "دير الزور", "Дейр-эз-Зор"),
    ("Raqqa", "الرقة", "Ракка"),
    ("Daraa", "درعا", "Дераа"),
    ("Palmyra", "تدمر", "Пальмира"),
    ("Latakia", "اللاذقية", "Латакия"),
    ("Maarat al-Numan", "معرة النعمان", "Мааррет-эн-Нууман"),
    ("Jisr al-Shughur", "جسر الشغور", "Джиср-эш-Шугур"),
]
MONTHS_EN = [datetime.date(2000, m, 1).strftime("%B") for m in range(1, 13)]
TARGETS = ["market", "hospital", "school", "bakery", "mosque", "water station", "convoy"]
FIRST = [
    "Ahmad",
    "Omar",
    "Lina",
    "Yusuf",
    "Rania",
    "Sergei",
    "Olga",
    "Igor",
    "Maria",
    "John",
    "Sarah",
    "Hassan",
    "Fatima",
    "Dmitry",
    "Anna",
    "Khaled",
    "Nour",
    "Viktor",
    "Elena",
]
LAST = [
    "al-Hamwi",
    "Haddad",
    "Khatib",
    "Ivanov",
    "Petrova",
    "Smith",
    "Darwish",
    "Sokolov",
    "Mansour",
    "Kuznetsov",
    "Nasser",
    "Brown",
    "Aziz",
    "Volkova",
    "Saleh",
    "Orlov",
]
ORGANISATION_KINDS = [
    (Speaker.Kind.GOVERNMENT, "Ministry of {}"),
    (Speaker.Kind.MILITARY, "{} Command"),
    (Speaker.Kind.ARMED_GROUP, "{} Brigade"),
    (Speaker.Kind.NGO, "{} Monitor for Human Rights"),
    (Speaker.Kind.MEDIA, "{} News"),
    (Speaker.Kind.INTERNATIONAL_BODY, "{} Commission of Inquiry"),
]
SYLLABLES = [
    "kaf",
    "tal",
    "ain",
    "der",
    "mar",
    "jab",
    "sar",
    "hal",
    "bab",
    "nab",
    "qas",
    "rum",
    "sha",
    "zei",
    "dah",
    "mur",
    "tam",
    "ful",
    "kur",
    "bin",
]
TOPICS = [
    "Civilian casualties",
    "Air strikes",
    "Medical facilities",
    "Displacement",
    "Chemical weapons",
    "Detention",
    "Humanitarian access",
    "Ceasefire violations",
    "Schools",
    "Markets",
    "Water and power",
    "Journalists",
]
MEASURES = [
    ("civilians killed", "people"),
    ("children killed", "people"),
    ("people displaced", "people"),
    ("air strikes", "attacks"),
    ("attacks on hospitals", "attacks"),
    ("medical workers killed", "people"),
]

ENGLISH = [
    "{n} civilians were killed in {place} in {month} {year}, including children.",
    "An air strike on a {target} in {place} near {village} killed {n} people.",
    "There were no strikes on {place}; reports of {n} dead there are fabricated.",
    "Our aircraft struck only military targets around {village} and {place}.",
    "At least {n} people fled {village} after shelling in {month} {year}.",
    "{n} medical workers have been killed in {place} province since {year}.",
    "Nobody has presented credible evidence of civilian deaths in {village}.",
    "The {target} in {place} was used as a weapons depot, not by civilians.",
]
ARABIC = [
    "قُتل {n} مدنياً في {place} بينهم أطفال",
    "استهدفت غارة جوية {target_ar} في {place} قرب {village}",
    "لم تقع أي غارات على {place} والتقارير عن {n} قتيلاً ملفقة",
]
RUSSIAN = [
    "Удары по {place} не наносились, сообщения о {n} погибших ложны",
    "Наши самолёты поражали только военные цели в районе {place}",
    "В {place} погибли {n} мирных жителей",
]
TARGETS_AR = ["سوقاً", "مستشفى", "مدرسة", "مخبزاً"]


class Generator:
    def __init__(self, claims, seed=1, progress=None):
        self.total = claims
        self.rng = random.Random(seed)  # nosec B311: synthetic test data, not secrets
        self.progress = progress
        self.now = timezone.now()

    # --- The cast ---------------------------------------------------------------

    def village(self):
        """A place name from a space large enough that most are rare words."""
        return "".join(self.rng.choice(SYLLABLES) for _ in range(3)).capitalize()

    def make_vocabulary(self):
        self.topics = Topic.objects.bulk_create(
            [Topic(slug=f"topic-{i}", name=name) for i, name in enumerate(TOPICS)]
        )
        self.measures = Measure.objects.bulk_create(
            [
                Measure(slug=f"measure-{i}", name=name, unit=unit)
                for i, (name, unit) in enumerate(MEASURES)
            ]
        )

    def make_speakers(self):
        rng = self.rng
        count = max(50, round(self.total * SPEAKERS_PER_CLAIM))
        organisations = []
        for i in range(max(10, count // 10)):
            kind, pattern = ORGANISATION_KINDS[i % len(ORGANISATION_KINDS)]
            place = rng.choice(PLACES)[0]
            name = pattern.format(f"{place} {self.village()}")
            organisations.append(
                Speaker(slug=f"organisation-{i}", name=name, kind=kind, short_name=f"ORG{i}")
            )
        organisations = Speaker.objects.bulk_create(organisations, batch_size=1000)
        people = Speaker.objects.bulk_create(
            [
                Speaker(
                    slug=f"person-{i}",
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                    kind=Speaker.Kind.PERSON,
                )
                for i in range(count - len(organisations))
            ],
            batch_size=1000,
        )
        # Membership follows the same skew: big bodies have many spokespeople.
        org_weights = list(itertools.accumulate(1 / (r + 1) for r in range(len(organisations))))
        through = Speaker.organisations.through
        links, self.body_of = [], {}
        for person in people:
            body = rng.choices(organisations, cum_weights=org_weights)[0]
            self.body_of[person.pk] = body
            links.append(through(from_speaker_id=person.pk, to_speaker_id=body.pk))
        through.objects.bulk_create(links, batch_size=5000)
        self.speakers = people + organisations
        rng.shuffle(self.speakers)
        self.speaker_weights = list(
            itertools.accumulate(1 / (r + 1) ** 1.07 for r in range(len(self.speakers)))
        )
        self.publishers = [
            o for o in organisations if o.kind in (Speaker.Kind.MEDIA, Speaker.Kind.NGO)
        ]

    def make_sources(self):
        rng = self.rng
        count = max(20, round(self.total * SOURCES_PER_CLAIM))
        kinds = Source.Kind.values
        made = []
        for start in range(0, count, CHUNK):
            batch = []
            for i in range(start, min(count, start + CHUNK)):
                day = FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS))
                batch.append(
                    Source(
                        slug=f"source-{i}",
                        title=f"Report {i}: {rng.choice(PLACES)[0]} {self.village()}",
                        publisher=rng.choice(self.publishers),
                        kind=rng.choice(kinds),
                        url=f"https://example.org/reports/{i}",
                        published_on=day,
                        restricted=i % 50 == 7,  # one in fifty is for editors only
                    )
                )
            made += Source.objects.bulk_create(batch, batch_size=1000)
        self.sources = made
        self.public_titles = {s.pk: s.title for s in made if not s.restricted}

    # --- Claims and their parts ----------------------------------------------------

    def claim(self, index):
        rng = self.rng
        speaker = rng.choices(self.speakers, cum_weights=self.speaker_weights)[0]
        body = self.body_of.get(speaker.pk)
        place, place_ar, place_ru = rng.choice(PLACES)
        day = FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS))
        words = {
            "n": rng.choice([3, 7, 12, 27, 45, 103, 679, 1006, 6686]),
            "place": place,
            "village": self.village(),
            "month": MONTHS_EN[day.month - 1],
            "year": day.year,
            "target": rng.choice(TARGETS),
            "target_ar": rng.choice(TARGETS_AR),
        }
        claim = Claim(
            slug=f"claim-{index}",
            text=rng.choice(ENGLISH).format(**words),
            speaker=speaker,
            speaking_for=body if body and rng.random() < 0.8 else None,
            place=place,
            assessment=rng.choices(Claim.Assessment.values, weights=[60, 10, 15, 8, 5, 2])[0],
        )
        language = rng.random()
        if language < 0.15:
            claim.original_text = rng.choice(ARABIC).format(**{**words, "place": place_ar})
            claim.original_language = "ar"
            claim.text_kind = Claim.TextKind.VERBATIM_TRANSLATION
        elif language < 0.25:
            claim.original_text = rng.choice(RUSSIAN).format(**{**words, "place": place_ru})
            claim.original_language = "ru"
            claim.text_kind = Claim.TextKind.VERBATIM_TRANSLATION
        else:
            claim.text_kind = rng.choice(
                [Claim.TextKind.VERBATIM_ORIGINAL, Claim.TextKind.PARAPHRASE]
            )
        when = rng.random()
        if when < 0.02:
            claim.said_qualifier = Claim.DateQualifier.NOT_STATED
        elif when < 0.05:
            claim.said_qualifier = Claim.DateQualifier.REPEATEDLY
            claim.said_on, claim.said_on_precision = truncate(day, "month"), "month"
            later = day + datetime.timedelta(days=rng.randrange(30, 400))
            claim.said_until, claim.said_until_precision = truncate(later, "month"), "month"
        else:
            precision = rng.choices(["day", "month", "year"], weights=[75, 20, 5])[0]
            claim.said_qualifier = rng.choices(
                [Claim.DateQualifier.ON, Claim.DateQualifier.ON_OR_BEFORE], weights=[90, 10]
            )[0]
            claim.said_on, claim.said_on_precision = truncate(day, precision), precision
        status = rng.choices(Claim.Status.values, weights=[4, 2, 92, 2])[0]
        claim.status = status
        if status in (Claim.Status.PUBLISHED, Claim.Status.WITHDRAWN):
            claim.first_published_at = self.now
        if status == Claim.Status.WITHDRAWN:
            claim.withdrawn_at = self.now
            claim.withdrawal_reason = "The source retracted its report."
        return claim

    def make_claims(self):
        for start in range(0, self.total, CHUNK):
            with transaction.atomic():
                self.make_chunk(start, min(self.total, start + CHUNK))
            reset_queries()  # with DEBUG on, Django would keep every INSERT
            if self.progress:
                self.progress.update(min(self.total, start + CHUNK) - start)

    def make_chunk(self, start, end):
        rng = self.rng
        claims = [self.claim(i) for i in range(start, end)]
        citations = {}
        for claim in claims:
            cited = rng.sample(self.sources, rng.choice([1, 1, 2, 2, 3]))
            roles = [Citation.Role.APPEARED_IN] + [
                rng.choice([Citation.Role.SUPPORTS, Citation.Role.CONTRADICTS]) for _ in cited[1:]
            ]
            citations[claim.slug] = list(zip(cited, roles, strict=True))
            if claim.assessment == Claim.Assessment.CORROBORATED:
                # Only with two independent supporting sources, as publishing demands.
                publishers = {
                    s.publisher_id
                    for s, role in citations[claim.slug]
                    if role == Citation.Role.SUPPORTS and not s.restricted
                }
                if len(publishers) < 2:
                    claim.assessment = Claim.Assessment.CONTESTED
            titles = sorted({self.public_titles[s.pk] for s in cited if s.pk in self.public_titles})
            names = [claim.speaker.name, claim.speaker.short_name]
            if claim.speaking_for:
                names += [claim.speaking_for.name, claim.speaking_for.short_name]
            claim.search_document = document(
                claim.text, claim.original_text, claim.place, *names, *titles
            )
        claims = Claim.objects.bulk_create(claims, batch_size=1000)

        Citation.objects.bulk_create(
            [
                Citation(claim=claim, source=source, role=role, locator=f"p. {rng.randint(1, 40)}")
                for claim in claims
                for source, role in citations[claim.slug]
            ],
            batch_size=2000,
        )
        figures = []
        for claim in claims:
            for position in range(1, rng.choice([0, 0, 1, 1, 2]) + 1):
                low = rng.randint(1, 2000)
                ranged = rng.random() < 0.2
                figures.append(
                    Figure(
                        claim=claim,
                        position=position,
                        measure=rng.choice(self.measures),
                        value_min=Decimal(low),
                        value_max=Decimal(low + rng.randint(1, 500)) if ranged else None,
                        qualifier=rng.choice(Figure.Qualifier.values),
                        stated_as=f"{low} people",
                    )
                )
        Figure.objects.bulk_create(figures, batch_size=2000)
        through = Claim.topics.through
        through.objects.bulk_create(
            [
                through(claim_id=claim.pk, topic_id=topic.pk)
                for claim in claims
                for topic in rng.sample(self.topics, rng.choice([0, 1, 1, 2]))
            ],
            batch_size=5000,
        )
        # About half of the claims are in a pair: claim 2k answered by 2k+1.
        pairs = []
        for left, right in zip(claims[0::2], claims[1::2], strict=False):
            if rng.random() < 0.5:
                pairs.append(
                    Rebuttal(
                        claim=left,
                        counterclaim=right,
                        relation=rng.choice(Rebuttal.Relation.values),
                    )
                )
        Rebuttal.objects.bulk_create(pairs, batch_size=2000)

    def run(self):
        if Claim.objects.exists() or Speaker.objects.exists():
            raise ValueError("the database already holds claims or speakers")
        with transaction.atomic():
            self.make_vocabulary()
            self.make_speakers()
            self.make_sources()
        self.make_claims()
        # Statistics for the query planner, which picks index walks by them.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

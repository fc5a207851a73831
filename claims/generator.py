"""Synthetic claims for load and scale testing, shaped like the real thing.

Thousands of speakers, most of them people speaking for organisations,
with a Zipf-like spread (a few speak very often, most rarely); sources
published by the media and watchdogs among them; each claim citing where it
appeared and what supports or contradicts it; figures in about half of the
claims; about half of the claims paired with a counterclaim; original
wording in Arabic or Russian for some. The same seed always gives the same
data. Claims and their parts are written a chunk at a time by `Rows`
(executemany on SQLite, COPY on PostgreSQL): the ORM's bulk_create spends
most of its time preparing each field of each object, which for a million
claims is most of the run.
Memory stays flat however many claims are asked for. No history is written:
this is test data, not editorial work.
"""

import datetime
import itertools
import random
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from .dates import truncate
from .db import first_unused_id, insert_rows
from .models import Citation, Claim, Figure, Measure, Rebuttal, Source, Speaker, Topic
from .text import claim_document

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


ASSESSMENTS = Claim.Assessment.values
STATUSES = Claim.Status.values
ORIGINAL_KINDS = [Claim.TextKind.VERBATIM_ORIGINAL.value, Claim.TextKind.PARAPHRASE.value]
DATED_QUALIFIERS = [Claim.DateQualifier.ON.value, Claim.DateQualifier.ON_OR_BEFORE.value]
ROLES = [Citation.Role.SUPPORTS.value, Citation.Role.CONTRADICTS.value]
QUALIFIERS = Figure.Qualifier.values
RELATIONS = Rebuttal.Relation.values
# Fields whose Python values the database adapter cannot take as they are.
PREPARED_TYPES = {"DateField", "DateTimeField", "DecimalField"}


class Rows:
    """Rows of one model written in bulk (claims.db.insert_rows).

    Each row is a dict of field attnames; `write()` numbers the rows from
    first_unused_id(). A field a row leaves out gets the model's
    default (auto_now fields: `now`), prepared for the database once.
    Dates, datetimes and decimals go through the field's own preparation,
    as bulk_create would do; everything else is passed as it is.
    """

    def __init__(self, model, now):
        self.ids = itertools.count(first_unused_id(model))
        fields = [field for field in model._meta.concrete_fields if not field.generated]
        self.columns = []
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default = now
            else:
                default = None if field.primary_key else field.get_default()
            prepared = field.get_internal_type() in PREPARED_TYPES
            self.columns.append(
                (field.attname, field.get_db_prep_save(default, connection), prepared and field)
            )
        self.model, self.fields = model, fields

    def write(self, rows):
        for row in rows:
            row["id"] = next(self.ids)
        values = [
            tuple(
                (field.get_db_prep_save(row[name], connection) if field else row[name])
                if name in row
                else default
                for name, default, field in self.columns
            )
            for row in rows
        ]
        insert_rows(self.model, self.fields, values)


class Generator:
    def __init__(self, claims, seed=1, progress=None):
        self.total = claims
        self.rng = random.Random(seed)  # nosec B311: synthetic test data, not secrets
        self.progress = progress
        self.now = timezone.now()
        self.rows = {}

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

    def write(self, model, rows):
        if not rows:
            return
        if model not in self.rows:
            self.rows[model] = Rows(model, self.now)
        self.rows[model].write(rows)

    def claim(self, index):
        """A claim's row, its speaker and the organisation the speaker is in."""
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
        text = rng.choice(ENGLISH).format(**words)
        speaking_for = body if body and rng.random() < 0.8 else None
        claim = {
            "slug": f"claim-{index}",
            "text": text,
            "speaker_id": speaker.pk,
            "speaking_for_id": speaking_for.pk if speaking_for else None,
            "place": place,
            "assessment": rng.choices(ASSESSMENTS, weights=[60, 10, 15, 8, 5, 2])[0],
        }
        language = rng.random()
        if language < 0.15:
            claim["original_text"] = rng.choice(ARABIC).format(**{**words, "place": place_ar})
            claim["original_language"] = "ar"
            claim["text_kind"] = Claim.TextKind.VERBATIM_TRANSLATION.value
        elif language < 0.25:
            claim["original_text"] = rng.choice(RUSSIAN).format(**{**words, "place": place_ru})
            claim["original_language"] = "ru"
            claim["text_kind"] = Claim.TextKind.VERBATIM_TRANSLATION.value
        else:
            claim["text_kind"] = rng.choice(ORIGINAL_KINDS)
        when = rng.random()
        if when < 0.02:
            claim["said_qualifier"] = Claim.DateQualifier.NOT_STATED.value
        elif when < 0.05:
            claim["said_qualifier"] = Claim.DateQualifier.REPEATEDLY.value
            claim["said_on"], claim["said_on_precision"] = truncate(day, "month"), "month"
            later = day + datetime.timedelta(days=rng.randrange(30, 400))
            claim["said_until"] = truncate(later, "month")
            claim["said_until_precision"] = "month"
        else:
            precision = rng.choices(["day", "month", "year"], weights=[75, 20, 5])[0]
            claim["said_qualifier"] = rng.choices(DATED_QUALIFIERS, weights=[90, 10])[0]
            claim["said_on"], claim["said_on_precision"] = truncate(day, precision), precision
        status = rng.choices(STATUSES, weights=[4, 2, 92, 2])[0]
        claim["status"] = status
        if status in (Claim.Status.PUBLISHED, Claim.Status.WITHDRAWN):
            claim["first_published_at"] = self.now
        if status == Claim.Status.WITHDRAWN:
            claim["withdrawn_at"] = self.now
            claim["withdrawal_reason"] = "The source retracted its report."
        return claim, speaker, speaking_for

    def make_claims(self):
        try:
            for start in range(0, self.total, CHUNK):
                with transaction.atomic():
                    self.make_chunk(start, min(self.total, start + CHUNK))
                reset_queries()  # with DEBUG on, Django would keep every INSERT
                if self.progress:
                    self.progress.update(min(self.total, start + CHUNK) - start)
        finally:
            # The rows were numbered here, not by the database's sequences:
            # they carry on after the chunks written, even if a run stops.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(self.rows)):
                    cursor.execute(sql)

    def make_chunk(self, start, end):
        rng = self.rng
        made = [self.claim(i) for i in range(start, end)]
        claims = [claim for claim, _, _ in made]
        citations = []
        for claim, speaker, speaking_for in made:
            cited = rng.sample(self.sources, rng.choice([1, 1, 2, 2, 3]))
            roles = [Citation.Role.APPEARED_IN.value] + [rng.choice(ROLES) for _ in cited[1:]]
            cited = list(zip(cited, roles, strict=True))
            citations.append(cited)
            if claim["assessment"] == Claim.Assessment.CORROBORATED:
                # Only with two independent supporting sources, as publishing demands.
                publishers = {
                    s.publisher_id
                    for s, role in cited
                    if role == Citation.Role.SUPPORTS and not s.restricted
                }
                if len(publishers) < 2:
                    claim["assessment"] = Claim.Assessment.CONTESTED.value
            titles = sorted(
                {self.public_titles[s.pk] for s, _ in cited if s.pk in self.public_titles}
            )
            speakers = [(s.name, s.short_name) for s in (speaker, speaking_for) if s]
            claim["search_document"] = claim_document(
                claim["text"], claim.get("original_text", ""), claim["place"], speakers, titles
            )
        self.write(Claim, claims)

        self.write(
            Citation,
            [
                {
                    "claim_id": claim["id"],
                    "source_id": source.pk,
                    "role": role,
                    "locator": f"p. {rng.randint(1, 40)}",
                }
                for claim, cited in zip(claims, citations, strict=True)
                for source, role in cited
            ],
        )
        figures = []
        for claim in claims:
            for position in range(1, rng.choice([0, 0, 1, 1, 2]) + 1):
                low = rng.randint(1, 2000)
                ranged = rng.random() < 0.2
                figures.append(
                    {
                        "claim_id": claim["id"],
                        "position": position,
                        "measure_id": rng.choice(self.measures).pk,
                        "value_min": Decimal(low),
                        "value_max": Decimal(low + rng.randint(1, 500)) if ranged else None,
                        "qualifier": rng.choice(QUALIFIERS),
                        "stated_as": f"{low} people",
                    }
                )
        self.write(Figure, figures)
        self.write(
            Claim.topics.through,
            [
                {"claim_id": claim["id"], "topic_id": topic.pk}
                for claim in claims
                for topic in rng.sample(self.topics, rng.choice([0, 1, 1, 2]))
            ],
        )
        # About half of the claims are in a pair: claim 2k answered by 2k+1.
        pairs = []
        for left, right in zip(claims[0::2], claims[1::2], strict=False):
            if rng.random() < 0.5:
                pairs.append(
                    {
                        "claim_id": left["id"],
                        "counterclaim_id": right["id"],
                        "relation": rng.choice(RELATIONS),
                    }
                )
        self.write(Rebuttal, pairs)

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

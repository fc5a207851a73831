"""Small model factories: each makes one row with what the database needs,
named so rows made in one test never collide; keywords override the defaults."""

import datetime
import itertools

from claims.models import Citation, Claim, Figure, Measure, Rebuttal, Source, Speaker, Topic

_counter = itertools.count(1)
SEED = "fixtures/seed.json"

# Said repeatedly, from September 2015 to February 2016.
REPEATEDLY = {
    "said_qualifier": "repeatedly",
    "said_on": datetime.date(2015, 9, 1),
    "said_on_precision": "month",
    "said_until": datetime.date(2016, 2, 1),
    "said_until_precision": "month",
}


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


def published(**fields):
    """A published claim, said on 10 February 2016 unless told otherwise."""
    fields.setdefault("status", Claim.Status.PUBLISHED)
    fields.setdefault("said_on", datetime.date(2016, 2, 10))
    return make_claim(**fields)


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

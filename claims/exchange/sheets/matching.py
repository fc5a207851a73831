"""Finding what a spreadsheet's cells name among what is already kept: a
speaker by identifier, name, short name or alias (through text.name_key), a
source by the normal form of its URL (links.normal_url), a topic by name,
and the rows' external identifiers. Plus the identifiers the import makes
for what is new, unique in the database and in the file."""

from ...links import normal_url
from ...models import Claim, ExternalId, Source, Speaker, Topic
from ...text import name_key, slug_text

__all__ = [
    "KEPT_AFTER",
    "Identifiers",
    "SourceIndex",
    "SpeakerIndex",
    "TopicIndex",
    "external_ids",
]

CHUNK = 500  # values asked of the database at a time
# What an import made is remembered until this many more objects have been
# given to the importer: by then it is written (the importer holds at most a
# batch of importer.OBJECTS_PER_BATCH, far fewer), and the database answers
# for it. So memory follows a chunk, not the file.
KEPT_AFTER = 2000


class _Recent:
    """Values made by an import, by generation (one per chunk of rows),
    forgotten once KEPT_AFTER objects have been given after their chunk."""

    def __init__(self):
        self.generations = [({}, 0)]  # (values, objects given when it ended)

    def add(self, key, value):
        self.generations[-1][0][key] = value

    def get(self, key):
        for values, _end in reversed(self.generations):
            if key in values:
                return values[key]
        return None

    def __contains__(self, key):
        return any(key in values for values, _end in self.generations)

    def next_chunk(self, given):
        """A new generation; those written for sure are let go."""
        self.generations[-1] = (self.generations[-1][0], given)
        self.generations = [g for g in self.generations if given - g[1] < KEPT_AFTER]
        self.generations.append(({}, given))


class SpeakerIndex:
    """Every speaker under each of its name keys. Speakers are few beside
    claims (thousands, not millions): they are read once per import."""

    def __init__(self):
        self.by_key = {}  # name_key -> {slug}
        self.speakers = {}  # slug -> (name, aliases)
        rows = Speaker.objects.only("slug", "name", "short_name", "aliases")
        for speaker in rows.iterator(chunk_size=2000):
            self.speakers[speaker.slug] = (speaker.name, list(speaker.aliases or []))
            for key in speaker.name_keys() | {speaker.slug}:
                self.by_key.setdefault(key, set()).add(speaker.slug)

    def find(self, name):
        """The slugs a name matches: its identifier first, then its keys."""
        name = name.strip()
        if name in self.speakers:
            return {name}
        return self.by_key.get(name_key(name), set())

    def add(self, slug, name, aliases=()):
        self.speakers[slug] = (name, list(aliases))
        for each in (name, *aliases):
            self.by_key.setdefault(name_key(each), set()).add(slug)

    def alias(self, slug, name):
        """Make `name` an alias of the speaker `slug`; the aliases it has now."""
        current, aliases = self.speakers[slug]
        if name_key(name) not in {name_key(a) for a in (current, *aliases)}:
            aliases.append(name)
        self.by_key.setdefault(name_key(name), set()).add(slug)
        return aliases


class SourceIndex:
    """Sources by the normal form of their URL, asked a chunk of URLs at a
    time; those the import makes are remembered for the rows after."""

    def __init__(self):
        self.known = {}  # normal URL -> [slugs], for the URLs of the chunk
        self.made = _Recent()  # normal URL -> slug of a source this import makes

    def load(self, urls):
        """The sources kept under the chunk's URLs; those of earlier chunks forgotten."""
        self.known = {}
        wanted = sorted({normal_url(u) for u in urls})
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for key in chunk:
                self.known[key] = []
            rows = Source.objects.filter(url_key__in=chunk).order_by("slug")
            for key, slug in rows.values_list("url_key", "slug"):
                self.known[key].append(slug)

    def find(self, url):
        key = normal_url(url)
        made = self.made.get(key)
        if made is not None:
            return [made]
        return self.known.get(key, [])

    def add(self, url, slug):
        self.made.add(normal_url(url), slug)


class TopicIndex:
    """Topics by the name key of their name and identifier (topics are few)."""

    def __init__(self):
        self.by_key = {}
        for slug, name in Topic.objects.values_list("slug", "name"):
            self.by_key.setdefault(name_key(name), slug)
            self.by_key.setdefault(name_key(slug), slug)

    def find(self, name):
        return self.by_key.get(name_key(name))

    def add(self, name, slug):
        self.by_key[name_key(name)] = slug


def external_ids(namespace, values):
    """{value: (claim slug, values written last)} of the identifiers known."""
    found = {}
    values = sorted(set(values))
    for start in range(0, len(values), CHUNK):
        rows = ExternalId.objects.of_keys(namespace, values[start : start + CHUNK])
        for value, slug, written in rows.values_list("value", "claim__slug", "written"):
            found[value] = (slug, written or {})
    return found


class Identifiers:
    """New identifiers (slugs) for each model, made from words and unique:
    in the database and among those this import has made."""

    MODELS = {"claim": Claim, "source": Source, "speaker": Speaker, "topic": Topic}

    def __init__(self):
        self.made = {name: _Recent() for name in self.MODELS}

    def next_chunk(self, given):
        for made in self.made.values():
            made.next_chunk(given)

    def make(self, kind, wanted):
        """Slugs for `wanted`, a list of (words, fallback): a few queries
        for the lot, not one per identifier."""
        model = self.MODELS[kind]
        longest = model._meta.get_field("slug").max_length
        made = self.made[kind]
        bases = [slug_text(words, longest - 8) or fallback for words, fallback in wanted]
        candidates = {base: [base] + [f"{base}-{n}" for n in range(2, 10)] for base in bases}
        every = sorted({slug for slugs in candidates.values() for slug in slugs})
        taken = set()
        for start in range(0, len(every), CHUNK):
            rows = model.objects.filter(slug__in=every[start : start + CHUNK])
            taken.update(rows.values_list("slug", flat=True))
        slugs = []
        for base in bases:
            slug = next((s for s in candidates[base] if s not in taken and s not in made), None)
            if slug is None:
                slug = self._numbered(model, base)
            made.add(slug, True)
            slugs.append(slug)
        return slugs

    def _numbered(self, model, base):
        """Many alike: the next number after those there are."""
        prefix, made = f"{base}-", self.made[model._meta.model_name]
        number = model.objects.filter(slug__startswith=prefix).count() + 2
        while (
            f"{prefix}{number}" in made or model.objects.filter(slug=f"{prefix}{number}").exists()
        ):
            number += 1
        return f"{prefix}{number}"

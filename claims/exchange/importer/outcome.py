"""What an import ends with: the problems it found (raised together as
ImportFailed) or the report of what it wrote."""

import re
from dataclasses import dataclass, field

from ..export import MODELS, PRIVATE

__all__ = ["SHOWN", "Group", "ImportFailed", "Problem", "Report", "failed", "kind_of"]

SHOWN = 10  # places named for a kind of problem; the rest are counted
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|'[^']*'|«[^»]*»|\[[^\]]*\]|\d+")
_WHAT = re.compile(r" \((claims\.\w+) \[")


@dataclass
class Problem:
    where: str
    field: str
    message: str

    def __str__(self):
        return (
            f"{self.where}: {self.field}: {self.message}"
            if self.field
            else (f"{self.where}: {self.message}")
        )


def kind_of(problem):
    """What makes problems the same kind: the model and field, and the
    message with its quoted values and numbers taken out."""
    what = _WHAT.search(problem.where)
    return (what.group(1) if what else "", problem.field, _QUOTED.sub("…", problem.message))


@dataclass
class Group:
    """Problems of one kind: the first as an example, how many, and where
    the first SHOWN are."""

    example: Problem
    count: int = 0
    places: list = field(default_factory=list)

    def add(self, problem):
        self.count += 1
        if len(self.places) < SHOWN:
            self.places.append(problem.where.split(" (")[0])

    def __str__(self):
        if self.count == 1:
            return str(self.example)
        shown = ", ".join(self.places) + (", …" if self.count > len(self.places) else "")
        what = f"{self.example.field}: " if self.example.field else ""
        return f"{self.count:,} times ({shown}): {what}{self.example.message}"


class ImportFailed(Exception):
    def __init__(self, problems, more=0, groups=None):
        self.problems = problems
        self.more = more  # problems found beyond those kept
        if groups is None:
            groups = {}
            for problem in problems:
                groups.setdefault(kind_of(problem), Group(problem)).add(problem)
            groups = list(groups.values())
        self.groups = groups  # every problem counted, by kind
        super().__init__(f"{self.count} problem(s)")

    @property
    def count(self):
        return len(self.problems) + self.more

    def lines(self):
        """The problems for a reader: one line per kind, with a count."""
        return [str(group) for group in self.groups]


def failed(where, message):
    """ImportFailed with one problem, for a file that cannot be read on."""
    return ImportFailed([Problem(where, "", message)])


@dataclass
class Report:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)
    deleted: dict = field(default_factory=dict)
    corrected: int = 0
    publication_times_kept: int = 0  # the file gave other times; the stored ones were kept
    publication_times_changed: int = 0

    def lines(self):
        for model in MODELS:
            label = model._meta.label_lower
            numbers = [
                (getattr(self, kind).get(label, 0), kind)
                for kind in ("created", "updated", "unchanged", "deleted")
            ]
            if model in PRIVATE and not any(number for number, _ in numbers):
                continue  # editors' own records, said only when the file has some
            counts = [f"{number} {kind}" for number, kind in numbers]
            yield f"{label}: {', '.join(counts)}"
        if self.corrected:
            yield f"corrections recorded: {self.corrected} published claim(s)"
        if self.publication_times_changed:
            yield (f"first publication times changed: {self.publication_times_changed} claim(s)")
        if self.publication_times_kept:
            yield (
                f"first publication times kept as stored: {self.publication_times_kept} "
                "claim(s) for which the file gives another (--publication-times=file takes "
                "the file's)"
            )

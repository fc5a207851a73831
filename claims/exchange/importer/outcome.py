"""What an import ends with: the problems it found (raised together as
ImportFailed) or the report of what it wrote."""

from dataclasses import dataclass, field

from ..export import MODELS

__all__ = ["ImportFailed", "Problem", "Report", "failed"]


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


class ImportFailed(Exception):
    def __init__(self, problems, more=0):
        self.problems = problems
        self.more = more  # problems found beyond those kept
        super().__init__(f"{self.count} problem(s)")

    @property
    def count(self):
        return len(self.problems) + self.more


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

    def lines(self):
        for model in MODELS:
            label = model._meta.label_lower
            counts = [
                f"{getattr(self, kind).get(label, 0)} {kind}"
                for kind in ("created", "updated", "unchanged", "deleted")
            ]
            yield f"{label}: {', '.join(counts)}"
        if self.corrected:
            yield f"corrections recorded: {self.corrected} published claim(s)"

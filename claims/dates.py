"""Dates known only to a day, a month or a year.

A statement may be dated "10 February 2016", "in January" or "since 2015".
Counterclaim stores such a date as two columns: the first day of the period
it names and its precision. `FuzzyDate` turns the pair back into the period,
its reader-facing wording and its reduced ISO 8601 form ("2016-02"), so no
page or export ever shows an invented day.
"""

import calendar
import datetime
import functools
import operator
import re
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils import dateformat, translation


class Precision(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"
    YEAR = "year", "year"


def truncate(value, precision):
    """The first day of the period that `value` falls in at `precision`."""
    if precision == Precision.YEAR:
        return value.replace(month=1, day=1)
    if precision == Precision.MONTH:
        return value.replace(day=1)
    return value


# The sort date of a claim whose date is not stated: before every real one.
UNDATED = datetime.date(1, 1, 1)

# How a reader types a date in a filter or a download's query string.
DATE_FORMATS = "2016, 2016-02 or 2016-02-10"
_TYPED = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class FuzzyDate:
    """A day, a month or a year: the one place a date's period is worked out."""

    value: datetime.date
    precision: str

    @classmethod
    def from_fields(cls, value, precision):
        if value is None:
            return None
        return cls(value, precision or Precision.DAY)

    @classmethod
    def parse(cls, text):
        """The date typed as "2016", "2016-02" or "2016-02-10", at that
        precision; ValueError, saying what is wrong, for anything else."""
        match = _TYPED.fullmatch(text)
        if not match:
            raise ValueError(f"“{text}” is not a date; write {DATE_FORMATS}.")
        year, month, day = (int(part) if part else None for part in match.groups())
        precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
        try:
            return cls(datetime.date(year, month or 1, day or 1), precision)
        except ValueError:
            raise ValueError(f"“{text}” is not a date that exists.") from None

    @classmethod
    def parse_as(cls, text, written):
        """The date `text` written in the format `written` (one of WRITTEN),
        at the precision the format gives; ValueError saying what is wrong."""
        text = " ".join(str(text).split())
        if written == WORDS:
            return _from_words(text)
        if written == EXCEL:
            return _from_serial(text)
        if written == SAID:
            qualifier, said, until = read_said(text)
            return said or until
        pattern, precision = _WRITTEN[written]
        match = pattern.fullmatch(text)
        if not match:
            raise ValueError(f"“{text}” is not a date written {written}.")
        parts = match.groupdict()
        try:
            value = datetime.date(
                int(parts["year"]), int(parts.get("month") or 1), int(parts.get("day") or 1)
            )
        except ValueError:
            raise ValueError(f"“{text}” is not a date that exists.") from None
        return cls(value, precision)

    @property
    def start(self):
        return truncate(self.value, self.precision)

    @property
    def end(self):
        start = self.start
        if self.precision == Precision.YEAR:
            return start.replace(month=12, day=31)
        if self.precision == Precision.MONTH:
            last = calendar.monthrange(start.year, start.month)[1]
            return start.replace(day=last)
        return start

    def isoformat(self):
        """Reduced ISO 8601: 2016-02-10, 2016-02 or 2016."""
        start = self.start
        if self.precision == Precision.YEAR:
            return f"{start.year:04d}"
        if self.precision == Precision.MONTH:
            return f"{start.year:04d}-{start.month:02d}"
        return start.isoformat()

    def __str__(self):
        return _words(self.start, self.precision, translation.get_language())


# How dates are written in the files people import, and the precision each gives.
WORDS = "words"  # "February 2016", "5 Feb 2016", "10 февраля 2016", "2016"
EXCEL = "excel"  # a spreadsheet's date serial number, e.g. 42401 for 2016-02-01
_Y, _M, _D = r"(?P<year>\d{4})", r"(?P<month>\d{1,2})", r"(?P<day>\d{1,2})"
_WRITTEN = {
    "DD.MM.YYYY": (re.compile(rf"{_D}\.{_M}\.{_Y}"), Precision.DAY),
    "DD/MM/YYYY": (re.compile(rf"{_D}/{_M}/{_Y}"), Precision.DAY),
    "MM/DD/YYYY": (re.compile(rf"{_M}/{_D}/{_Y}"), Precision.DAY),
    "YYYY-MM-DD": (re.compile(rf"{_Y}-{_M}-{_D}"), Precision.DAY),
    "MM.YYYY": (re.compile(rf"{_M}\.{_Y}"), Precision.MONTH),
    "YYYY-MM": (re.compile(rf"{_Y}-{_M}"), Precision.MONTH),
    "YYYY": (re.compile(_Y), Precision.YEAR),
}
SAID = "said"  # as Counterclaim's downloads write when something was said (read_said)
WRITTEN = (*_WRITTEN, WORDS, EXCEL, SAID)

_SAID_PHRASES = (
    (re.compile(r"repeatedly between (?P<said>.+) and (?P<until>.+)"), "repeatedly"),
    (re.compile(r"repeatedly since (?P<said>.+)"), "repeatedly"),
    (re.compile(r"repeatedly, up to (?P<until>.+)"), "repeatedly"),
    (re.compile(r"on or before (?P<said>.+)"), "on_or_before"),
    (re.compile(r"(?P<said>.+)"), "on"),
)


def read_said(text):
    """(qualifier, date said, latest bound) from the words a download uses
    for when something was said ("on or before February 2016", "repeatedly
    since September 2015", "date not stated"); ValueError otherwise."""
    text = " ".join(str(text).split())
    if text.casefold() in ("date not stated", "date not entered"):
        return ("not_stated", None, None)
    for pattern, qualifier in _SAID_PHRASES:
        match = pattern.fullmatch(text)
        if match:
            parts = match.groupdict()
            said = _from_words(parts["said"]) if parts.get("said") else None
            until = _from_words(parts["until"]) if parts.get("until") else None
            return (qualifier, said, until)
    raise ValueError(f"“{text}” is not a date.")


# Month names in English, Russian (both cases) and French, full and short.
_MONTHS = {}
for _number, _names in enumerate(
    [
        "january jan январь января янв janvier",
        "february feb февраль февраля фев февр février fevrier",
        "march mar март марта мар mars",
        "april apr апрель апреля апр avril",
        "may май мая mai",
        "june jun июнь июня июн juin",
        "july jul июль июля июл juillet",
        "august aug август августа авг août aout",
        "september sep sept сентябрь сентября сен сент septembre",
        "october oct октябрь октября окт octobre",
        "november nov ноябрь ноября ноя нояб novembre",
        "december dec декабрь декабря дек décembre decembre",
    ],
    start=1,
):
    _MONTHS.update(dict.fromkeys(_names.split(), _number))
_IN_WORDS = re.compile(
    r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+)?(?:(?P<month>[^\W\d_]+)\.?,?\s+)?(?P<year>\d{4})"
    r"|(?P<month2>[^\W\d_]+)\.?\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year2>\d{4})"
)
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _from_words(text):
    match = _IN_WORDS.fullmatch(text.casefold().replace("ё", "е"))
    if not match:
        raise ValueError(f"“{text}” is not a date in words, such as “February 2016”.")
    parts = match.groupdict()
    day = parts["day"] or parts["day2"]
    name = parts["month"] or parts["month2"]
    year = int(parts["year"] or parts["year2"])
    month = _MONTHS.get(name.replace("ё", "е")) if name else None
    if name and month is None:
        raise ValueError(f"“{text}”: “{name}” is not the name of a month.")
    if day and not month:
        raise ValueError(f"“{text}” is not a date in words, such as “February 2016”.")
    try:
        value = datetime.date(year, month or 1, int(day) if day else 1)
    except ValueError:
        raise ValueError(f"“{text}” is not a date that exists.") from None
    precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
    return FuzzyDate(value, precision)


def _from_serial(text):
    try:
        serial = float(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a spreadsheet date number.") from None
    if not 1 <= serial < 2_958_466:  # 1900-01-01 to 9999-12-31
        raise ValueError(f"“{text}” is not a spreadsheet date number.")
    return FuzzyDate(_EXCEL_EPOCH + datetime.timedelta(days=int(serial)), Precision.DAY)


@functools.lru_cache(maxsize=8192)
def _words(start, precision, language):
    # A list page shows fifty dates and a decade holds a few thousand days:
    # each is put into words once (per language), not once per row.
    if precision == Precision.YEAR:
        return str(start.year)
    if precision == Precision.MONTH:
        return dateformat.format(start, "F Y")
    return dateformat.format(start, "j F Y")


def period_display(start, end):
    """Words for a period between two fuzzy dates, either of which may be unknown."""
    if start and end:
        if start == end:
            return str(start)
        if start.start == end.start and start.end == end.end:
            return str(start)
        return f"{start} – {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return ""


def ends_by(field, end):
    """A condition: the period that starts on the date in `field`, at the
    precision in `{field}_precision`, ends on or before the day `end`."""
    if end == datetime.date.max:
        return Q(**{f"{field}__isnull": False})
    after = end + datetime.timedelta(days=1)
    # A period ends by `end` when it starts before the period holding the
    # day after, at its own precision.
    return functools.reduce(
        operator.or_,
        (
            Q(
                **{
                    f"{field}_precision": precision,
                    f"{field}__lt": FuzzyDate(after, precision).start,
                }
            )
            for precision in Precision
        ),
    )


def precision_matches(field, precision_field):
    """A condition: the date in `field` is the first day of its period.

    Storing dates truncated to their precision keeps equal periods equal in
    the database, so comparisons and sorting on the column are meaningful.
    """
    return (
        Q(**{f"{field}__isnull": True})
        | Q(**{precision_field: Precision.DAY})
        | Q(**{precision_field: Precision.MONTH, f"{field}__day": 1})
        | Q(**{precision_field: Precision.YEAR, f"{field}__day": 1, f"{field}__month": 1})
    )


def precision_constraint(model_name, field, precision_field):
    return models.CheckConstraint(
        condition=precision_matches(field, precision_field),
        name=f"claims_{model_name}_{field}_truncated",
        violation_error_message=(
            f"The {field.replace('_', ' ')} must be the first day of its "
            f"{precision_field.replace('_', ' ')}: the 1st of the month for a month, "
            "1 January for a year."
        ),
    )

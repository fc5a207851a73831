import datetime

import pytest

from claims.dates import FuzzyDate, Precision, period_display, truncate

D = datetime.date


@pytest.mark.parametrize(
    ("value", "precision", "text", "iso", "start", "end"),
    [
        (D(2016, 2, 10), Precision.DAY, "10 February 2016", "2016-02-10", D(2016, 2, 10), None),
        (
            D(2016, 2, 17),
            Precision.MONTH,
            "February 2016",
            "2016-02",
            D(2016, 2, 1),
            D(2016, 2, 29),
        ),
        (D(2015, 2, 1), Precision.MONTH, "February 2015", "2015-02", D(2015, 2, 1), D(2015, 2, 28)),
        (D(2015, 9, 30), Precision.YEAR, "2015", "2015", D(2015, 1, 1), D(2015, 12, 31)),
    ],
)
def test_fuzzy_date_never_invents_a_day(value, precision, text, iso, start, end):
    date = FuzzyDate(value, precision)
    assert str(date) == text
    assert date.isoformat() == iso
    assert date.start == start
    assert date.end == (end or start)


def test_truncate_to_first_day_of_period():
    assert truncate(D(2016, 2, 17), Precision.MONTH) == D(2016, 2, 1)
    assert truncate(D(2016, 2, 17), Precision.YEAR) == D(2016, 1, 1)
    assert truncate(D(2016, 2, 17), Precision.DAY) == D(2016, 2, 17)


def test_from_fields_without_a_date_is_none():
    assert FuzzyDate.from_fields(None, Precision.DAY) is None


def test_period_display():
    jan = FuzzyDate(D(2016, 1, 1), Precision.MONTH)
    sep15 = FuzzyDate(D(2015, 9, 1), Precision.MONTH)
    sep19 = FuzzyDate(D(2019, 9, 1), Precision.MONTH)
    assert period_display(jan, jan) == "January 2016"
    assert period_display(sep15, sep19) == "September 2015 – September 2019"
    assert period_display(sep15, None) == "from September 2015"
    assert period_display(None, sep19) == "until September 2019"
    assert period_display(None, None) == ""

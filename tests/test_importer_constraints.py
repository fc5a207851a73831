"""The importer's check constraints evaluated in Python from their own
definitions, without a database: each lookup, references to other fields,
and SQL's three-valued logic, under which an unknown condition passes."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import F, Q

from claims.exchange.importer.constraints import check_constraints, condition_fields, holds, lookup
from claims.models import Claim, Figure


def message_of(model, name):
    (constraint,) = [c for c in model._meta.constraints if c.name == name]
    return constraint.violation_error_message


def figure(low=None, high=None):
    return Figure(value_min=low, value_max=high)


def test_exact_holds_only_for_an_equal_value():
    claim = Claim(said_qualifier="on")
    assert lookup(claim, "said_qualifier", "on") is True
    assert lookup(claim, "said_qualifier__exact", "repeatedly") is False


@pytest.mark.parametrize(
    ("operator", "below", "equal", "above"),
    [
        ("lt", False, False, True),
        ("lte", False, True, True),
        ("gt", True, False, False),
        ("gte", True, True, False),
    ],
)
def test_each_comparison_compares_the_value_with_the_one_expected(operator, below, equal, above):
    five = figure(low=Decimal(5))
    path = f"value_min__{operator}"
    assert [lookup(five, path, Decimal(n)) for n in (4, 5, 6)] == [below, equal, above]


def test_isnull_is_true_or_false_never_unknown():
    undated, dated = Claim(said_on=None), Claim(said_on=datetime.date(2016, 2, 1))
    assert lookup(undated, "said_on__isnull", True) is True
    assert lookup(undated, "said_on__isnull", False) is False
    assert lookup(dated, "said_on__isnull", True) is False
    assert lookup(dated, "said_on__isnull", False) is True


@pytest.mark.parametrize(
    ("path", "expected", "result"),
    [
        ("said_on__day", 29, True),
        ("said_on__day", 1, False),
        ("said_on__month", 2, True),
        ("said_on__month", 3, False),
        ("said_on__year", 2016, True),
        ("said_on__year__gt", 2016, False),
        ("said_on__year__lte", 2016, True),
    ],
)
def test_a_date_part_is_compared_on_its_own(path, expected, result):
    claim = Claim(said_on=datetime.date(2016, 2, 29))
    assert lookup(claim, path, expected) is result


def test_an_f_reference_compares_with_another_field_of_the_same_object():
    assert (
        lookup(figure(low=Decimal(5), high=Decimal(3)), "value_max__gte", F("value_min")) is False
    )
    assert lookup(figure(low=Decimal(5), high=Decimal(7)), "value_max__gte", F("value_min")) is True


def test_a_comparison_with_null_is_unknown_as_in_sql():
    assert lookup(figure(low=Decimal(5)), "value_max__gte", F("value_min")) is None
    assert lookup(figure(high=Decimal(5)), "value_max__gte", F("value_min")) is None
    assert lookup(Claim(said_on=None), "said_on__year", 2016) is None
    assert lookup(figure(low=Decimal(5)), "value_min", None) is None


def test_a_lookup_it_does_not_know_is_refused_rather_than_guessed():
    with pytest.raises(NotImplementedError):
        lookup(Claim(said_qualifier="on"), "said_qualifier__contains", "o")


TRUE, FALSE = Q(said_qualifier="on"), Q(said_qualifier="repeatedly")
UNKNOWN = Q(said_on__year=2016)  # said_on is NULL


@pytest.mark.parametrize(
    ("condition", "result"),
    [
        (TRUE & TRUE, True),
        (TRUE & FALSE, False),
        (TRUE & UNKNOWN, None),
        (FALSE & UNKNOWN, False),
        (TRUE | UNKNOWN, True),
        (FALSE | UNKNOWN, None),
        (FALSE | FALSE, False),
        (~TRUE, False),
        (~FALSE, True),
        (~UNKNOWN, None),
        (~(FALSE | UNKNOWN), None),
        (~(TRUE & UNKNOWN) | TRUE, True),
    ],
)
def test_and_or_and_negation_follow_sql_three_valued_logic(condition, result):
    assert holds(condition, Claim(said_qualifier="on", said_on=None)) is result


def test_the_fields_a_condition_reads_are_named_once_in_order():
    condition = Q(value_max__isnull=True) | Q(value_max__gte=F("value_min"))
    assert condition_fields(condition) == ["value_max", "value_min"]


def test_a_figure_whose_high_end_is_below_its_low_end_breaks_its_constraint():
    broken = check_constraints(figure(low=Decimal(5), high=Decimal(3)))
    assert broken == [("value_max, value_min", message_of(Figure, "claims_figure_min_le_max"))]


def test_an_unknown_condition_passes_a_check_constraint():
    assert lookup(figure(high=Decimal(3)), "value_max__gte", F("value_min")) is None
    assert check_constraints(figure(high=Decimal(3))) == []
    assert check_constraints(figure(low=Decimal(3), high=Decimal(5))) == []


def test_a_claim_whose_bounds_are_the_wrong_way_round_breaks_its_constraint():
    claim = Claim(
        said_qualifier="repeatedly",
        said_on=datetime.date(2016, 3, 1),
        said_until=datetime.date(2016, 1, 1),
    )
    assert check_constraints(claim) == [
        ("said_on, said_until", message_of(Claim, "claims_claim_said_bounds_ordered"))
    ]


def test_a_claim_with_its_bounds_in_order_breaks_none():
    claim = Claim(
        said_qualifier="repeatedly",
        said_on=datetime.date(2016, 1, 1),
        said_until=datetime.date(2016, 3, 1),
    )
    assert check_constraints(claim) == []

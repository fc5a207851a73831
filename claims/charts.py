"""Figures of two claims about the same measure, side by side, as bars drawn
on the server (inline SVG, no JavaScript), with a warning when the figures
cover different periods or places."""

from dataclasses import dataclass, field

WIDTH = 600
LABEL_WIDTH = 200
BAR_HEIGHT = 22
GAP = 14
TOP = 8


@dataclass
class Bar:
    label: str
    value_text: str
    y: int
    low_width: int
    high_width: int  # the rest of a range, drawn lighter; 0 for one number
    side: str  # "claim" or "counterclaim"


@dataclass
class Comparison:
    measure: object
    bars: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    dom_id: str = ""
    height: int = 0
    label_width: int = LABEL_WIDTH
    bar_x: int = LABEL_WIDTH + 8


def effective_period(figure, claim):
    return figure.period_display or claim.period_display


def effective_place(figure, claim):
    return figure.place or claim.place


def compare(left, right):
    """Charts for each measure both claims have figures for."""
    left_figures = list(left.figures.all())
    right_figures = list(right.figures.all())
    shared = [
        m
        for m in dict.fromkeys(f.measure for f in left_figures)
        if any(f.measure_id == m.pk for f in right_figures)
    ]
    return [_comparison(m, left, right, left_figures, right_figures) for m in shared]


def _comparison(measure, left, right, left_figures, right_figures):
    rows = [(f, left, "claim") for f in left_figures if f.measure_id == measure.pk]
    rows += [(f, right, "counterclaim") for f in right_figures if f.measure_id == measure.pk]
    top = max(float(f.value_max or f.value_min) for f, _, _ in rows) or 1.0
    span = WIDTH - LABEL_WIDTH - 90
    chart = Comparison(measure=measure, dom_id=f"chart-{left.pk}-{right.pk}-{measure.pk}")
    for index, (figure, claim, side) in enumerate(rows):
        low = float(figure.value_min)
        high = float(figure.value_max or figure.value_min)
        low_width = round(span * low / top)
        chart.bars.append(
            Bar(
                label=claim.speaker.name if claim.speaker else "speaker not stated",
                value_text=figure.value_display,
                y=TOP + index * (BAR_HEIGHT + GAP),
                low_width=max(low_width, 1),
                high_width=round(span * high / top) - low_width,
                side=side,
            )
        )
    chart.height = TOP + len(rows) * (BAR_HEIGHT + GAP)

    periods = {effective_period(f, c) or "period not stated" for f, c, _ in rows}
    places = {(effective_place(f, c) or "place not stated") for f, c, _ in rows}
    if len(periods) > 1:
        chart.warnings.append("The figures cover different periods: " + "; ".join(sorted(periods)))
    if len({p.casefold() for p in places}) > 1:
        chart.warnings.append("The figures cover different places: " + "; ".join(sorted(places)))
    return chart

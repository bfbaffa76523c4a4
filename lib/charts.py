"""Charts drawn on the server as small, self-contained SVG: they show in the page, print in a
PDF, and need no script. Each one names itself (`<title>`, `<desc>`, role="img",
aria-labelledby) and is always shown next to a table with the same numbers.

Own drawing rather than a charting library: pygal was tried, and emits ~15 kB per chart with a
random id, monospace fonts, a `<desc>` per bar holding pixel coordinates, a script reference
to an outside host unless turned off, and no `<title>` nor role; marking a target on a level
distribution would have meant drawing over it anyway.

Colours are the State design system's (DSFR), each at least 3:1 against white (WCAG 1.4.11)
and told apart by more than colour: segments are separated by white gaps and named in a
legend, lines have their own dash pattern.
"""

import math
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as _escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# DSFR tokens.
BLUE_FRANCE = "#000091"  # blue-france-sun-113
BLUE_FRANCE_LIGHT = "#E3E3FD"  # blue-france-925
INFO = "#0063CB"  # info-425
SUCCESS = "#18753C"  # success-425
WARNING = "#B34000"  # warning-425
ERROR = "#CE0500"  # error-425
GREY = "#666666"  # grey-425 (text-mention-grey)
TEXT = "#161616"  # grey-50 (text-default-grey)
GRID = "#DDDDDD"  # grey-900 (border-default-grey)
PURPLE = "#A558A0"  # purple-glycine-sun-319
BROWN = "#7F6443"  # brown-cafe-creme-sun-383 darkened to reach 5:1

SERIES_COLOURS = [BLUE_FRANCE, WARNING, SUCCESS, PURPLE, INFO, BROWN]
DASHES = ["", "8 4", "2 3", "10 3 2 3", "4 4", "1 2"]
FONT = "Marianne, arial, sans-serif"
FONT_SIZE = 14  # the chart's own units; a text may set a bigger or smaller one
# No chart text may show below this on screen (RGAA 10.11 at 320 px): a chart drawn at less
# than `width * MIN_TEXT_PX / smallest font size` is not shown (app.css), the table next to
# it gives the same numbers.
MIN_TEXT_PX = 12
MIN_WIDTH_STEP = 10  # app.css has a rule for every multiple of 10 from 100 to 1300
NNBSP = "\u202f"  # narrow no-break space, before « % » in French


def escape(text) -> str:
    return _escape(str(text), {'"': "&quot;"})


def _attrs(attributes: dict) -> str:
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = _num(value)
        parts.append(f' {name}="{escape(value)}"')
    return "".join(parts)


def _num(value: float) -> str:
    """Coordinates with at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def tag(name: str, content: str = "", **attributes) -> str:
    if content:
        return f"<{name}{_attrs(attributes)}>{content}</{name}>"
    return f"<{name}{_attrs(attributes)}/>"


def text(x, y, content, **attributes) -> str:
    attributes.setdefault("fill", TEXT)
    return tag("text", escape(content), x=float(x), y=float(y), **attributes)


def percent_text(value: float | None) -> str:
    """« 45 % »: the figures in charts are rounded; the table next to them is exact."""
    return "" if value is None else f"{round(value)}{NNBSP}%"


def shorten(label: str, length: int) -> str:
    label = str(label)
    return label if len(label) <= length else label[: length - 1].rstrip() + "…"


def min_width_class(width: int, content: str) -> str | None:
    """`app-chart--min-N`: below N CSS px wide (a multiple of 50) the chart's smallest text
    would show under 12 px; app.css hides the chart in a narrower container. None for a
    chart without text (a sparkline)."""
    texts = re.findall(r"<text\b[^>]*>", content)
    if not texts:
        return None
    sizes = [
        float(re.search(r' font-size="([0-9.]+)"', t).group(1))
        if ' font-size="' in t
        else FONT_SIZE
        for t in texts
    ]
    needed = width * MIN_TEXT_PX / min(sizes)
    return f"app-chart--min-{math.ceil(needed / MIN_WIDTH_STEP) * MIN_WIDTH_STEP}"


def svg(chart_id: str, title: str, description: str, width: int, height: int, body) -> SafeString:
    """The chart's root: its size, its accessible name and description, then `body`."""
    content = "".join(
        [
            tag("title", escape(title), id=f"{chart_id}-title"),
            tag("desc", escape(description), id=f"{chart_id}-desc"),
            *body,
        ]
    )
    return mark_safe(  # noqa: S308 - every text and attribute above went through escape()
        tag(
            "svg",
            content,
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {width} {height}",
            # Drawn at its natural width, shrunk to fit by .app-chart (app.css): a style
            # attribute would need 'unsafe-inline' in the Content Security Policy.
            width=str(width),
            role="img",
            aria_labelledby=f"{chart_id}-title {chart_id}-desc",
            font_family=FONT,
            font_size=str(FONT_SIZE),
            class_=" ".join(filter(None, ["app-chart", min_width_class(width, content)])),
            id=chart_id,
        )
    )


@dataclass(frozen=True)
class Bar:
    """One bar: `value` on the chart's scale; None draws no bar (a hidden figure) and shows
    `note` instead of the value."""

    label: str
    value: float | None
    note: str = ""


def _x_grid(
    left: float, width: float, top: float, bottom: float, maximum: float, axis_text=percent_text
) -> list[str]:
    lines = []
    for step in range(5):
        share = step / 4
        x = left + share * width
        lines.append(tag("line", x1=x, x2=x, y1=top, y2=bottom, stroke=GRID))
        lines.append(
            text(x, bottom + 16, axis_text(share * maximum), text_anchor="middle", fill=GREY)
        )
    return lines


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: list[Bar],
    maximum: float = 100.0,
    colour: str = BLUE_FRANCE,
    axis_text=percent_text,
    labels_above: bool = False,
) -> SafeString:
    """Horizontal bars, one a row, on a 0–`maximum` scale (percentages by default;
    `axis_text` words the scale's ticks and the bars' values when they have no note).
    `labels_above` puts each label over its bar: a narrow chart that stays legible on a
    phone."""
    if labels_above:
        return _bar_chart_narrow(chart_id, title, description, bars, maximum, colour, axis_text)
    label_width, plot_width, row = 230, 380, 30
    width = label_width + plot_width + 90
    top, height = 10, 10 + row * max(len(bars), 1) + 30
    bottom = top + row * len(bars)
    body = _x_grid(label_width, plot_width, top, bottom, maximum, axis_text)
    for index, bar in enumerate(bars):
        y = top + index * row
        body.append(text(label_width - 8, y + 20, shorten(bar.label, 30), text_anchor="end"))
        if bar.value is None:
            body.append(text(label_width + 6, y + 20, bar.note, fill=GREY, font_style="italic"))
            continue
        length = plot_width * min(max(bar.value, 0), maximum) / maximum
        body.append(
            tag("rect", x=float(label_width), y=y + 6.0, width=length, height=18.0, fill=colour)
        )
        body.append(text(label_width + length + 6, y + 20, bar.note or axis_text(bar.value)))
    return svg(chart_id, title, description, width, height, body)


def _bar_chart_narrow(chart_id, title, description, bars, maximum, colour, axis_text):
    left, plot_width, row, top = 8, 200, 48, 4
    # 318 units: its text shows at 12 px down to 273 px wide, a 320 px screen's content.
    width = left + plot_width + 110
    height = top + row * max(len(bars), 1) + 26
    bottom = top + row * len(bars)
    body = _x_grid(left, plot_width, top, bottom, maximum, axis_text)
    for index, bar in enumerate(bars):
        y = top + index * row
        body.append(text(left, y + 16, shorten(bar.label, 40)))
        if bar.value is None:
            body.append(text(left + 4, y + 38, bar.note, fill=GREY, font_style="italic"))
            continue
        length = plot_width * min(max(bar.value, 0), maximum) / maximum
        body.append(tag("rect", x=float(left), y=y + 24.0, width=length, height=18.0, fill=colour))
        body.append(text(left + length + 6, y + 38, bar.note or axis_text(bar.value)))
    return svg(chart_id, title, description, width, height, body)


def funnel_chart(
    *, chart_id: str, title: str, description: str, steps: list[Bar], total: int
) -> SafeString:
    """The funnel: each step a full-width bar (the whole population) filled up to the share
    that reached the step. A step's `value` is its head count; None hides it."""
    label_width, plot_width, row = 260, 330, 34
    width = label_width + plot_width + 110
    top = 10
    height = top + row * max(len(steps), 1) + 10
    body = []
    for index, step in enumerate(steps):
        y = top + index * row
        body.append(text(label_width - 8, y + 22, shorten(step.label, 34), text_anchor="end"))
        body.append(
            tag(
                "rect",
                x=float(label_width),
                y=y + 6.0,
                width=float(plot_width),
                height=22.0,
                fill=BLUE_FRANCE_LIGHT,
            )
        )
        if step.value is None or not total:
            body.append(text(label_width + 8, y + 22, step.note, fill=GREY, font_style="italic"))
            continue
        length = plot_width * min(step.value, total) / total
        body.append(
            tag(
                "rect", x=float(label_width), y=y + 6.0, width=length, height=22.0, fill=BLUE_FRANCE
            )
        )
        body.append(
            text(label_width + plot_width + 8, y + 22, percent_text(100 * step.value / total))
        )
    return svg(chart_id, title, description, width, height, body)


@dataclass(frozen=True)
class Segment:
    label: str
    colour: str


@dataclass(frozen=True)
class StackedRow:
    """One row of a stacked bar: counts per segment, in the chart's segment order; `hidden`
    draws no bar and shows `note`."""

    label: str
    counts: tuple[int, ...] = ()
    hidden: bool = False
    note: str = ""


def stacked_bar_chart(
    *, chart_id: str, title: str, description: str, segments: list[Segment], rows: list[StackedRow]
) -> SafeString:
    """Horizontal bars of 100 %, split by segment (statuses of a population, say), with a
    legend above."""
    label_width, plot_width, row = 230, 430, 30
    width = label_width + plot_width + 40
    legend = []
    x = 0.0
    for segment in segments:
        legend.append(tag("rect", x=x, y=4.0, width=14.0, height=14.0, fill=segment.colour))
        legend.append(text(x + 20, 16, segment.label))
        x += 40 + 8.5 * len(segment.label)
    top = 32
    height = top + row * max(len(rows), 1) + 10
    body = legend
    for index, line in enumerate(rows):
        y = top + index * row
        body.append(text(label_width - 8, y + 20, shorten(line.label, 30), text_anchor="end"))
        total = sum(line.counts)
        if line.hidden or not total:
            body.append(text(label_width + 6, y + 20, line.note, fill=GREY, font_style="italic"))
            continue
        x = float(label_width)
        for segment, count in zip(segments, line.counts, strict=True):
            length = plot_width * count / total
            if length > 0:
                body.append(
                    tag(
                        "rect",
                        x=x,
                        y=y + 6.0,
                        width=length,
                        height=18.0,
                        fill=segment.colour,
                        stroke="#FFFFFF",
                        stroke_width="1",
                    )
                )
            x += length
    return svg(chart_id, title, description, width, height, body)


@dataclass(frozen=True)
class Series:
    """A line: one value a point, None where the figure is hidden or unknown."""

    label: str
    values: list[float | None] = field(default_factory=list)


def nice_maximum(values, floor: float = 10.0, ceiling: float = 100.0) -> float:
    """A round top for a scale that shows the movement of `values` (percentages): the first
    of 10, 20, 25, 40, 50, 60, 80, 100 at or above the largest value, with some headroom."""
    highest = max((v for v in values if v is not None), default=0.0)
    for top in (10, 20, 25, 40, 50, 60, 80, 100):
        if top >= floor and top >= highest * 1.1:
            return float(min(top, ceiling))
    return ceiling


def label_indexes(count: int, most: int) -> list[int]:
    """Which of `count` evenly spaced labels to write so that at most `most` show, evenly
    spaced and never side by side: every n-th one counted back from the last (the latest
    month is always named)."""
    if count <= 0:
        return []
    every = max(1, -(-count // max(most, 1)))
    return sorted(range(count - 1, -1, -every))


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_labels: list[str],
    series: list[Series],
    maximum: float | None = None,
) -> SafeString:
    """Lines over time on a 0–`maximum` scale (percentages; by default a round value above
    the highest point, so that the movement shows), the legend below the plot. Drawn narrow
    with large type, so that it stays legible when shrunk to a phone's width."""
    if maximum is None:
        maximum = nice_maximum(value for line in series for value in line.values)
    left, plot_width, top, plot_height = 56, 420, 14, 220
    bottom = top + plot_height
    legend_top = bottom + 44
    width = left + plot_width + 24
    height = legend_top + 26 * len(series) + 4
    body = []
    for step in range(5):
        y = bottom - plot_height * step / 4
        body.append(
            tag("line", x1=float(left), x2=float(left + plot_width), y1=y, y2=y, stroke=GRID)
        )
        body.append(
            text(
                left - 6,
                y + 5,
                percent_text(maximum * step / 4),
                text_anchor="end",
                fill=GREY,
                font_size="16",
            )
        )
    count = len(x_labels)

    def x_of(index):
        return left + (plot_width * index / (count - 1) if count > 1 else plot_width / 2)

    # « 12/2026 » is about 62 px wide at 16 px: five labels at most on 420 px.
    for index in label_indexes(count, 5):
        anchor = "end" if index == count - 1 and count > 1 else "middle"
        body.append(
            text(
                x_of(index) + (4 if anchor == "end" else 0),
                bottom + 22,
                x_labels[index],
                text_anchor=anchor,
                fill=GREY,
                font_size="16",
            )
        )
    for number, line in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        dash = DASHES[number % len(DASHES)] or None
        runs, run = [], []
        for index, value in enumerate(line.values):
            if value is None:
                runs.append(run)
                run = []
                continue
            y = bottom - plot_height * min(max(value, 0), maximum) / maximum
            run.append((x_of(index), y))
        runs.append(run)
        for points in runs:
            if len(points) > 1:
                body.append(
                    tag(
                        "polyline",
                        points=" ".join(f"{_num(x)},{_num(y)}" for x, y in points),
                        fill="none",
                        stroke=colour,
                        stroke_width="2.5",
                        stroke_dasharray=dash,
                    )
                )
            for x, y in points:
                body.append(tag("circle", cx=x, cy=y, r=3.5, fill=colour))
        legend_y = legend_top + number * 26
        body.append(
            tag(
                "line",
                x1=float(left),
                x2=float(left + 28),
                y1=float(legend_y),
                y2=float(legend_y),
                stroke=colour,
                stroke_width="2.5",
                stroke_dasharray=dash,
            )
        )
        body.append(text(left + 36, legend_y + 6, shorten(line.label, 40), font_size="16"))
    return svg(chart_id, title, description, width, height, body)


def sparkline(
    *, chart_id: str, title: str, description: str, values: list[float | None]
) -> SafeString:
    """A small trend line without axes (a headline's last months): its scale runs from 0 to
    a round value above the highest point; `description` is its text alternative (say the
    values). Hidden or unknown values break the line."""
    width, height, pad = 160, 40, 4
    maximum = nice_maximum(values)
    count = len(values)

    def x_of(index):
        return pad + ((width - 2 * pad) * index / (count - 1) if count > 1 else width / 2)

    body = [tag("line", x1=0.0, x2=float(width), y1=height - 1.0, y2=height - 1.0, stroke=GRID)]
    runs, run = [], []
    for index, value in enumerate(values):
        if value is None:
            runs.append(run)
            run = []
            continue
        run.append((x_of(index), height - pad - (height - 2 * pad) * min(value, maximum) / maximum))
    runs.append(run)
    for points in runs:
        if len(points) > 1:
            body.append(
                tag(
                    "polyline",
                    points=" ".join(f"{_num(x)},{_num(y)}" for x, y in points),
                    fill="none",
                    stroke=BLUE_FRANCE,
                    stroke_width="2",
                )
            )
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None), None)
    if last is not None:
        index, value = last
        y = height - pad - (height - 2 * pad) * min(value, maximum) / maximum
        body.append(tag("circle", cx=x_of(index), cy=y, r=3.0, fill=BLUE_FRANCE))
    return svg(chart_id, title, description, width, height, body)


@dataclass(frozen=True)
class LevelPanel:
    """One competence: how many agents stand at each level 0–8, and the target level."""

    label: str
    counts: tuple[int, ...]
    target: int | None = None


def level_chart(
    *, chart_id: str, title: str, description: str, panels: list[LevelPanel], columns: int = 4
) -> SafeString:
    """Small multiples: per competence, a column per level; the levels at or above the
    target in blue, those below in grey, and a dashed line marking the target."""
    panel_width, panel_height, gap = 170, 150, 14
    per_row = max(1, min(columns, len(panels)))
    rows = -(-len(panels) // per_row) if panels else 1
    width = per_row * (panel_width + gap)
    height = rows * (panel_height + gap) + 24
    body = [
        tag("rect", x=0.0, y=4.0, width=12.0, height=12.0, fill=BLUE_FRANCE),
        text(18, 15, _("niveau cible ou plus")),
        tag("rect", x=190.0, y=4.0, width=12.0, height=12.0, fill=GREY),
        text(208, 15, _("en dessous")),
        tag(
            "line",
            x1=310.0,
            x2=310.0,
            y1=2.0,
            y2=18.0,
            stroke=ERROR,
            stroke_width="2",
            stroke_dasharray="4 3",
        ),
        text(318, 15, _("niveau cible")),
    ]
    for index, panel in enumerate(panels):
        origin_x = (index % per_row) * (panel_width + gap)
        origin_y = 24 + (index // per_row) * (panel_height + gap)
        body.append(text(origin_x, origin_y + 14, shorten(panel.label, 22), font_weight="bold"))
        plot_top, plot_bottom = origin_y + 24, origin_y + panel_height - 22
        column = (panel_width - 10) / 9
        highest = max(panel.counts or (0,)) or 1
        body.append(
            tag(
                "line",
                x1=float(origin_x),
                x2=origin_x + 9 * column,
                y1=plot_bottom,
                y2=plot_bottom,
                stroke=GREY,
            )
        )
        for level, count in enumerate(panel.counts):
            x = origin_x + level * column
            bar_height = (plot_bottom - plot_top) * count / highest
            reached = panel.target is not None and level >= panel.target
            if bar_height > 0:
                body.append(
                    tag(
                        "rect",
                        x=x + 2,
                        y=plot_bottom - bar_height,
                        width=column - 4,
                        height=bar_height,
                        fill=BLUE_FRANCE if reached else GREY,
                    )
                )
            body.append(
                text(
                    x + column / 2,
                    plot_bottom + 16,
                    level,
                    text_anchor="middle",
                    fill=GREY,
                    font_size="12",
                )
            )
        if panel.target is not None:
            x = origin_x + panel.target * column
            body.append(
                tag(
                    "line",
                    x1=x,
                    x2=x,
                    y1=plot_top - 4,
                    y2=plot_bottom + 2,
                    stroke=ERROR,
                    stroke_width="2",
                    stroke_dasharray="4 3",
                )
            )
    return svg(chart_id, title, description, width, height, body)

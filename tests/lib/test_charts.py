"""Server-side SVG charts: well-formed, named for screen readers, DSFR colours that read on
white, and nothing from a label ever becomes markup."""

import xml.etree.ElementTree as ET

import pytest

from lib import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    root = ET.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    return root


def accessible_name(root):
    """The texts aria-labelledby points to, which must exist in the chart."""
    texts = []
    for ref in root.get("aria-labelledby").split():
        node = next(el for el in root.iter() if el.get("id") == ref)
        texts.append(node.text)
    return texts


CHARTS = {
    "bar": lambda: charts.bar_chart(
        chart_id="c-bar",
        title="Part à l’objectif",
        description="Barres",
        bars=[charts.Bar("Assistants", 45.5), charts.Bar("Petit", None, "moins de 5")],
    ),
    "bar_narrow": lambda: charts.bar_chart(
        chart_id="c-narrow",
        title="Vos niveaux",
        description="Barres",
        bars=[
            charts.Bar("1.1 Mener une recherche", 4, "4 (cible 3)"),
            charts.Bar("2.1", None, "—"),
        ],
        maximum=8,
        labels_above=True,
    ),
    "funnel": lambda: charts.funnel_chart(
        chart_id="c-funnel",
        title="Entonnoir",
        description="Étapes",
        steps=[charts.Bar("Inscrits", 10), charts.Bar("Ont commencé", 4)],
        total=10,
    ),
    "stacked": lambda: charts.stacked_bar_chart(
        chart_id="c-stacked",
        title="Statuts",
        description="Empilé",
        segments=[charts.Segment("Non commencé", charts.GREY), charts.Segment("Fini", "#18753C")],
        rows=[charts.StackedRow("Assistants", (3, 7)), charts.StackedRow("Petit", hidden=True)],
    ),
    "line": lambda: charts.line_chart(
        chart_id="c-line",
        title="Évolution",
        description="Courbes",
        x_labels=["01/2026", "02/2026", "03/2026"],
        series=[charts.Series("Assistants", [0.0, None, 50.0]), charts.Series("B", [1.0, 2.0])],
    ),
    "levels": lambda: charts.level_chart(
        chart_id="c-levels",
        title="Niveaux",
        description="Répartition",
        panels=[charts.LevelPanel("1.1 Mener une recherche", (1, 2, 3, 4, 0, 0, 0, 0, 0), 3)],
    ),
}


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_every_chart_is_valid_svg_with_a_title_a_description_and_the_img_role(kind):
    root = parse(CHARTS[kind]())
    assert root.get("role") == "img"
    title, description = accessible_name(root)
    assert title and description
    assert root.find(f"{SVG}title") is not None
    assert root.get("viewBox").startswith("0 0 ")


def test_labels_are_escaped_never_markup():
    svg = charts.bar_chart(
        chart_id="c",
        title='<script>alert("x")</script> & co',
        description="d",
        bars=[charts.Bar('<b>Pop</b> & "quote"', 10.0)],
    )
    root = parse(svg)
    assert "<script>" not in str(svg)
    assert root.find(f"{SVG}title").text == '<script>alert("x")</script> & co'
    assert any(el.text == '<b>Pop</b> & "quote"' for el in root.iter(f"{SVG}text"))


def test_a_hidden_bar_draws_nothing_and_says_why():
    root = parse(CHARTS["bar"]())
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "moins de 5" in texts
    assert len(root.findall(f"{SVG}rect")) == 1  # only the visible population's bar
    assert "46\u202f%" in texts  # 45.5 rounded next to its bar


def test_funnel_bars_are_proportional_to_the_population():
    root = parse(CHARTS["funnel"]())
    filled = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.BLUE_FRANCE]
    widths = [float(r.get("width")) for r in filled]
    assert widths[1] == pytest.approx(widths[0] * 0.4)


def test_line_breaks_where_a_value_is_hidden():
    root = parse(CHARTS["line"]())
    # first series: 0, hidden, 50 -> two lone points, no polyline; second: one polyline
    assert len(root.findall(f"{SVG}polyline")) == 1
    assert len(root.findall(f"{SVG}circle")) == 4


def test_level_chart_marks_the_target_and_colours_levels_at_or_above_it():
    root = parse(CHARTS["levels"]())
    columns = [r for r in root.iter(f"{SVG}rect") if float(r.get("height")) > 12]
    colours = [r.get("fill") for r in columns]
    # levels 0-3 have agents: 0, 1, 2 under the target (grey), 3 at target (blue)
    assert colours == [charts.GREY, charts.GREY, charts.GREY, charts.BLUE_FRANCE]
    dashed = [
        line
        for line in root.iter(f"{SVG}line")
        if line.get("stroke") == charts.ERROR and line.get("stroke-dasharray")
    ]
    assert len(dashed) == 2  # the legend's and the panel's


def _luminance(hex_colour):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


@pytest.mark.parametrize(
    "colour",
    [
        charts.BLUE_FRANCE,
        charts.INFO,
        charts.SUCCESS,
        charts.WARNING,
        charts.ERROR,
        charts.GREY,
        charts.TEXT,
        *charts.SERIES_COLOURS,
    ],
)
def test_chart_colours_stand_out_from_white_by_at_least_3_to_1(colour):
    contrast = 1.05 / (_luminance(colour) + 0.05)
    assert contrast >= 3, colour


def test_narrow_bar_chart_puts_labels_above_bars_and_fits_a_phone():
    root = parse(CHARTS["bar_narrow"]())
    width = float(root.get("viewBox").split()[2])
    # Its text stays at 12 px or more on a 320 px screen (minus the page's margins).
    assert width * 12 / 14 <= 320 - 2 * 16
    label = next(t for t in root.iter(f"{SVG}text") if t.text == "1.1 Mener une recherche")
    bar = next(root.iter(f"{SVG}rect"))
    assert float(label.get("y")) < float(bar.get("y"))  # the label sits over its bar
    assert float(bar.get("width")) == pytest.approx(200 * 4 / 8)


def test_axis_labels_are_spaced_and_the_latest_is_always_named():
    assert charts.label_indexes(14, 5) == [1, 4, 7, 10, 13]
    assert charts.label_indexes(3, 5) == [0, 1, 2]
    for count in range(1, 40):
        shown = charts.label_indexes(count, 5)
        assert len(shown) <= 5 and shown[-1] == count - 1
        gaps = {b - a for a, b in zip(shown, shown[1:], strict=False)}
        assert len(gaps) <= 1  # evenly spaced: never two labels side by side among wide gaps


def test_line_chart_scale_follows_the_data():
    assert charts.nice_maximum([4.0, 7.0, None]) == 10
    assert charts.nice_maximum([4.0, 37.0]) == 50
    assert charts.nice_maximum([95.0]) == 100
    chart = charts.line_chart(
        chart_id="c",
        title="t",
        description="d",
        x_labels=[f"{m:02d}/2026" for m in range(1, 13)] + ["01/2027", "02/2027"],
        series=[charts.Series("A", [float(v) for v in range(14)])],
    )
    assert "20\u202f%" in chart and "100\u202f%" not in chart
    assert chart.count(">02/2027<") == 1 and ">01/2027<" not in chart


def test_a_chart_names_the_width_below_which_its_text_would_show_under_12_px():
    wide = charts.bar_chart(
        chart_id="c", title="T", description="D", bars=[charts.Bar("Assistants", 50.0)]
    )
    # 700 units wide, text at 14 units: 600 px for 12 px text.
    assert 'viewBox="0 0 700 ' in wide
    assert 'class="app-chart app-chart--min-600"' in wide
    narrow = charts.bar_chart(
        chart_id="n",
        title="T",
        description="D",
        bars=[charts.Bar("Assistants", 50.0)],
        labels_above=True,
    )
    assert 'class="app-chart app-chart--min-280"' in narrow  # 318 units: 272.6 px


def test_the_smallest_text_of_a_chart_sets_its_minimum_width():
    def needs(content):
        return charts.min_width_class(500, content)

    assert needs('<text font-size="12">a</text>') == "app-chart--min-500"  # 500 px
    assert needs('<text font-size="16">a</text>') == "app-chart--min-380"  # 375 px
    # A text without a size of its own is at the chart's 14: 428.6 px.
    assert needs('<text font-size="16">a</text><text>b</text>') == "app-chart--min-430"
    assert charts.min_width_class(160, "<polyline/>") is None  # a sparkline: no text

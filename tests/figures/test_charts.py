import datetime as dt
from decimal import Decimal

from pacesetter.figures import charts

START, END = dt.date(2025, 1, 1), dt.date(2025, 1, 11)


def test_cumulative_chart_draws_plan_actual_and_projection():
    svg = charts.cumulative_chart(
        daily=[(START, Decimal(10)), (START + dt.timedelta(days=1), Decimal(10))],
        planned=Decimal(100),
        start=START,
        end=END,
        as_of=START + dt.timedelta(days=1),
        run_rate=Decimal(10),
        label="Steel <t>",
    )
    assert 'class="plan"' in svg and 'class="projection"' in svg and 'class="actual"' in svg
    # The frame is 5% above the highest line: the projection, 20 + 10 a day × 9 days = 110.
    # 182 px of plot height over 115.5: 10 → 15.8 px, 20 → 31.5 px above the base at 212.
    assert 'points="84.0,212.0 84.0,196.2 138.4,180.5"' in svg
    assert "Steel &lt;t&gt;" in svg and "<t>" not in svg  # labels are escaped
    assert 'role="img"' in svg


def test_no_projection_once_the_period_is_over_and_bars_per_day():
    svg = charts.cumulative_chart(
        daily=[(START, Decimal(5))],
        planned=None,
        start=START,
        end=END,
        as_of=END,
        run_rate=Decimal(1),
        label="x",
    )
    assert 'class="projection"' not in svg and 'class="plan"' not in svg
    bars = charts.daily_chart(
        daily=[(START, Decimal(5)), (END, Decimal(2))], start=START, end=END, label="x"
    )
    assert bars.count('class="bar"') == 2


def test_each_point_and_bar_tells_its_value_on_hover_and_tap():
    import re

    daily = [(START, Decimal("1250.5")), (START + dt.timedelta(days=3), Decimal(10))]
    cumulative = charts.cumulative_chart(
        daily=daily,
        planned=Decimal(2000),
        start=START,
        end=END,
        as_of=START + dt.timedelta(days=5),
        run_rate=None,
        label="x",
    )
    bars = charts.daily_chart(daily=daily, start=START, end=END, label="x")
    # One mark per day with reports: the running total, then each day's own quantity.
    for svg, values in (
        (cumulative, ["1 Jan 2025: 1,250.5", "4 Jan 2025: 1,260.5"]),
        (bars, ["1 Jan 2025: 1,250.5", "4 Jan 2025: 10"]),
    ):
        points = re.findall(r'<g class="point" tabindex="-1">(.*?)</g>', svg)
        assert len(points) == 2
        for point, value in zip(points, values, strict=True):
            # the title for a pointer's hover, the label the stylesheet shows on focus (a tap)
            assert f"<title>{value}</title>" in point
            assert re.search(rf'<text class="value" [^>]*>{value}</text>', point)


def test_bars_stay_between_the_axes():
    """A day's bar is centred on its day but cut at the axes: a one-day chart's bar (80% of
    the plot wide) covered the axis labels on the left of a volunteer call's first day."""
    import re

    one_day = charts.daily_chart(
        daily=[(START, Decimal(1))], start=START, end=START + dt.timedelta(days=1), label="x"
    )
    month = charts.daily_chart(
        daily=[(START, Decimal(3)), (END, Decimal(2))], start=START, end=END, label="x"
    )
    for svg in (one_day, month):
        for x, width in re.findall(
            r'<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg
        ):
            assert (
                float(x) >= charts.LEFT and float(x) + float(width) <= charts.WIDTH - charts.RIGHT
            )
    assert 'x="84.0"' in one_day and 'width="217.6"' in one_day  # the right half of 80% of 544


def test_a_daily_chart_of_counts_tops_its_axis_with_a_whole_number():
    """A count of 1 is not drawn under a "1.05" axis: whole quantities give a whole top; other
    quantities keep the 5% headroom as it is."""
    import re

    def top(quantities):
        daily = [(START + dt.timedelta(days=n), Decimal(q)) for n, q in enumerate(quantities)]
        svg = charts.daily_chart(daily=daily, start=START, end=END, label="x")
        ticks = re.findall(r'<text class="tick"[^>]*>([^<]*)</text>', svg)
        return ticks[-1]

    assert top(["1"]) == "2"
    assert top(["20", "3"]) == "21"
    assert top(["100"]) == "105"
    assert top(["1.5"]) == "1.575"
    assert top([]) == "0"

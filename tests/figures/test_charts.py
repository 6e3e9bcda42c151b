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
    # 200 px of plot height over 115.5: 10 → 17.3 px, 20 → 34.6 px above the base at 212.
    assert 'points="56.0,212.0 56.0,194.7 113.2,177.4"' in svg
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

"""Charts drawn on the server as SVG: nothing is loaded from the internet, nothing runs in
the browser, and a screen reader gets a title and a description.

All coordinates are computed here from Decimals and rounded to 0.1 px for the markup only.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
# TOP leaves a band above the plot for the value of the point under the pointer or last
# tapped: drawn there, no later bar or point is painted over it.
# LEFT holds the top label ("43.89k") at the phone's 22-unit labels without clipping it.
LEFT, RIGHT, TOP, BOTTOM = 84, 12, 30, 28


def _px(value: Decimal | float) -> str:
    return f"{Decimal(value):.1f}"


class _Frame:
    """Maps days and quantities onto the plot area."""

    def __init__(self, start: dt.date, end: dt.date, top: Decimal):
        self.start, self.days = start, max((end - start).days, 1)
        self.top = top if top > 0 else Decimal(1)

    def x(self, day: dt.date) -> Decimal:
        return LEFT + Decimal((day - self.start).days) * (WIDTH - LEFT - RIGHT) / self.days

    def y(self, value: Decimal) -> Decimal:
        return HEIGHT - BOTTOM - value * (HEIGHT - TOP - BOTTOM) / self.top


def _axes(frame: _Frame, start: dt.date, end: dt.date, top_label: str) -> SafeString:
    """The two axes with few labels (the period's first and last day, 0 and the top): the
    chart is drawn at 640 units and shrinks to half on a phone, where the stylesheet sets the
    labels' size for that width; more labels would not fit."""
    base = HEIGHT - BOTTOM
    return format_html(
        '<line class="axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<line class="axis" x1="{l}" y1="{t}" x2="{l}" y2="{b}"/>'
        '<line class="grid" x1="{l}" y1="{t}" x2="{r}" y2="{t}"/>'
        '<text class="tick" x="{l}" y="{ty}" text-anchor="start">{s}</text>'
        '<text class="tick" x="{r}" y="{ty}" text-anchor="end">{e}</text>'
        '<text class="tick" x="{lx}" y="{b}" text-anchor="end">0</text>'
        '<text class="tick" x="{lx}" y="{tt}" text-anchor="end">{top}</text>',
        l=LEFT,
        r=WIDTH - RIGHT,
        b=base,
        t=TOP,
        ty=HEIGHT - 6,
        lx=LEFT - 6,
        tt=TOP + 14,
        s=start.strftime("%-d %b %Y"),
        e=end.strftime("%-d %b %Y"),
        top=top_label,
    )


def _exact(value: Decimal) -> str:
    """A quantity as the value label shows it: every digit, grouped in thousands."""
    return f"{value.normalize():,f}"


def _point(x: float, mark: str, text: str) -> str:
    """A point or bar that shows its value: its <title> on hover (desktop), and a label in
    the band above the plot while hovered or focused. tabindex -1 makes a tap focus it (a
    phone has no hover) without putting hundreds of bars in the keyboard's tab order; the
    chart's description and the page's figures carry the same numbers in text. `text` is
    a date and a number: nothing to escape."""
    anchor = "start" if x < LEFT + 90 else "end" if x > WIDTH - RIGHT - 90 else "middle"
    return (
        f'<g class="point" tabindex="-1">{mark}<text class="value" x="{x:.1f}" '
        f'y="{TOP - 8}" text-anchor="{anchor}">{text}</text><title>{text}</title></g>'
    )


def _short(value: Decimal) -> str:
    for limit, suffix in ((Decimal(10**9), "bn"), (Decimal(10**6), "m"), (Decimal(10**3), "k")):
        if abs(value) >= limit:
            return f"{(value / limit).normalize():f}"[:5].rstrip(".") + suffix
    return f"{value.normalize():f}"[:6].rstrip(".")


def cumulative_chart(
    *,
    daily: list[tuple[dt.date, Decimal]],
    planned: Decimal | None,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    run_rate: Decimal | None,
    label: str,
) -> SafeString:
    """Cumulative actual (solid), the plan as a straight line from 0 to the plan at the end
    (dashed), and the projection at the current run-rate from today to the end (dotted)."""
    points: list[tuple[dt.date, Decimal]] = [(start, Decimal(0))]
    total = Decimal(0)
    for day, quantity in daily:
        if start <= day <= min(as_of, end):
            total += quantity
            points.append((day, total))
    if points[-1][0] < min(as_of, end):
        points.append((min(as_of, end), total))
    projected_end = total + run_rate * (end - min(as_of, end)).days if run_rate else total
    top = max([planned or Decimal(0), projected_end, *(v for _, v in points)]) * Decimal("1.05")
    frame = _Frame(start, end, top)
    actual = " ".join(f"{_px(frame.x(d))},{_px(frame.y(v))}" for d, v in points)
    parts = [_axes(frame, start, end, _short(top))]
    if planned:
        parts.append(
            format_html(
                '<line class="plan" x1="{}" y1="{}" x2="{}" y2="{}"><title>Plan: {}</title></line>',
                _px(frame.x(start)),
                _px(frame.y(Decimal(0))),
                _px(frame.x(end)),
                _px(frame.y(planned)),
                planned,
            )
        )
    if run_rate and as_of < end:
        parts.append(
            format_html(
                '<line class="projection" x1="{}" y1="{}" x2="{}" y2="{}"><title>At the current rate: {}</title></line>',
                _px(frame.x(as_of)),
                _px(frame.y(total)),
                _px(frame.x(end)),
                _px(frame.y(projected_end)),
                _short(projected_end),
            )
        )
    parts.append(format_html('<polyline class="actual" points="{}"/>', actual))
    # A mark for each day with reports (not the line's start at 0, nor the day carried
    # forward to today).
    reported = {day for day, _ in daily}
    parts.append(
        mark_safe(
            "".join(
                _point(
                    float(frame.x(d)),
                    f'<circle cx="{_px(frame.x(d))}" cy="{_px(frame.y(v))}" r="4"/>',
                    f"{d:%-d %b %Y}: {_exact(v)}",
                )
                for d, v in points[1:]
                if d in reported
            )
        )
    )
    description = f"Cumulative {label}: {total:f} by {as_of:%-d %b %Y}" + (
        f" against a plan of {planned:f}" if planned else ""
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>{}</svg>',
        WIDTH,
        HEIGHT,
        description,
        description,
        mark_safe("".join(parts)),  # each part was built with format_html
    )


def daily_chart(
    *, daily: list[tuple[dt.date, Decimal]], start: dt.date, end: dt.date, label: str
) -> SafeString:
    """One bar per day with reports."""
    shown = [(d, q) for d, q in daily if start <= d <= end]
    top = max([q for _, q in shown] + [Decimal(0)]) * Decimal("1.05")
    if all(Decimal(q) == Decimal(q).to_integral_value() for _, q in shown):
        # Counts (volunteers, parts...): the axis's top is a whole number too, never "1.05".
        top = top.to_integral_value(rounding=ROUND_CEILING)
    frame = _Frame(start, end, top)
    width = max(Decimal(1), Decimal(WIDTH - LEFT - RIGHT) / frame.days * Decimal("0.8"))
    # A year has up to 366 bars: pixels in floats (they are display only, the quantities in
    # the titles stay exact), and markup built directly: numbers and ISO dates need no
    # escaping. Five times faster than format_html per bar, which a dashboard felt.
    base, bar = float(HEIGHT - BOTTOM), float(width)
    step = float(WIDTH - LEFT - RIGHT) / frame.days
    scale = float(HEIGHT - TOP - BOTTOM) / float(frame.top)

    def rect(day: dt.date, quantity: Decimal) -> str:
        """A bar centred on its day, cut at the axes: the first and last days' bars (a
        one-day chart's is 80% of the plot wide) never cover the axis labels."""
        centre = LEFT + (day - start).days * step
        left = max(float(LEFT), centre - bar / 2)
        right = min(float(WIDTH - RIGHT), centre + bar / 2)
        height = max(float(quantity), 0.0) * scale
        return (
            f'<rect class="bar" x="{left:.1f}" y="{base - height:.1f}" '
            f'width="{right - left:.1f}" height="{height:.1f}"/>'
        )

    bars = mark_safe(
        "".join(
            _point(
                LEFT + (d - start).days * step,
                rect(d, q),
                f"{d:%-d %b %Y}: {_exact(Decimal(q))}",
            )
            for d, q in shown
        )
    )
    description = f"Daily {label}: {len(shown)} days with reports"
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>{}{}</svg>',
        WIDTH,
        HEIGHT,
        description,
        description,
        _axes(frame, start, end, _short(top)),
        bars,
    )


def sparkline(values: list[Decimal], *, label: str) -> SafeString:
    """A small line of recent days; the last day is marked with a dot."""
    width, height, pad = 96, 24, 2
    if not values:
        return format_html('<span class="muted">—</span>')
    top = max(max(values), Decimal(0)) or Decimal(1)
    step = Decimal(width - 2 * pad) / max(len(values) - 1, 1)
    points = [
        (pad + step * n, height - pad - max(v, Decimal(0)) * (height - 2 * pad) / top)
        for n, v in enumerate(values)
    ]
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        '<polyline points="{}"/><circle cx="{}" cy="{}" r="2"/></svg>',
        width,
        height,
        width,
        height,
        label,
        " ".join(f"{_px(x)},{_px(y)}" for x, y in points),
        _px(points[-1][0]),
        _px(points[-1][1]),
    )

"""Every figure traceable: the page (and its CSV) listing the reports behind one figure of a
unit — the unit's subtree, one indicator, a period or a span of days — with their
corrections, flags and verification state, and the sum of the list beside the figure."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.ledger import report_selectors
from pacesetter.ledger.api import _cell, _Line
from pacesetter.ledger.models import SubtreeDailyTotal, SubtreePeriodTotal
from pacesetter.movements import selectors as movement_selectors
from pacesetter.movements.models import Indicator, Movement, Period
from pacesetter.units.models import Unit
from pacesetter.units.selectors import visible_unit_or_404

from . import domain
from .views import _movement_for

REPORTS_PER_SLICE = 25
FLAGGED_CHOICES = {"yes": True, "no": False}
STATE_CHOICES = (
    ("verified", _("Verified (confirmed, corrected or entered verified)")),
    ("unverified", _("Not verified")),
    ("rejected", _("Rejected")),
)


@dataclass(frozen=True)
class Figure:
    """The figure the list must add up to, read from the aggregates."""

    quantity: Decimal
    verified: Decimal
    verified_share: Decimal | None
    is_level: bool  # a latest-level indicator: the figure is not a sum of its reports


def traced_unit(movement: Movement, code: str) -> Unit:
    """The unit at the address if the viewer may see it and it takes part in the movement."""
    unit = visible_unit_or_404(code)
    scope_paths = list(movement.scope.values_list("path", flat=True))
    if unit.pk != movement.organiser_id and not movement_selectors.in_scope(scope_paths, unit):
        raise Http404("That unit is not in this movement's scope.")
    return unit


def _date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def trace_filters(
    *,
    movement: Movement,
    unit: Unit,
    indicator: str | None,
    period: str | None,
    day_from: str | dt.date | None,
    day_to: str | dt.date | None,
    within: str | None,
    flagged: str | None,
    state: str | None,
    indicators: list[Indicator] | None = None,
    periods: list[Period] | None = None,
) -> tuple[report_selectors.TraceFilters, Period | None]:
    """The filters a request asks for: an indicator (default the first), a period (default
    the whole movement) or a span of days inside the movement, a unit below (its code), flagged
    or not, a verification state. Unknown values fall back to the defaults; a unit below that
    is not in the subtree (or not visible) is a 404."""
    if indicators is None:
        indicators = list(movement.indicators.order_by("position", "id"))
    if not indicators:
        raise Http404("This movement has no indicators.")
    chosen = next((i for i in indicators if i.code == indicator), indicators[0])
    if periods is None:
        periods = list(movement.periods.all())
    whole = next(p for p in periods if p.is_whole)
    chosen_period = next((p for p in periods if str(p.pk) == str(period or "")), None)
    first, last = _date(day_from), _date(day_to)
    if chosen_period is None and first is None and last is None:
        chosen_period = whole
    if chosen_period is not None:
        first, last = chosen_period.starts_on, chosen_period.ends_on
    first = max(first or whole.starts_on, whole.starts_on)
    last = min(last or whole.ends_on, whole.ends_on)
    below = None
    if within and within != unit.code:
        below = visible_unit_or_404(within)
        if not below.path.startswith(unit.path):
            raise Http404("That unit is not below this one.")
    return (
        report_selectors.TraceFilters(
            unit=unit,
            indicator=chosen,
            day_from=first,
            day_to=last,
            within=below,
            flagged=FLAGGED_CHOICES.get(flagged or ""),
            state=state if state in report_selectors.STATES else None,
        ),
        chosen_period,
    )


def figure_of(filters: report_selectors.TraceFilters, period: Period | None) -> Figure:
    """The figure of the (narrowed) unit over the filters' indicator and days: the period's
    total when a period was asked for, else the days' totals summed. 1 query."""
    unit = filters.within or filters.unit
    indicator = filters.indicator
    if period is not None:
        row = (
            SubtreePeriodTotal.objects.filter(unit=unit, indicator=indicator, period=period)
            .values_list("quantity_minor", "verified_minor")
            .first()
        )
        quantity, verified = row or (0, 0)
    else:
        sums = SubtreeDailyTotal.objects.filter(
            unit=unit, indicator=indicator, day__gte=filters.day_from, day__lte=filters.day_to
        ).aggregate(q=Sum("quantity_minor"), v=Sum("verified_minor"))
        quantity, verified = int(sums["q"] or 0), int(sums["v"] or 0)
    actual, actual_verified = indicator.quantity(quantity), indicator.quantity(verified)
    return Figure(
        actual,
        actual_verified,
        domain.verified_share(actual_verified, actual),
        indicator.aggregation == Indicator.Aggregation.LATEST,
    )


def figure_reports(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """The reports behind a figure, filterable, a slice at a time; `?format=csv` streams them
    all as CSV."""
    movement = _movement_for(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    unit = traced_unit(movement, code)
    params = request.GET
    indicators = list(movement.indicators.order_by("position", "id"))
    periods = list(movement.periods.all())
    filters, period = trace_filters(
        indicators=indicators,
        periods=periods,
        movement=movement,
        unit=unit,
        indicator=params.get("indicator"),
        period=params.get("period"),
        day_from=params.get("from"),
        day_to=params.get("to"),
        within=params.get("unit"),
        flagged=params.get("flagged"),
        state=params.get("state"),
    )
    if params.get("format") == "csv":
        return _csv_response(movement, unit, filters)
    reports = slice_of(
        request,
        lambda offset, limit: report_selectors.behind_figure(filters, offset=offset, limit=limit),
        param="page",
        size=REPORTS_PER_SLICE,
    )
    context = {"movement": movement, "unit": unit, "filters": filters, "reports": reports}
    if wants_more(request, "page"):
        return render(request, "figures/figure_reports.html#trace-rows", context)
    quantity, verified, originals = report_selectors.trace_sum(filters)
    indicator = filters.indicator
    csv_query = params.copy()
    csv_query.pop("page", None)
    csv_query["format"] = "csv"
    return render(
        request,
        "figures/figure_reports.html",
        {
            **context,
            "figure": figure_of(filters, period),
            "listed": indicator.quantity(quantity),
            "listed_verified": indicator.quantity(verified),
            "originals": originals,
            "filtered": filters.flagged is not None or filters.state is not None,
            "indicators": indicators,
            "periods": periods,
            "period": period,
            "states": STATE_CHOICES,
            "csv_query": csv_query.urlencode(),
        },
    )


CSV_COLUMNS = (
    "report",
    "unit",
    "indicator",
    "day",
    "reported",
    "corrections",
    "counts_as",
    "state",
    "flags",
    "source",
    "entered_by",
    "entered_at",
)


def _csv_lines(rows: Iterator[report_selectors.TracedReport], zone: ZoneInfo) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for row in rows:
        report = row.report
        places = report.indicator.decimal_places
        yield writer.writerow(
            (
                report.pk,
                _cell(report.unit.code),
                _cell(report.indicator.code),
                report.day.isoformat(),
                str(Decimal(report.quantity_minor).scaleb(-places)),
                " ".join(
                    f"{c.pk}:{Decimal(c.quantity_minor).scaleb(-places)}" for c in row.corrections
                ),
                str(row.counted),
                row.state,
                " ".join(sorted({flag.kind for flag in row.flags})),
                report.source,
                _cell(report.entered_by.get_username() if report.entered_by else None),
                report.entered_at.astimezone(zone).isoformat(),
            )
        )


def _csv_response(
    movement: Movement, unit: Unit, filters: report_selectors.TraceFilters
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        _csv_lines(report_selectors.iter_behind_figure(filters), ZoneInfo(movement.time_zone)),
        content_type="text/csv; charset=utf-8",
    )
    name = f"{movement.slug}-{unit.code}-{filters.indicator.code}-reports.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

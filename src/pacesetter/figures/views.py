"""Read-only pages: the movements, and one movement's figures for a unit of its scope."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from pacesetter.movements import selectors as movement_selectors
from pacesetter.movements.models import Movement
from pacesetter.units import selectors as unit_selectors
from pacesetter.units.models import Unit

from . import charts, selectors


def _visible_movements(request: HttpRequest):
    movements = Movement.objects.select_related("organiser")
    if request.user.is_authenticated:
        return movements
    return movements.filter(is_public=True)


def home(request: HttpRequest) -> HttpResponse:
    movements = list(_visible_movements(request).order_by("-status", "starts_on"))
    return render(request, "figures/home.html", {"movements": movements})


def _movement_for(request: HttpRequest, slug: str) -> Movement | HttpResponse:
    movement = get_object_or_404(Movement.objects.select_related("organiser"), slug=slug)
    if not movement.is_public and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return movement


def movement_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The movement's dashboard: the organiser's whole subtree."""
    movement = _movement_for(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    return _unit_page(request, movement, movement.organiser)


def unit_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """One unit of the movement's scope: its figures over its subtree, its children, its own
    reports with their corrections, its pledges."""
    movement = _movement_for(request, slug)
    if isinstance(movement, HttpResponse):
        return movement
    unit = get_object_or_404(Unit, code=code)
    if not movement_selectors.unit_in_movement(unit=unit, movement=movement):
        raise Http404("That unit is not in this movement's scope.")
    return _unit_page(request, movement, unit)


def _unit_page(request: HttpRequest, movement: Movement, unit: Unit) -> HttpResponse:
    period = movement.periods.get(is_whole=True)
    indicators = list(movement.indicators.all())
    figures = selectors.unit_figures(
        unit=unit, movement=movement, period=period, indicators=indicators
    )
    sort = request.GET.get("sort", "name")
    sort = sort if sort in selectors.CHILD_SORTS else "name"
    descending = request.GET.get("dir") == "desc"
    as_of = figures[0].as_of if figures else selectors.as_of_for(movement, period)
    children = selectors.children_figures(
        unit=unit,
        indicators=indicators,
        period=period,
        as_of=as_of,
        sort=sort,
        descending=descending,
    )
    rows = [
        (
            figure,
            [
                (
                    child,
                    charts.sparkline(
                        child.recent, label=f"{child.unit.name}: last {len(child.recent)} days"
                    ),
                )
                for child in children[figure.indicator.pk]
            ],
            _charts(figure, period),
        )
        for figure in figures
    ]
    return render(
        request,
        "figures/movement_detail.html",
        {
            "movement": movement,
            "unit": unit,
            "is_dashboard": unit.pk == movement.organiser_id,
            "period": period,
            "rows": rows,
            "sort": sort,
            "descending": descending,
            "reports": selectors.own_reports(unit=unit, movement=movement),
            "pledges": list(movement_selectors.pledges_of(unit=unit, movement=movement)),
            "breadcrumbs": list(unit_selectors.ancestors(unit)),
        },
    )


def honour_board(request: HttpRequest, slug: str) -> HttpResponse:
    """The public screen for a hall: no sign-in, public movements only, refreshes itself."""
    movement = get_object_or_404(
        Movement.objects.select_related("organiser"), slug=slug, is_public=True
    )
    period = movement.periods.get(is_whole=True)
    indicators = list(movement.indicators.all())
    figures = selectors.unit_figures(
        unit=movement.organiser,
        movement=movement,
        period=period,
        indicators=indicators,
        with_daily=False,
    )
    boards = [
        (
            figure,
            selectors.leading_units(movement=movement, indicator=figure.indicator, period=period),
        )
        for figure in figures
    ]
    return render(
        request,
        "figures/honour_board.html",
        {"movement": movement, "boards": boards, "refresh_seconds": 60},
    )


def _charts(figure: selectors.IndicatorFigures, period) -> dict:
    label = f"{figure.indicator.name} ({figure.indicator.measure})"
    planned = figure.plan.planned if figure.plan else None
    return {
        "cumulative": charts.cumulative_chart(
            daily=figure.daily,
            planned=planned,
            start=period.starts_on,
            end=period.ends_on,
            as_of=figure.as_of,
            run_rate=figure.pace.run_rate if figure.pace and not figure.pace.met_on else None,
            label=label,
        ),
        "daily": charts.daily_chart(
            daily=figure.daily, start=period.starts_on, end=period.ends_on, label=label
        ),
    }


def error_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"title": "Not found", "message": "There is nothing here, or it is not yours to see."},
        status=404,
    )


def error_500(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": "Something went wrong",
            "message": "The error was logged. Please try again in a moment.",
        },
        status=500,
    )

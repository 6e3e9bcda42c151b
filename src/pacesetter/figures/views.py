"""Read-only pages: the movements, and one movement's figures for a unit of its scope."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

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


def movement_detail(request: HttpRequest, slug: str) -> HttpResponse:
    movement = get_object_or_404(Movement.objects.select_related("organiser"), slug=slug)
    if not movement.is_public and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    unit = movement.organiser
    if code := request.GET.get("unit"):
        scope_paths = list(movement.scope.values_list("path", flat=True))
        unit = get_object_or_404(Unit, code=code)
        if (
            not any(unit.path.startswith(p) for p in scope_paths)
            and unit.pk != movement.organiser_id
        ):
            raise Http404("That unit is not in this movement's scope.")
    period = movement.periods.get(is_whole=True)
    figures = selectors.unit_figures(unit=unit, movement=movement, period=period)
    rows = [
        (
            figure,
            selectors.children_figures(unit=unit, indicator=figure.indicator, period=period),
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
            "period": period,
            "rows": rows,
            "breadcrumbs": list(unit_selectors.ancestors(unit).filter(~Q(pk=unit.pk))),
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

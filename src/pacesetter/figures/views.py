"""Read-only pages: the home page, the movements, and one movement's figures for a unit of
its scope; the public honour board; the error pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string

from pacesetter.accounts.models import Grant
from pacesetter.accounts.permissions import (
    EVERYWHERE,
    Capability,
    can,
    can_see_figures,
    can_see_movement,
    current_actor,
    movement_filter,
)
from pacesetter.core.pages import PAGES, error_page
from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.movements import selectors as movement_selectors
from pacesetter.movements.models import Movement
from pacesetter.units import selectors as unit_selectors
from pacesetter.units.models import Unit

from . import charts, selectors

# A unit with 1,000 children shows them a page at a time, every child ranked by the sort;
# twenty rows are a phone's screen or two.
CHILDREN_PER_PAGE = 20
# A unit's own reports, newest first: a phone shows ten before the rest of the page, and
# "Show more" adds ten at a time (the railway's 50 rows were 4,000 px of a 390 px phone).
REPORTS_PER_SLICE = 10


@dataclass
class MovementTile:
    movement: Movement
    may_report: bool
    may_organise: bool


def _overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def home(request: HttpRequest) -> HttpResponse:
    """What this person can do: their roles and units, the movements they may see, with
    report entry where they may report and the organiser's page where they may organise."""
    actor = current_actor()
    movements = list(
        Movement.objects.filter(movement_filter(actor))
        .distinct()
        .select_related("organiser")
        .prefetch_related(Prefetch("scope", queryset=Unit.objects.only("id", "path")))
        .order_by("-status", "-starts_on", "title")
    )
    tiles = []
    for movement in movements:
        scope_paths = [unit.path for unit in movement.scope.all()] or [movement.organiser.path]
        report_paths = actor.paths(Capability.REPORT, movement)
        tiles.append(
            MovementTile(
                movement=movement,
                may_report=movement.status == Movement.Status.LAUNCHED
                and any(_overlaps(s, p) for s in scope_paths for p in report_paths),
                may_organise=movement.status != Movement.Status.CLOSED
                and can(actor, Capability.ORGANISE, movement.organiser, movement),
            )
        )
    grants = []
    if actor.is_authenticated and not actor.is_system and actor.grants():
        grants = list(
            Grant.objects.filter(user=actor.user, withdrawn_at__isnull=True)
            .select_related("unit", "movement")
            .order_by("unit__path", "role")
        )
    return render(
        request,
        "figures/home.html",
        {
            "tiles": tiles,
            "grants": grants,
            "everywhere": actor.is_authenticated and EVERYWHERE in actor.paths(Capability.VIEW),
            "may_create": bool(actor.paths(Capability.ORGANISE)),
            "may_report_somewhere": any(tile.may_report for tile in tiles),
        },
    )


def _movement_for(request: HttpRequest, slug: str) -> Movement | HttpResponse:
    """The movement, if the visitor may see it: anyone a public one; a signed-in person one
    whose scope overlaps a subtree they may view (404 otherwise: it does not say it exists)."""
    movement = get_object_or_404(
        Movement.objects.select_related("organiser").prefetch_related(
            Prefetch("scope", queryset=Unit.objects.only("id", "path"))
        ),
        slug=slug,
    )
    if movement.is_public:
        return movement
    actor = current_actor()
    if not actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    scope_paths = [unit.path for unit in movement.scope.all()]
    if not can_see_movement(actor, movement, scope_paths):
        raise Http404("No such movement.")
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
    if not can_see_figures(current_actor(), unit, movement):
        raise Http404("No such unit here.")
    scope_paths = [scope.path for scope in movement.scope.all()]  # prefetched
    if unit.pk != movement.organiser_id and not movement_selectors.in_scope(scope_paths, unit):
        raise Http404("That unit is not in this movement's scope.")
    return _unit_page(request, movement, unit)


def _unit_page(request: HttpRequest, movement: Movement, unit: Unit) -> HttpResponse:
    reports = slice_of(
        request,
        lambda offset, limit: selectors.own_reports(
            unit=unit, movement=movement, offset=offset, limit=limit
        ),
        param="reports",
        size=REPORTS_PER_SLICE,
    )
    if wants_more(request, "reports"):
        return render(
            request,
            "figures/movement_detail.html#report-rows",
            {"movement": movement, "unit": unit, "reports": reports},
        )
    periods = list(movement.periods.all())
    period = next(p for p in periods if p.is_whole)
    indicators = list(movement.indicators.all())
    figures = selectors.unit_figures(
        unit=unit, movement=movement, period=period, indicators=indicators
    )
    counted = selectors.from_reserves(
        unit=unit, movement=movement, period=period, indicators=indicators
    )
    for figure in figures:
        figure.from_reserves = counted.get(figure.indicator.pk)
    by_period = selectors.period_figures(
        unit=unit, movement=movement, periods=periods, figures=figures
    )
    sort = request.GET.get("sort", "name")
    sort = sort if sort in selectors.CHILD_SORTS else "name"
    descending = request.GET.get("dir") == "desc"
    as_of = figures[0].as_of if figures else selectors.as_of_for(movement, period)
    child_count = Unit.objects.filter(parent=unit).count()
    pages = max(1, -(-child_count // CHILDREN_PER_PAGE))
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), pages)
    except ValueError:
        page = 1
    children = selectors.children_figures(
        unit=unit,
        indicators=indicators,
        period=period,
        as_of=as_of,
        sort=sort,
        descending=descending,
        offset=(page - 1) * CHILDREN_PER_PAGE,
        limit=CHILDREN_PER_PAGE,
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
            by_period.get(figure.indicator.pk, []),
        )
        for figure in figures
    ]
    actor = current_actor()
    scope_paths = [u.path for u in movement.scope.all()] or [movement.organiser.path]
    report_paths = actor.paths(Capability.REPORT, movement)
    return render(
        request,
        "figures/movement_detail.html",
        {
            "movement": movement,
            "may_report": movement.status == Movement.Status.LAUNCHED
            and any(_overlaps(scope, path) for scope in scope_paths for path in report_paths),
            "may_organise": movement.status != Movement.Status.CLOSED
            and can(actor, Capability.ORGANISE, movement.organiser, movement),
            "may_verify": movement.status == Movement.Status.LAUNCHED
            and any(
                _overlaps(scope, path)
                for scope in scope_paths
                for path in actor.paths(Capability.VERIFY, movement)
            ),
            "unit": unit,
            # The reports behind a figure are shown to those who may view the unit (a public
            # movement's figures are open to all, its reports are not).
            "may_trace": can(actor, Capability.VIEW, unit),
            "is_dashboard": unit.pk == movement.organiser_id,
            "period": period,
            "rows": rows,
            # Indicators whose periods have daily assignments of their own get that column.
            "daily_assigned": {
                pk
                for pk, period_rows in by_period.items()
                if any(row.daily_assignment is not None for row in period_rows)
            },
            "sort": sort,
            "descending": descending,
            "page": page,
            "pages": pages,
            "child_count": child_count,
            "first_shown": (page - 1) * CHILDREN_PER_PAGE + 1,
            "last_shown": min(page * CHILDREN_PER_PAGE, child_count),
            "reports": reports,
            "pledges": list(movement_selectors.pledges_of(unit=unit, movement=movement)),
            # A brigade formed for the movement: where its people come from.
            "secondments": movement_selectors.secondments_to(unit=unit, movement=movement),
            "breadcrumbs": _breadcrumbs(movement, unit),
        },
    )


def _breadcrumbs(movement: Movement, unit: Unit) -> list[tuple[Unit, bool]]:
    """The unit's ancestors, each with whether the reader may open its page here: an ancestor
    above the movement's scope, or outside what the reader may see, is named but not linked,
    since its page would be a 404 (the same checks as `unit_detail`)."""
    actor = current_actor()
    scope_paths = [scope.path for scope in movement.scope.all()]  # prefetched
    return [
        (
            ancestor,
            ancestor.pk == movement.organiser_id
            or (
                movement_selectors.in_scope(scope_paths, ancestor)
                and can_see_figures(actor, ancestor, movement)
            ),
        )
        for ancestor in unit_selectors.ancestors(unit)
    ]


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
        with_flags=False,
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


def error_400(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 400)


def error_403(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 403)


def error_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 404)


def error_500(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: nothing that could fail again (the session, the user,
    # the database) is touched while reporting a failure.
    title, message = PAGES[500]
    html = render_to_string("core/error.html", {"status": 500, "title": title, "message": message})
    return HttpResponse(html, status=500)

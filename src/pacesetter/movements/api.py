"""The movements API: movements and their lifecycle, indicators, periods, plans, pledges.
Every write goes through `movements.actions`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from pacesetter.accounts.permissions import (
    Capability,
    can,
    can_see_movement,
    current_actor,
    movement_filter,
    require_on_movement,
    unit_filter,
)
from pacesetter.core import rows
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.pagination import Pagination
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS, fields_renamed
from pacesetter.units.api import MAX_PAGE, unit_for_field, units_for_field

from . import actions
from .models import Indicator, Movement, Period, Plan, Pledge, Secondment
from .schemas import (
    GeneratedPeriodsOut,
    GeneratePeriodsIn,
    IndicatorIn,
    IndicatorOut,
    MovementIn,
    MovementOut,
    MovementPatch,
    PeriodIn,
    PeriodOut,
    PeriodsIn,
    PlanOut,
    PlansIn,
    PlansWritten,
    PledgeIn,
    PledgeOut,
    SecondmentIn,
    SecondmentOut,
)

router = Router(tags=["movements"])


def movement_or_404(
    slug: str, capability: Capability = Capability.VIEW, *, with_organiser: bool = True
) -> Movement:
    """The movement at an address if the caller may see it (else 404); for any other
    capability, the caller needs it on the organising unit (else 403).

    `with_organiser=False` is for the hot write paths (one report from a phone): one plain
    statement by the unique slug with the organiser's path, not a compiled ORM query, and
    the organiser itself loaded only if something asks for it."""
    movement: Movement | None
    if with_organiser:
        # no ORDER BY (get() drops the default ordering; a slug is unique)
        movement = next(
            iter(Movement.objects.select_related("organiser").filter(slug=slug).order_by()[:1]),
            None,
        )
    else:
        movement = rows.fetch_one(
            Movement,
            f"SELECT {rows.select_list(Movement)}, units_unit.path FROM movements_movement"
            " JOIN units_unit ON units_unit.id = movements_movement.organiser_id"
            " WHERE movements_movement.slug = %s",
            [slug],
            extra=["organiser_path"],
        )
    if movement is None:
        raise Http404(f"No movement {slug!r}.")
    organiser = movement.organiser if with_organiser else movement.organiser_path
    actor = current_actor()
    if can(actor, capability, organiser, movement):
        return movement  # organisers and operators: no need to look at the scope
    scope_paths = [unit.path for unit in movement.scope.all()]
    if capability is Capability.VIEW:
        if not can_see_movement(actor, movement, scope_paths):
            raise Http404(f"No movement {slug!r}.")
    else:
        require_on_movement(actor, capability, movement, scope_paths)
    return movement


def indicator_for_field(movement: Movement, code: str, *, field: str = "indicator") -> Indicator:
    indicator = movement.indicators.filter(code=code).first()
    if indicator is None:
        raise ValidationFailed(
            f"No indicator {code!r} in this movement.",
            errors=[RowError(1, field, f"no indicator {code!r} in this movement", "not_found")],
        )
    return indicator


def period_for_field(movement: Movement, name: str, *, field: str = "period") -> Period:
    """A period by name; an empty name is the whole movement."""
    periods = movement.periods.filter(name=name) if name else movement.periods.filter(is_whole=True)
    period = periods.first()
    if period is None:
        raise ValidationFailed(
            f"No period {name!r} in this movement.",
            errors=[RowError(1, field, f"no period {name!r} in this movement", "not_found")],
        )
    return period


# --- movements -----------------------------------------------------------------------------


@router.post("/movements", response={201: MovementOut, **WRITE_REFUSALS})
def create_movement(request: HttpRequest, payload: MovementIn):
    """Create a draft movement with its whole period. Scope defaults to the organiser's subtree."""
    movement = actions.create_movement(
        title=payload.title,
        slug=payload.slug,
        organiser=unit_for_field(
            payload.organiser, field="organiser", capability=Capability.ORGANISE
        ),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        call_text=payload.call_text,
        time_zone=payload.time_zone,
        scope=units_for_field(payload.scope, field="scope", capability=Capability.ORGANISE),
        is_public=payload.is_public,
        rank_on_verified=payload.rank_on_verified,
        titles_on_verified=payload.titles_on_verified,
        created_by=request.user,
    )
    return Status(201, movement_or_404(movement.slug))


@router.get("/movements", response={200: list[MovementOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def list_movements(
    request: HttpRequest,
    status: str | None = Query(None, description="draft | launched | closed"),
):
    movements: QuerySet[Movement] = (
        Movement.objects.filter(movement_filter(current_actor()))
        .distinct()
        .select_related("organiser")
        .prefetch_related("scope")
    )
    if status:
        movements = movements.filter(status=status)
    return movements.order_by("-starts_on", "title", "id")


@router.get("/movements/{slug}", response={200: MovementOut, **READ_REFUSALS})
def get_movement(request: HttpRequest, slug: str):
    return movement_or_404(slug)


@router.patch("/movements/{slug}", response={200: MovementOut, **WRITE_REFUSALS})
def update_movement(request: HttpRequest, slug: str, payload: MovementPatch):
    """Change the title, the call, whether the movement is public, and whether it ranks
    (before launch) and judges titles on verified figures only. Needs ORGANISE."""
    actions.update_movement(
        movement=movement_or_404(slug, Capability.ORGANISE),
        **payload.model_dump(exclude_unset=True),
    )
    return movement_or_404(slug)


@router.post("/movements/{slug}/launch", response={200: MovementOut, **WRITE_REFUSALS})
def launch_movement(request: HttpRequest, slug: str):
    """Draft → launched: reports are accepted from now on. Needs at least one indicator."""
    actions.launch_movement(movement=movement_or_404(slug, Capability.ORGANISE))
    return movement_or_404(slug)


@router.post("/movements/{slug}/close", response={200: MovementOut, **WRITE_REFUSALS})
def close_movement(request: HttpRequest, slug: str):
    """Launched → closed: the movement becomes read-only."""
    actions.close_movement(movement=movement_or_404(slug, Capability.ORGANISE))
    return movement_or_404(slug)


# --- indicators and periods ----------------------------------------------------------------


@router.post("/movements/{slug}/indicators", response={201: IndicatorOut, **WRITE_REFUSALS})
def add_indicator(request: HttpRequest, slug: str, payload: IndicatorIn):
    """Add an indicator; only while the movement is a draft."""
    indicator = actions.add_indicator(
        movement=movement_or_404(slug, Capability.ORGANISE), **payload.dict()
    )
    return Status(201, indicator)


@router.get("/movements/{slug}/indicators", response={200: list[IndicatorOut], **READ_REFUSALS})
def list_indicators(request: HttpRequest, slug: str):
    return list(movement_or_404(slug).indicators.order_by("position", "id"))


@router.post("/movements/{slug}/periods", response={201: PeriodOut, **WRITE_REFUSALS})
def add_period(request: HttpRequest, slug: str, payload: PeriodIn):
    """Add a sub-period inside the movement's period; only while it is a draft."""
    period = actions.add_period(
        movement=movement_or_404(slug, Capability.ORGANISE),
        name=payload.name,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return Status(201, period)


@router.post("/movements/{slug}/periods/monthly", response={201: list[PeriodOut], **WRITE_REFUSALS})
def add_monthly_periods(request: HttpRequest, slug: str):
    """Add one period per calendar month, clipped to the movement's period."""
    return Status(
        201, actions.add_monthly_periods(movement=movement_or_404(slug, Capability.ORGANISE))
    )


@router.post(
    "/movements/{slug}/periods/generate", response={201: GeneratedPeriodsOut, **WRITE_REFUSALS}
)
def generate_periods(request: HttpRequest, slug: str, payload: GeneratePeriodsIn):
    """Add periods of one length (every day, week, month, quarter or year) tiling the
    movement, the first and last clipped to its dates. Periods of the series that exist
    already are kept; a 422 names each period of the series an existing period crosses."""
    return Status(
        201,
        actions.generate_periods(
            movement=movement_or_404(slug, Capability.ORGANISE),
            every=payload.every,
            week_starts=payload.week_starts,
        ),
    )


@router.post("/movements/{slug}/periods/custom", response={201: list[PeriodOut], **WRITE_REFUSALS})
def add_custom_periods(request: HttpRequest, slug: str, payload: PeriodsIn):
    """Add a list of periods of any dates, all or nothing; a 422 names each bad row."""
    return Status(
        201,
        actions.add_periods(
            movement=movement_or_404(slug, Capability.ORGANISE),
            periods=[
                actions.PeriodSpec(name=p.name, starts_on=p.starts_on, ends_on=p.ends_on)
                for p in payload.periods
            ],
        ),
    )


@router.get("/movements/{slug}/periods", response={200: list[PeriodOut], **READ_REFUSALS})
def list_periods(request: HttpRequest, slug: str):
    """The whole movement first, then the sub-periods by date."""
    return list(movement_or_404(slug).periods.all())


# --- plans ---------------------------------------------------------------------------------


@router.post("/movements/{slug}/plans", response={200: PlansWritten, **WRITE_REFUSALS})
def set_plans(request: HttpRequest, slug: str, payload: PlansIn):
    """Create or replace plans (one per unit × indicator × period), all or nothing; a 422
    lists every bad row."""
    with fields_renamed({"unit_code": "unit"}):
        written = actions.set_plans(
            movement=movement_or_404(slug),
            rows=[
                actions.PlanRow(
                    unit_code=row.unit,
                    indicator=row.indicator,
                    planned=row.planned,
                    period=row.period,
                    rated_capacity=row.rated_capacity,
                    daily_assignment=row.daily_assignment,
                    base=row.base,
                    base_label=row.base_label,
                    note=row.note,
                )
                for row in payload.rows
            ],
        )
    return {"written": written}


@router.get("/movements/{slug}/plans", response={200: list[PlanOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def list_plans(
    request: HttpRequest,
    slug: str,
    unit: str | None = Query(None, description="A unit code"),
    indicator: str | None = Query(None, description="An indicator code"),
    period: str | None = Query(None, description="A period name"),
):
    movement = movement_or_404(slug)
    plans = Plan.objects.filter(
        unit_filter(current_actor(), Capability.VIEW, movement), indicator__movement=movement
    ).select_related("unit", "indicator", "period")
    if unit:
        plans = plans.filter(unit=unit_for_field(unit, field="unit"))
    if indicator:
        plans = plans.filter(indicator=indicator_for_field(movement, indicator))
    if period:
        plans = plans.filter(period=period_for_field(movement, period))
    return plans.order_by("unit__path", "indicator__position", "period__starts_on", "id")


# --- pledges -------------------------------------------------------------------------------


@router.post("/movements/{slug}/pledges", response={201: PledgeOut, **WRITE_REFUSALS})
def register_pledge(request: HttpRequest, slug: str, payload: PledgeIn):
    """Register a commitment beyond the plan: an extra quantity or a percentage above it."""
    movement = movement_or_404(slug)
    pledge = actions.register_pledge(
        unit=unit_for_field(payload.unit, field="unit", capability=Capability.PLAN),
        indicator=indicator_for_field(movement, payload.indicator),
        extra=payload.extra,
        extra_percent=payload.extra_percent,
        period=period_for_field(movement, payload.period),
        registered_on=payload.registered_on,
        text=payload.text,
        registered_by=request.user,
    )
    return Status(
        201,
        Pledge.objects.select_related("unit", "indicator", "period", "registered_by").get(
            pk=pledge.pk
        ),
    )


@router.get("/movements/{slug}/pledges", response={200: list[PledgeOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def list_pledges(
    request: HttpRequest,
    slug: str,
    unit: str | None = Query(None, description="A unit code"),
    indicator: str | None = Query(None, description="An indicator code"),
):
    movement = movement_or_404(slug)
    pledges = Pledge.objects.filter(
        unit_filter(current_actor(), Capability.VIEW, movement), indicator__movement=movement
    ).select_related("unit", "indicator", "period", "registered_by")
    if unit:
        pledges = pledges.filter(unit=unit_for_field(unit, field="unit"))
    if indicator:
        pledges = pledges.filter(indicator=indicator_for_field(movement, indicator))
    return pledges.order_by("-registered_on", "-id")


# --- secondments ---------------------------------------------------------------------------


@router.post("/movements/{slug}/secondments", response={201: SecondmentOut, **WRITE_REFUSALS})
def second_persons(request: HttpRequest, slug: str, payload: SecondmentIn):
    """Record persons of a home unit seconded to a brigade (a temporary unit formed for the
    movement, under its organiser): set again, the number and note are replaced. The
    brigade's reports are filed on the brigade, so they roll up once."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    secondment = actions.second_persons(
        movement=movement,
        brigade=unit_for_field(payload.brigade, field="brigade"),
        home=unit_for_field(payload.home, field="home"),
        persons=payload.persons,
        note=payload.note,
    )
    return Status(201, Secondment.objects.select_related("brigade", "home").get(pk=secondment.pk))


@router.get("/movements/{slug}/secondments", response={200: list[SecondmentOut], **READ_REFUSALS})
@paginate(Pagination, max_limit=MAX_PAGE)
def list_secondments(
    request: HttpRequest,
    slug: str,
    brigade: str | None = Query(None, description="A brigade's unit code"),
):
    """Where the movement's brigades draw their people from, brigade by brigade."""
    movement = movement_or_404(slug)
    secondments = Secondment.objects.filter(
        unit_filter(current_actor(), Capability.VIEW, movement, field="brigade"),
        movement=movement,
    ).select_related("brigade", "home")
    if brigade:
        secondments = secondments.filter(brigade=unit_for_field(brigade, field="brigade"))
    return secondments.order_by("brigade__path", "home__path")

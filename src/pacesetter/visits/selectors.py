"""Reading visits: lists filtered to what the actor may see, one visit with its follow-ups, a
person's own visit counts, overdue follow-ups of a subtree, and the coverage of a subtree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import ExtractYear, StrIndex, Substr

from pacesetter.accounts.permissions import Actor, Capability, can, unit_filter
from pacesetter.units.models import Unit, UnitKind
from pacesetter.voices import selectors as voices_selectors
from pacesetter.voices.models import Voice

from . import domain
from .models import FollowUpEvent, FollowUpTask, UnitVisitYear, Visit, VisitVisitor


def visits_for(actor: Actor, *, unit: Unit | None = None) -> QuerySet[Visit]:
    """Visits the actor may see (VIEW on the visited unit), in a unit's subtree if given,
    newest first, with their visitors in one more query."""
    rows = (
        Visit.objects.filter(unit_filter(actor, Capability.VIEW))
        .select_related("unit", "movement")
        .prefetch_related(
            Prefetch("visitors", queryset=VisitVisitor.objects.select_related("user"))
        )
    )
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    return rows


def visit_voices(actor: Actor, visit: Visit) -> list[Voice]:
    """The voices collected on the visit that the actor may see (the voices app's rule: an
    anonymous voice only for those who handle it)."""
    return list(
        Voice.objects.filter(voices_selectors.visible(actor), visit_link__visit=visit)
        .select_related("topic", "routed_to")
        .order_by("visit_link__id")
    )


def visit_detail(actor: Actor, visit_id: int) -> Visit | None:
    """One visit the actor may see, with its visitors and follow-ups (owners and events)."""
    return (
        visits_for(actor)
        .select_related("recorded_by")
        .prefetch_related(
            Prefetch(
                "follow_ups",
                queryset=FollowUpTask.objects.select_related("owner").prefetch_related(
                    Prefetch("events", queryset=FollowUpEvent.objects.all())
                ),
            )
        )
        .filter(pk=visit_id)
        .first()
    )


def may_record(actor: Actor, unit: Unit) -> bool:
    return can(actor, Capability.VISIT, unit)


def may_mark(actor: Actor, task: FollowUpTask, unit: Unit) -> bool:
    owns = actor.user is not None and actor.is_authenticated and task.owner_id == actor.user.pk
    return owns or can(actor, Capability.VISIT, unit)


def unit_years(unit: Unit) -> list[UnitVisitYear]:
    """The unit's own visits per year, newest year first (the maintained aggregate)."""
    return list(UnitVisitYear.objects.filter(unit=unit).order_by("-year"))


@dataclass
class YearCount:
    year: int
    visits: int
    units: int


@dataclass
class PersonVisits:
    """A person's own visits: all of them and the distinct units they reached, and per year."""

    visits: int = 0
    units: int = 0
    years: list[YearCount] = field(default_factory=list)


def person_visits(user) -> PersonVisits:
    """Two queries, whatever the number of visits: per year, and distinct units over a
    lifetime (a unit visited in two years counts once there)."""
    mine = VisitVisitor.objects.filter(user=user)
    years = [
        YearCount(row["year"], row["visits"], row["units"])
        for row in mine.annotate(year=ExtractYear("visit__visited_on"))
        .values("year")
        .annotate(visits=Count("id"), units=Count("visit__unit", distinct=True))
        .order_by("-year")
    ]
    units = mine.aggregate(units=Count("visit__unit", distinct=True))["units"] if years else 0
    return PersonVisits(visits=sum(y.visits for y in years), units=units, years=years)


def overdue(actor: Actor, *, unit: Unit, today: dt.date) -> QuerySet[FollowUpTask]:
    """Follow-ups not done and due before `today`, of visits in the unit's subtree the actor
    may see, the longest overdue first."""
    return (
        FollowUpTask.objects.filter(
            unit_filter(actor, Capability.VIEW, field="visit__unit"),
            visit__unit__path__startswith=unit.path,
            done=False,
            due_on__lt=today,
        )
        .select_related("owner", "visit__unit")
        .order_by("due_on", "id")
    )


# --- coverage ------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    """One child subtree (or the unit itself): units of the kind, how many were visited."""

    unit: Unit
    total: int = 0
    visited: int = 0
    itself: bool = False

    @property
    def share(self) -> Decimal | None:
        return domain.share(self.visited, self.total)

    @property
    def heat(self) -> int | None:
        """The shade of the row's cell: the share's tenth (0 for under 10%, 10 for 100%)."""
        share = self.share
        return None if share is None else int(share // 10)


@dataclass
class Coverage:
    unit: Unit
    kind: UnitKind
    start: dt.date
    end: dt.date
    rows: list[CoverageRow] = field(default_factory=list)
    not_visited: list[Unit] = field(default_factory=list)  # the first NOT_VISITED_SHOWN

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)

    @property
    def visited(self) -> int:
        return sum(r.visited for r in self.rows)

    @property
    def share(self) -> Decimal | None:
        return domain.share(self.visited, self.total)

    @property
    def not_visited_count(self) -> int:
        return self.total - self.visited


NOT_VISITED_SHOWN = 200


def _visited_between(start: dt.date, end: dt.date) -> Exists:
    """Whether the outer unit had a visit in [start, end], from the year aggregate: a year row
    whose first or last visit falls in the range decides at once; only a row whose first and
    last visits straddle the whole range asks the visits themselves (an indexed probe of that
    unit's days)."""
    straddling = Q(first_on__lt=start, last_on__gt=end) & Q(
        Exists(
            Visit.objects.filter(
                unit_id=OuterRef(OuterRef("pk")), visited_on__gte=start, visited_on__lte=end
            )
        )
    )
    return Exists(
        UnitVisitYear.objects.filter(
            unit_id=OuterRef("pk"), year__gte=start.year, year__lte=end.year
        ).filter(
            Q(first_on__gte=start, first_on__lte=end)
            | Q(last_on__gte=start, last_on__lte=end)
            | straddling
        )
    )


def coverage(unit: Unit, *, kind: UnitKind, start: dt.date, end: dt.date) -> Coverage:
    """The active units of `kind` in the unit's subtree visited at least once in [start, end],
    per child subtree (and the unit itself, if of that kind), and the units not visited.

    Three queries whatever the size of the tree: the children; one grouped count over the
    subtree (each unit's child subtree is the prefix of its path one step below `unit`); and
    the first units not visited, with their last visit ever (none: never visited)."""
    result = Coverage(unit=unit, kind=kind, start=start, end=end)
    children = list(Unit.objects.filter(parent=unit).order_by("path"))
    by_prefix: dict[str, CoverageRow] = {unit.path: CoverageRow(unit, itself=True)}
    for child in children:
        by_prefix[child.path] = CoverageRow(child)
    depth = len(unit.path)
    # "/1/5/23/" below "/1/": the text up to the first "/" after the unit's own path.
    child_prefix = Substr("path", 1, Value(depth) + StrIndex(Substr("path", depth + 1), Value("/")))
    units = Unit.objects.filter(path__startswith=unit.path, kind=kind, archived=False)
    grouped = (
        units.annotate(prefix=child_prefix, seen=_visited_between(start, end))
        .values("prefix")
        .annotate(total=Count("id"), visited=Count("id", filter=Q(seen=True)))
        .order_by()
    )
    for row in grouped:
        target = by_prefix.get(row["prefix"])
        if target is not None:  # a unit moved in between: counted at its new place next time
            target.total, target.visited = row["total"], row["visited"]
    own = by_prefix[unit.path]
    result.rows = ([own] if own.total else []) + [by_prefix[c.path] for c in children]
    last_ever = (
        UnitVisitYear.objects.filter(unit_id=OuterRef("pk")).order_by("-year").values("last_on")
    )
    result.not_visited = list(
        units.annotate(seen=_visited_between(start, end), last_visit=Subquery(last_ever[:1]))
        .filter(seen=False)
        .order_by("path")[:NOT_VISITED_SHOWN]
    )
    return result

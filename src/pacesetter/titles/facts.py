"""The facts rules look at, loaded in bulk for every candidate of a run in a fixed number of
queries, behind the evaluator's `Facts` protocol.

Ledger facts (plan fulfilment, verified figures, rank in a block) are read from the ledger's
aggregates (`SubtreePeriodTotal`, one row per unit × indicator × period), never by scanning
reports. Recorded facts (evaluations, discipline, initiatives, judgements) and earlier awards
are read once per run. Every value carries its source and where to see it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format

from pacesetter.core import facts as core_facts
from pacesetter.figures import domain as figures_domain
from pacesetter.ledger.models import SubtreePeriodTotal
from pacesetter.movements.models import Indicator, Movement, Period, Plan
from pacesetter.movements.period_series import span_label
from pacesetter.units.models import Block, Member, Unit

from . import domain
from .models import Award, DisciplinaryMeasure, Initiative, Judgement, YearlyEvaluation

_CHUNK = 900  # ids per IN (...) query, under SQLite's variable limit
_MARK = "987654321"


@dataclass(frozen=True, slots=True)
class Subject:
    """A candidate: a person (member_id set) or a unit; `unit_id` is the person's unit."""

    member_id: int | None
    unit_id: int
    name: str
    key: tuple[str, int] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        key = ("m", self.member_id) if self.member_id is not None else ("u", self.unit_id)
        object.__setattr__(self, "key", key)

    def __str__(self) -> str:
        return self.name


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def period_text(period: Period) -> str:
    """ "week 3 (15–21 Mar)": the period's name and its days, as explanations name it; a
    generated period already naming its days ("Week 3 (15–21 Mar)") is named once."""
    start, end = period.starts_on, period.ends_on
    if start.year != end.year:
        days = f"{date_format(start, 'j M Y')}–{date_format(end, 'j M Y')}"
    elif start.month != end.month:
        days = f"{date_format(start, 'j M')}–{date_format(end, 'j M')}"
    elif start != end:
        days = f"{start.day}–{date_format(end, 'j M')}"
    else:
        days = date_format(end, "j M")
    if period.name.endswith((f"({days})", f"({span_label(start, end)})")):
        return period.name
    return f"{period.name} ({days})"


# --- the rank fact: one function, so the emulation app's rankings can replace it -------------


def rank_in_block(
    *, block: Block, indicator: Indicator, period: Period, verified: bool
) -> dict[int, tuple[int, Decimal]]:
    """unit id → (place, fulfilment %) among the block's units that reported, by plan fulfilment
    on the period (all figures or verified only)."""
    unit_ids = list(block.units.filter(archived=False).values_list("id", flat=True))
    plans = dict(
        Plan.objects.filter(unit_id__in=unit_ids, indicator=indicator, period=period).values_list(
            "unit_id", "planned_minor"
        )
    )
    values: dict[int, Decimal] = {}
    for unit_id, quantity, verified_quantity in SubtreePeriodTotal.objects.filter(
        unit_id__in=unit_ids, indicator=indicator, period=period, entries__gt=0
    ).values_list("unit_id", "quantity_minor", "verified_minor"):
        planned = plans.get(unit_id)
        fulfilment = figures_domain.fulfilment(
            indicator.quantity(verified_quantity if verified else quantity),
            indicator.from_minor(planned),
            less_is_better=indicator.direction == Indicator.Direction.LESS,
        )
        if fulfilment is not None:
            values[unit_id] = fulfilment
    places = figures_domain.rank(values)
    return {unit_id: (place, values[unit_id]) for unit_id, place in places.items()}


# --- loading ------------------------------------------------------------------------------------


class LoadedFacts:
    """Every fact the pack's conditions need, for the given subjects and year."""

    def __init__(
        self,
        *,
        pack_titles: Mapping[str, int],
        subjects: Sequence[Subject],
        year: int,
        refs: Iterable[domain.FactRef],
        movement: Movement | None = None,
        history_years: int = 10,
        scope_path: str | None = None,
        period: Period | None = None,
    ):
        """`scope_path`: every subject is in this subtree (or is a member of a unit in it); the
        facts are then read with one path query per table instead of id lists. `period`: the
        title is judged per period, and the ledger's facts are this period's."""
        self.year = year
        self.period = period
        self.scope_path = scope_path
        self.movement = movement
        # reverse() once per kind, not once per fact: a run can judge 100,000 people.
        self._pages = {
            "m": reverse("titles:member-facts", args=[_MARK, year]),
            "u": reverse("titles:unit-facts", args=[_MARK, year]),
            "verify": reverse("titles:verify", args=[_MARK]),
        }
        self.pack_titles = pack_titles  # title code → Title id
        refs = set(refs)
        self.refs = refs
        people = [s for s in subjects if s.member_id is not None]
        units = [s for s in subjects if s.member_id is None]
        # A collective's members are subjects too (member-share conditions).
        self._members: dict[int, list[Subject]] = defaultdict(list)
        if units:
            unit_ids = [s.unit_id for s in units]
            for chunk in _chunks(unit_ids):
                for member_id, unit_id, name in Member.objects.filter(
                    unit_id__in=chunk, active=True
                ).values_list("id", "unit_id", "full_name"):
                    member = Subject(member_id, unit_id, name)
                    self._members[unit_id].append(member)
                    people.append(member)
        self.member_ids = sorted({s.member_id for s in people})
        self.unit_ids = sorted({s.unit_id for s in units})
        self._values: dict[tuple[tuple[str, int], str], domain.FactValue] = {}
        self._monthly: dict[tuple[int, str], list[tuple[str, domain.FactValue]]] = {}
        names = {ref.name for ref in refs}
        first_year = year - history_years
        self._load_evaluations(names)
        self._load_discipline(names)
        self._load_initiatives(refs)
        self._load_judgements(names)
        self._held: dict[tuple[tuple[str, int], str], dict[int, domain.Source]] = defaultdict(dict)
        self._load_awards(first_year)
        if movement is not None:
            self._load_ledger(refs)

    # domain.Facts

    def value(self, subject: Subject, fact: domain.FactRef, year: int) -> domain.FactValue:
        return self._values.get((subject.key, fact.key), domain.MISSING)

    def monthly(
        self, subject: Subject, fact: domain.FactRef, year: int
    ) -> list[tuple[str, domain.FactValue]]:
        return self._monthly.get((subject.unit_id, fact.key), [])

    def held_years(self, subject: Subject, title: str) -> Mapping[int, domain.Source]:
        return self._held.get((subject.key, title), {})

    def members(self, subject: Subject) -> Sequence[Subject]:
        return self._members.get(subject.unit_id, [])

    # loaders

    def _pairs(self, model, fields: Sequence[str], extra: Q | None = None):
        """Rows of a fact model for the subjects, people and units."""
        extra = extra or Q()
        if self.scope_path is not None:
            columns = ("member_id", "unit_id", *fields)
            if self.member_ids:
                yield from model.objects.filter(
                    extra, member__unit__path__startswith=self.scope_path
                ).values_list(*columns)
            if self.unit_ids:
                yield from model.objects.filter(
                    extra, unit__path__startswith=self.scope_path, member__isnull=True
                ).values_list(*columns)
            return
        for chunk in _chunks(self.member_ids):
            yield from model.objects.filter(extra, member_id__in=chunk).values_list(
                "member_id", "unit_id", *fields
            )
        for chunk in _chunks(self.unit_ids):
            yield from model.objects.filter(
                extra, unit_id__in=chunk, member__isnull=True
            ).values_list("member_id", "unit_id", *fields)

    @staticmethod
    def _key(member_id: int | None, unit_id: int | None) -> tuple[str, int]:
        return ("m", member_id) if member_id is not None else ("u", unit_id)

    def _source(self, key: tuple[str, int], label: str) -> domain.Source:
        kind, ident = key
        return domain.Source(label, self._pages[kind].replace(_MARK, str(ident), 1))

    def _load_evaluations(self, names: set[str]) -> None:
        if not names & {"rating", "months_worked"}:
            return
        for member_id, unit_id, rating, months, source in self._pairs(
            YearlyEvaluation, ("rating", "months_worked", "source"), Q(year=self.year)
        ):
            key = self._key(member_id, unit_id)
            src = (self._source(key, f"evaluation {self.year} ({source})"),)
            self._values[(key, "rating")] = domain.FactValue(rating, src)
            if months is not None:
                self._values[(key, "months_worked")] = domain.FactValue(Decimal(months), src)

    def _load_discipline(self, names: set[str]) -> None:
        if not names & {"discipline_level", "discipline_pending"}:
            return
        start, end = _year_bounds(self.year)
        in_force = (Q(decided_on__isnull=True) | Q(decided_on__lte=end)) & (
            Q(ends_on__isnull=True) | Q(ends_on__gte=start)
        )
        order = domain.DISCIPLINE_LEVELS
        for member_id, unit_id, level, decided_on, source in self._pairs(
            DisciplinaryMeasure, ("level", "decided_on", "source"), in_force
        ):
            key = self._key(member_id, unit_id)
            if decided_on is None:
                src = (self._source(key, f"pending case ({source})"),)
                self._values[(key, "discipline_pending")] = domain.FactValue(True, src)
                continue
            current = self._values.get((key, "discipline_level"))
            if current is None or order.index(level) > order.index(current.value):
                label = f"{level} decided {decided_on.isoformat()} ({source})"
                self._values[(key, "discipline_level")] = domain.FactValue(
                    level, (self._source(key, label),)
                )

    def _load_initiatives(self, refs: set[domain.FactRef]) -> None:
        """Initiatives recorded here and those other apps recognise (core.facts: a verified
        reserve is one), one query each: the widest scope, and how many."""
        wanted = [
            ref
            for ref in refs
            if ref.name in ("initiative_scope", "initiatives", "initiatives_per_member")
        ]
        if not wanted:
            return
        longest = max(int(ref.param("years", "1")) for ref in wanted)
        first = dt.date(self.year - longest + 1, 1, 1)
        _, end = _year_bounds(self.year)
        order = domain.INITIATIVE_SCOPES
        # (subject key, scope, recognised on, source)
        found: list[tuple[tuple[str, int], str, dt.date, domain.Source]] = []
        for member_id, unit_id, scope, recognised_on, title, source in self._pairs(
            Initiative,
            ("scope", "recognised_on", "title", "source"),
            Q(recognised_on__gte=first, recognised_on__lte=end),
        ):
            key = self._key(member_id, unit_id)
            label = f"initiative “{title}”, {scope}, {recognised_on.isoformat()} ({source})"
            found.append((key, scope, recognised_on, self._source(key, label)))
        for other in core_facts.recognised_initiatives(
            member_ids=self.member_ids,
            unit_ids=self.unit_ids,
            scope_path=self.scope_path,
            first=first,
            last=end,
        ):
            label = f"{other.label}, {other.scope}, {other.recognised_on.isoformat()}"
            keys = [("u", other.unit_id)]
            if other.member_id is not None:
                keys.append(("m", other.member_id))
            for key in keys:
                source = domain.Source(label, other.url) if other.url else self._source(key, label)
                found.append((key, other.scope, other.recognised_on, source))
        found.sort(key=lambda row: row[2])
        for ref in wanted:
            since = dt.date(self.year - int(ref.param("years", "1")) + 1, 1, 1)
            counted: dict[tuple[str, int], list[domain.Source]] = defaultdict(list)
            for key, scope, recognised_on, source in found:
                if recognised_on < since:
                    continue
                if ref.name in ("initiatives", "initiatives_per_member"):
                    counted[key].append(source)
                    continue
                current = self._values.get((key, ref.key))
                if current is None or order.index(scope) > order.index(current.value):
                    self._values[(key, ref.key)] = domain.FactValue(scope, (source,))
            if ref.name == "initiatives_per_member":
                self._per_member(ref, counted)
                continue
            for key, sources in counted.items():
                self._values[(key, ref.key)] = domain.FactValue(
                    Decimal(len(sources)), tuple(sources)
                )

    def _per_member(
        self, ref: domain.FactRef, counted: Mapping[tuple[str, int], list[domain.Source]]
    ) -> None:
        """A collective's members' initiatives ÷ its active members (none: nothing to judge)."""
        for unit_id in self.unit_ids:
            members = self._members.get(unit_id, [])
            if not members:
                continue
            sources = [source for m in members for source in counted.get(m.key, [])]
            innovators = sum(1 for m in members if counted.get(m.key))
            summary = self._source(
                ("u", unit_id),
                f"{len(sources)} initiatives of {len(members)} members; "
                f"{innovators} of them recognised for one or more",
            )
            self._values[(("u", unit_id), ref.key)] = domain.FactValue(
                Decimal(len(sources)) / len(members), (summary, *sources[:20])
            )

    def _load_judgements(self, names: set[str]) -> None:
        judged = names - set(domain.FACTS)
        if not judged:
            return
        for member_id, unit_id, name, value, source in self._pairs(
            Judgement, ("name", "value", "source"), Q(year=self.year, name__in=judged)
        ):
            key = self._key(member_id, unit_id)
            self._values[(key, name)] = domain.FactValue(
                value, (self._source(key, f"recorded judgement ({source})"),)
            )

    def _load_awards(self, first_year: int) -> None:
        if not self.pack_titles:
            return
        code_of = {title_id: code for code, title_id in self.pack_titles.items()}
        active = Q(
            title_id__in=list(code_of),
            year__gte=first_year,
            year__lte=self.year,
            revocation__isnull=True,
        )
        rows = self._pairs(Award, ("title_id", "year", "code", "title_name", "origin"), active)
        for member_id, unit_id, title_id, year, code, title_name, origin in rows:
            key = self._key(member_id, unit_id)
            # an imported award (the body's history) counts exactly like one made here
            how = "imported, " if origin == Award.Origin.IMPORTED else ""
            self._held[(key, code_of[title_id])][year] = domain.Source(
                f"{title_name} {year} ({how}certificate {code})",
                self._pages["verify"].replace(_MARK, code, 1),
            )

    def _load_ledger(self, refs: set[domain.FactRef]) -> None:
        movement = self.movement
        ledger_refs = [
            r for r in refs if r.name in ("plan_fulfilment", "all_verified", "rank_in_block")
        ]
        if not ledger_refs or not self.unit_ids:
            return
        start, end = _year_bounds(self.year)
        periods = list(movement.periods.all())
        year_period = next(
            (p for p in periods if p.starts_on == start and p.ends_on == end),
            next(
                (p for p in periods if p.is_whole and p.starts_on <= end and p.ends_on >= start),
                None,
            ),
        )
        if self.period is not None:
            # Judged per period: the ledger's facts are the period's, not the year's.
            year_period = self.period
        months = [
            p
            for p in periods
            if not p.is_whole
            and p.starts_on >= start
            and p.ends_on <= end
            and p.starts_on.day == 1
            and p.starts_on.month == p.ends_on.month
        ]
        # `every: period`: each sub-period of the movement ending in the year, in order.
        every_period = sorted(
            (p for p in periods if not p.is_whole and start <= p.ends_on <= end),
            key=lambda p: (p.starts_on, p.ends_on),
        )
        indicators = {i.code: i for i in movement.indicators.all()}
        wanted_periods = list(
            {p.pk for p in [year_period, *months, *every_period] if p is not None}
        )
        codes = {r.param("indicator") for r in ledger_refs}
        indicator_ids = [indicators[c].pk for c in codes if c in indicators]
        totals: dict[tuple[int, int, int], tuple[int, int, int, int]] = {}
        plans: dict[tuple[int, int, int], int | None] = {}
        for chunk in _chunks(self.unit_ids):
            for unit_id, indicator_id, period_id, q, v, e, ve in SubtreePeriodTotal.objects.filter(
                unit_id__in=chunk, indicator_id__in=indicator_ids, period_id__in=wanted_periods
            ).values_list(
                "unit_id",
                "indicator_id",
                "period_id",
                "quantity_minor",
                "verified_minor",
                "entries",
                "verified_entries",
            ):
                totals[(unit_id, indicator_id, period_id)] = (q, v, e, ve)
            for unit_id, indicator_id, period_id, planned in Plan.objects.filter(
                unit_id__in=chunk, indicator_id__in=indicator_ids, period_id__in=wanted_periods
            ).values_list("unit_id", "indicator_id", "period_id", "planned_minor"):
                plans[(unit_id, indicator_id, period_id)] = planned
        codes_of_units: dict[int, str] = {}
        for chunk in _chunks(self.unit_ids):
            codes_of_units.update(Unit.objects.filter(id__in=chunk).values_list("id", "code"))
        # the unit's page in the movement, where the reports behind the figure are listed
        page = reverse("unit-detail", args=[movement.slug, _MARK])

        def link(unit_id: int) -> str:
            code = codes_of_units.get(unit_id)
            return page.replace(_MARK, code, 1) if code else ""

        def fulfilment(
            unit_id: int, indicator: Indicator, period: Period, verified: bool
        ) -> domain.FactValue:
            q, v, e, ve = totals.get((unit_id, indicator.pk, period.pk), (0, 0, 0, 0))
            planned = indicator.from_minor(plans.get((unit_id, indicator.pk, period.pk)))
            actual = indicator.quantity(v if verified else q)
            value = figures_domain.fulfilment(
                actual, planned, less_is_better=indicator.direction == Indicator.Direction.LESS
            )
            which = "verified" if verified else "all"
            label = (
                f"{indicator.name}, {period.name}: {actual} {indicator.measure} ({which} figures) "
                f"of a plan of {planned if planned is not None else 'none'}; {e} reports, {ve} verified"
            )
            return domain.FactValue(value, (domain.Source(label, link(unit_id)),))

        for ref in ledger_refs:
            indicator = indicators.get(ref.param("indicator"))
            if indicator is None:
                continue
            # A movement judging titles on verified figures reads them whatever the rule says.
            verified = movement.titles_on_verified or ref.param("figures", "all") == "verified"
            if ref.name == "plan_fulfilment" and ref.param("every") in ("month", "period"):
                each = months if ref.param("every") == "month" else every_period
                for unit_id in self.unit_ids:
                    self._monthly[(unit_id, ref.key)] = [
                        (p.name, fulfilment(unit_id, indicator, p, verified)) for p in each
                    ]
            elif ref.name == "plan_fulfilment" and year_period is not None:
                for unit_id in self.unit_ids:
                    self._values[(("u", unit_id), ref.key)] = fulfilment(
                        unit_id, indicator, year_period, verified
                    )
            elif ref.name == "all_verified" and year_period is not None:
                for unit_id in self.unit_ids:
                    _q, _v, e, ve = totals.get(
                        (unit_id, indicator.pk, year_period.pk), (0, 0, 0, 0)
                    )
                    label = f"{indicator.name}, {year_period.name}: {ve} of {e} reports verified"
                    self._values[(("u", unit_id), ref.key)] = domain.FactValue(
                        e > 0 and e == ve, (domain.Source(label, link(unit_id)),)
                    )
            elif ref.name == "rank_in_block" and year_period is not None:
                block = Block.objects.filter(code=ref.param("block")).first()
                if block is None:
                    continue
                places = rank_in_block(
                    block=block, indicator=indicator, period=year_period, verified=verified
                )
                for unit_id in self.unit_ids:
                    if unit_id in places:
                        place, value = places[unit_id]
                        label = f"place {place} of {len(places)} in {block.name} ({value.quantize(Decimal('0.1'))}% on {indicator.name})"
                        self._values[(("u", unit_id), ref.key)] = domain.FactValue(
                            Decimal(place), (domain.Source(label, link(unit_id)),)
                        )

"""The only write path for titles: loading rule packs, recording facts, evaluation runs,
nominations, council votes, awards and revocations. Each runs in one transaction and writes
one audit row (`@audited`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from pacesetter.accounts.permissions import Capability, can, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import (
    NotAllowed,
    RowError,
    StateError,
    ValidationFailed,
    raise_for_rows,
)
from pacesetter.movements.models import Movement, Period
from pacesetter.movements.selectors import movement_today
from pacesetter.units.models import Member, Unit, tree_order

from . import domain
from .access import require_organiser
from .caps import competing_explanation, may_go_forward, require_place
from .facts import LoadedFacts, Subject, period_text
from .models import (
    Award,
    Candidate,
    DisciplinaryMeasure,
    EvaluationRun,
    Initiative,
    Judgement,
    Nomination,
    PackRevision,
    RulePack,
    Title,
    Vote,
    YearlyEvaluation,
)
from .periods import judged_period
from .selectors import council_for, parsed, rule_of, tally

_BULK = 2000


def _today(movement: Movement | None) -> dt.date:
    """Today where the award is made: in the movement's time zone (a decision signed in the
    morning in Pyongyang is not dated yesterday because the server keeps UTC)."""
    return movement_today(movement) if movement is not None else timezone.localdate()


def _user():
    actor = current_actor()
    return actor.user if actor.is_authenticated and not actor.is_system else None


# --- packs --------------------------------------------------------------------------------------


@audited("titles.load_pack")
def load_pack(*, text: str) -> PackRevision:
    """Load a pack's text: parsed and validated whole (errors by line, nothing saved), then kept
    as a new revision, and its titles created or renamed. Loading the same text again answers
    the current revision. Titles a new revision drops stay, with their awards."""
    require_organiser()
    try:
        pack = domain.parse_pack(text)
    except domain.PackError as exc:
        raise ValidationFailed(
            f"The rule pack has {len(exc.problems)} problem{'s' if len(exc.problems) > 1 else ''}; nothing was loaded.",
            errors=[
                RowError(row=p.line, field=p.path or "pack", message=p.message)
                for p in exc.problems
            ],
        ) from None
    sha = hashlib.sha256(text.encode()).hexdigest()
    rule_pack, _ = RulePack.objects.select_for_update().get_or_create(
        slug=pack.slug, defaults={"name": pack.name, "description": pack.description}
    )
    note(before=rule_pack)
    if rule_pack.current_id is not None and rule_pack.current.sha256 == sha:
        return rule_pack.current
    number = (rule_pack.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = PackRevision.objects.create(
        pack=rule_pack, number=number, text=text, sha256=sha, loaded_by=_user()
    )
    rule_pack.name, rule_pack.description, rule_pack.current = pack.name, pack.description, revision
    rule_pack.save(update_fields=["name", "description", "current"])
    existing = {t.code: t for t in rule_pack.titles.all()}
    for title in pack.titles:
        if title.code in existing:
            row = existing[title.code]
            if (row.name, row.subject) != (title.name, title.subject):
                row.name, row.subject = title.name, title.subject
                row.save(update_fields=["name", "subject"])
        else:
            Title.objects.create(
                pack=rule_pack, code=title.code, name=title.name, subject=title.subject
            )
    return revision


# --- facts --------------------------------------------------------------------------------------

FACT_KINDS = {
    "evaluations": ("year", "rating"),
    "discipline": ("level",),
    "initiatives": ("title", "scope", "recognised_on"),
    "judgements": ("year", "name", "value"),
}
FACT_OPTIONAL = {
    "evaluations": ("months_worked",),
    "discipline": ("decided_on", "ends_on", "reason"),
    "initiatives": ("recognised_by",),
    "judgements": ("note",),
}
SUBJECT_COLUMNS = ("member", "unit")  # a member's external id, or a unit's code


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _fact_row(
    kind: str, row: dict[str, str], number: int, errors: list[RowError]
) -> dict[str, Any] | None:
    """One row's values checked and converted; appends what is wrong to `errors`."""
    start = len(errors)
    out: dict[str, Any] = {}

    def bad(field: str, message: str) -> None:
        errors.append(RowError(row=number, field=field, message=message))

    for field in FACT_KINDS[kind]:
        if not (row.get(field) or "").strip():
            bad(field, "required")
    if len(errors) > start:
        return None
    get = lambda name: (row.get(name) or "").strip()  # noqa: E731
    if "year" in FACT_KINDS[kind]:
        year = get("year")
        if not year.isdigit() or not 1900 <= int(year) <= 2200:
            bad("year", f"a year like 2024, not {year!r}")
        else:
            out["year"] = int(year)
    if kind == "evaluations":
        if get("rating") not in domain.RATINGS:
            bad("rating", f"one of {', '.join(domain.RATINGS)}, not {get('rating')!r}")
        out["rating"] = get("rating")
        if get("months_worked"):
            try:
                months = Decimal(get("months_worked"))
            except InvalidOperation:
                months = None
            if (
                months is None
                or not months.is_finite()
                or not 0 <= months <= 12
                or months != months.quantize(Decimal("0.1"))
            ):
                bad(
                    "months_worked",
                    f"a number of months from 0 to 12 (one decimal), not {get('months_worked')!r}",
                )
            out["months_worked"] = months
    elif kind == "discipline":
        if get("level") not in domain.DISCIPLINE_LEVELS[1:]:
            bad("level", f"one of {', '.join(domain.DISCIPLINE_LEVELS[1:])}, not {get('level')!r}")
        out["level"] = get("level")
        for field in ("decided_on", "ends_on"):
            out[field] = _date(get(field)) if get(field) else None
            if get(field) and out[field] is None:
                bad(field, f"a date as YYYY-MM-DD, not {get(field)!r}")
        if out.get("decided_on") and out.get("ends_on") and out["ends_on"] < out["decided_on"]:
            bad("ends_on", "the measure ends before it was decided")
        out["reason"] = get("reason")[:300]
    elif kind == "initiatives":
        if get("scope") not in domain.INITIATIVE_SCOPES[1:]:
            bad("scope", f"one of {', '.join(domain.INITIATIVE_SCOPES[1:])}, not {get('scope')!r}")
        out["scope"] = get("scope")
        out["title"] = get("title")[:300]
        out["recognised_on"] = _date(get("recognised_on"))
        if out["recognised_on"] is None:
            bad("recognised_on", f"a date as YYYY-MM-DD, not {get('recognised_on')!r}")
        out["recognised_by"] = get("recognised_by")[:200]
    else:
        value = get("value").lower()
        if value not in ("yes", "no", "true", "false", "1", "0"):
            bad("value", f"yes or no, not {get('value')!r}")
        out["value"] = value in ("yes", "true", "1")
        out["name"] = get("name")
        out["note"] = get("note")[:300]
    return out if len(errors) == start else None


def _visible_subjects(
    rows: Sequence[dict[str, str]],
) -> tuple[dict[str, Member], dict[str, Unit]]:
    """The members (by external id) and units (by code) the rows name that the actor may see.
    A subject the actor may not see is unknown to them, exactly like one that does not exist;
    one they see but may not organise refuses the whole batch (403, the caller's check)."""
    actor = current_actor()
    external_ids = {(r.get("member") or "").strip() for r in rows} - {""}
    unit_codes = {(r.get("unit") or "").strip() for r in rows} - {""}
    members = {
        m.external_id: m
        for m in Member.objects.filter(external_id__in=external_ids).select_related("unit")
        if can(actor, Capability.VIEW, m.unit)
    }
    units = {
        u.code: u
        for u in Unit.objects.filter(code__in=unit_codes)
        if can(actor, Capability.VIEW, u)
    }
    return members, units


@audited("titles.record_facts")
def record_facts(
    *,
    kind: str,
    rows: Sequence[dict[str, str]],
    source: str,
    row_numbers: Sequence[int] | None = None,
) -> int:
    """Record facts of one kind from rows of text (an imported file or a form): every row is
    checked first and all are recorded or none. A person is named by `member` (their external
    id), a collective by `unit` (its code). Evaluations and judgements replace an earlier one
    for the same subject and year; discipline and initiatives are added. Returns the count."""
    if kind not in FACT_KINDS:
        raise ValidationFailed(f"Unknown kind of fact {kind!r}; one of {', '.join(FACT_KINDS)}.")
    errors: list[RowError] = []
    actor = current_actor()
    members, units = _visible_subjects(rows)
    refused: set[str] = set()
    prepared: list[tuple[Member | None, Unit | None, dict[str, Any], int]] = []
    for number, row in enumerate(rows, start=1):
        member_id = (row.get("member") or "").strip()
        unit_code = (row.get("unit") or "").strip()
        if bool(member_id) == bool(unit_code):
            errors.append(
                RowError(
                    row=number,
                    field="member",
                    message="name either a member (external id) or a unit (code)",
                )
            )
            continue
        member = members.get(member_id) if member_id else None
        unit = units.get(unit_code) if unit_code else None
        if member_id and member is None:
            errors.append(
                RowError(
                    row=number,
                    field="member",
                    message=f"no member with the id {member_id!r}",
                    code="not_found",
                )
            )
        if unit_code and unit is None:
            errors.append(
                RowError(
                    row=number,
                    field="unit",
                    message=f"no unit with the code {unit_code!r}",
                    code="not_found",
                )
            )
        subject_unit = member.unit if member else unit
        if subject_unit is not None and not can(actor, Capability.ORGANISE, subject_unit):
            refused.add(subject_unit.code)
        values = _fact_row(kind, row, number, errors)
        if values is not None and (member or unit):
            prepared.append((member, unit, values, number))
    errors.extend(_repeated_facts(kind, prepared, row_numbers))
    raise_for_rows(errors, what="fact", total=len(rows))
    if refused:
        raise NotAllowed(
            f"Only organisers record facts; you may not for {', '.join(sorted(refused))}."
        )
    user = _user()
    model = {
        "evaluations": YearlyEvaluation,
        "discipline": DisciplinaryMeasure,
        "initiatives": Initiative,
        "judgements": Judgement,
    }[kind]
    objects = []
    for member, unit, values, number in prepared:
        subject = {"member": member, "unit": None} if member else {"member": None, "unit": unit}
        if kind in ("evaluations", "judgements"):
            match = {
                "year": values["year"],
                **({"name": values["name"]} if kind == "judgements" else {}),
            }
            model.objects.filter(**subject, **match).delete()
        file_row = row_numbers[number - 1] if row_numbers else number
        row_source = f"{source} row {file_row}" if len(rows) > 1 or row_numbers else source
        objects.append(model(**subject, **values, source=row_source[:300], recorded_by=user))
    model.objects.bulk_create(objects, batch_size=_BULK)
    return len(objects)


def _repeated_facts(
    kind: str,
    prepared: Sequence[tuple[Member | None, Unit | None, dict[str, Any], int]],
    row_numbers: Sequence[int] | None,
) -> list[RowError]:
    """An evaluation is one per subject and year, a judgement one per subject, year and name:
    two such rows in one batch would leave it to the order of the rows which one counts (and
    break the database's uniqueness), so the second is a row error naming the first."""
    if kind not in ("evaluations", "judgements"):
        return []
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for member, unit, values, number in prepared:
        key = (
            ("member", member.pk) if member else ("unit", unit.pk),
            values["year"],
            values.get("name"),
        )
        first = seen.setdefault(key, number)
        if first != number:
            shown = row_numbers[first - 1] if row_numbers else first
            same = "year and name" if kind == "judgements" else "year"
            subject = "member" if member else "unit"
            errors.append(
                RowError(
                    number,
                    "name" if kind == "judgements" else "year",
                    f"repeats row {shown} (the same {subject}, {same}); keep one of them",
                    "duplicate",
                )
            )
    return errors


# --- evaluation ---------------------------------------------------------------------------------


def _subjects(title: domain.TitleRule, scope: Unit) -> list[Subject]:
    if title.subject == "person":
        return [
            Subject(member_id, unit_id, name)
            for member_id, unit_id, name in Member.objects.filter(
                unit__path__startswith=scope.path, active=True
            )
            .order_by("id")
            .values_list("id", "unit_id", "full_name")
        ]
    units = Unit.objects.filter(path__startswith=scope.path, archived=False)
    if title.unit_kind:
        units = units.filter(kind__code=title.unit_kind)
    return [
        Subject(None, unit_id, name)
        for unit_id, name in units.order_by(tree_order()).values_list("id", "name")
    ]


def _refs(version: domain.RuleVersion) -> set[domain.FactRef]:
    refs: set[domain.FactRef] = set()
    for condition in (version.requires, *version.prerequisites, *version.exclusions):
        refs |= domain.facts_used(condition)
    if version.cap is not None and version.cap.of is not None:
        refs |= domain.facts_used(version.cap.of)
    refs |= {key.fact for key in version.rank_by}
    return refs


def _facts(
    pack: RulePack,
    version: domain.RuleVersion,
    subjects: Sequence[Subject],
    year: int,
    movement: Movement | None,
    scope_path: str | None = None,
    period: Period | None = None,
) -> LoadedFacts:
    return LoadedFacts(
        pack_titles=dict(pack.titles.values_list("code", "id")),
        subjects=subjects,
        year=year,
        refs=_refs(version),
        movement=movement,
        scope_path=scope_path,
        period=period,
    )


def _summary(outcome: domain.Outcome) -> str:
    return "\n".join(outcome.why_not())[:2000]


@audited("titles.run_evaluation")
def run_evaluation(
    *,
    title: Title,
    year: int | None = None,
    scope: Unit,
    movement: Movement | None = None,
    period: Period | None = None,
) -> EvaluationRun:
    """Judge every candidate in `scope` (its members, or its units of the title's kind) for
    `title` and `year` by the pack's current revision and the rule version in force on the
    year's last day; apply the cap, ranking eligible candidates by the rule's `rank_by`.
    With no order stated and more qualifying than the cap allows, all compete for the places
    (`competing_for`, see `caps`): the council or the awarding body chooses.
    A title judged per period is judged for one `period` of the movement instead: the
    ledger's facts are that period's, the version is the one in force on its last day, and
    the run's year is the year the period ends in.
    Guarantees: every candidate has a stored explanation; nothing else changes."""
    started = time.perf_counter()
    require(current_actor(), Capability.ORGANISE, scope, movement)
    note(unit=scope, movement=movement)
    revision = title.pack.current
    pack = parsed(revision)
    rule = pack.title(title.code)
    period = judged_period(rule, period, movement)
    if period is not None:
        if year is not None and year != period.ends_on.year:
            raise ValidationFailed(
                f"{period.name} ends in {period.ends_on.year}, not {year}: leave the year out.",
                errors=[RowError(row=1, field="year", message=f"{period.ends_on.year} or empty")],
            )
        year = period.ends_on.year
        version = rule.version_on(period.ends_on)
        when = period_text(period)
    elif year is None:
        raise ValidationFailed(
            f"{rule.name} is judged per year: choose the year.",
            errors=[RowError(row=1, field="year", message="required")],
        )
    else:
        version = rule.version_for(year)
        when = str(year)
    if version is None:
        raise StateError(f"No rule version of {rule.name} is in force for {when}.")
    needs_ledger = any(
        r.name in ("plan_fulfilment", "all_verified", "rank_in_block") for r in _refs(version)
    )
    if needs_ledger and movement is None:
        raise ValidationFailed(
            "This title looks at figures from the ledger: choose the movement.",
            errors=[RowError(row=1, field="movement", message="required for this title")],
        )
    subjects = _subjects(rule, scope)
    facts = _facts(title.pack, version, subjects, year, movement, scope.path, period)
    run = EvaluationRun.objects.create(
        title=title,
        revision=revision,
        rule_version=version.id,
        year=year,
        scope=scope,
        movement=movement,
        period=period,
        created_by=_user(),
    )
    judged = when if period is not None else ""
    evaluator = domain.Evaluator(facts, year, judged)
    entries: list[domain.CapEntry] = []
    # Kept as (eligible, why not, conditions, missed, explanation as JSON): the trees
    # themselves would hold hundreds of megabytes at 100,000 candidates.
    outcomes: list[tuple[bool, str, int, int, str]] = []
    for subject in subjects:
        outcome = domain.evaluate(version, facts, subject, year, judged)
        outcomes.append(
            (
                outcome.eligible,
                "" if outcome.eligible else _summary(outcome),
                outcome.tree.conditions(),
                len(outcome.tree.failures()),
                json.dumps(outcome.tree.as_dict(), ensure_ascii=False, separators=(",", ":")),
            )
        )
        in_base = True
        if version.cap is not None and version.cap.of is not None:
            in_base = evaluator.condition(version.cap.of, subject).passed
        rank = tuple(
            domain.rank_value(facts.value(subject, key.fact, year), key) for key in version.rank_by
        )
        entries.append(
            domain.CapEntry(
                subject.key, subject.unit_id, outcome.eligible, in_base, (*rank, subject.name)
            )
        )
    positions, groups = domain.select_within_cap(
        version.cap, entries, ordered=bool(version.rank_by)
    )
    allowed = {g.group: g.allowed for g in groups}
    competing = {g.group for g in groups if g.competing}
    cap_groups = {g.group: g for g in groups}
    per_unit = version.cap is not None and version.cap.per == "unit"
    rows: list[tuple] = []
    for subject, (eligible, why_not, conditions, missed, explanation) in zip(
        subjects, outcomes, strict=True
    ):
        position = positions.get(subject.key)
        group = subject.unit_id if per_unit else None
        limit = allowed.get(group)
        selected = eligible and (limit is None or (position is not None and position <= limit))
        competing_for = limit if eligible and group in competing else None
        if competing_for is not None:
            explanation = competing_explanation(explanation, cap_groups[group])
        rows.append(
            (
                run.pk,
                subject.member_id,
                subject.unit_id,
                eligible,
                position,
                selected,
                competing_for,
                why_not,
                conditions,
                missed,
                explanation,
            )
        )
    _insert_candidates(rows)
    unit_names = (
        dict(
            Unit.objects.filter(id__in=[g.group for g in groups if g.group]).values_list(
                "id", "name"
            )
        )
        if per_unit
        else {}
    )
    run.candidates = len(rows)
    run.eligible = sum(1 for r in rows if r[3])
    run.selected = sum(1 for r in rows if r[5])
    run.cap_summary = [
        {
            "group": unit_names.get(g.group, "all candidates") if per_unit else "all candidates",
            "group_id": g.group,  # for the refusal at the cap (`caps.require_place`)
            "base": g.base,
            "allowed": g.allowed,
            "eligible": g.eligible,
            "selected": g.selected,
            "text": g.text,
            "competing": g.competing,
        }
        for g in groups
        if not per_unit or g.eligible
    ][:500]
    run.seconds = Decimal(f"{time.perf_counter() - started:.3f}")
    run.save(update_fields=["candidates", "eligible", "selected", "cap_summary", "seconds"])
    return run


def _insert_candidates(rows: Sequence[tuple]) -> None:
    """One executemany per batch: at 100,000 candidates the ORM's per-field preparation of
    bulk_create cost more than judging them (same rows, same types, explanation as JSON)."""
    table = Candidate._meta.db_table
    columns = (
        "run_id",
        "member_id",
        "unit_id",
        "eligible",
        "position",
        "selected",
        "competing_for",
        "why_not",
        "conditions",
        "conditions_missed",
        "explanation",
    )
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    placeholders = ", ".join(["%s"] * (len(columns) - 1) + [f"%s{json_cast}"])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _BULK):
            cursor.executemany(sql, rows[start : start + _BULK])


# --- nominations, votes, awards -----------------------------------------------------------------


@audited("titles.nominate")
def nominate(
    *, run: EvaluationRun, candidates: Iterable[Candidate] | None = None
) -> list[Nomination]:
    """Put selected or competing candidates (default: every one not yet nominated) to the
    council of the run's scope; the council and its size are fixed now. Among competing ones
    the vote chooses: an award beyond the places is refused at the decision."""
    require(current_actor(), Capability.ORGANISE, run.scope, run.movement)
    note(unit=run.scope, movement=run.movement)
    chosen = (
        list(candidates)
        if candidates is not None
        else list(
            run.results.filter(
                Q(selected=True) | Q(eligible=True, competing_for__isnull=False),
                nomination__isnull=True,
            )
        )
    )
    for candidate in chosen:
        if candidate.run_id != run.pk or not may_go_forward(candidate):
            raise StateError(f"{candidate} is not selected in this evaluation.")
        if Nomination.objects.filter(candidate=candidate).exists():
            raise StateError(f"{candidate} is already nominated.")
    council = council_for(run.scope, run.movement)
    _rule, version = rule_of(run)
    if version.vote is None:
        raise StateError(
            f"{run.title.name} ({version.id}) needs no council vote: award the selected directly."
        )
    if not council:
        raise StateError(
            f"{run.scope} has no council members to vote; grant the council-member role first."
        )
    made = []
    for candidate in chosen:
        nomination = Nomination.objects.create(
            candidate=candidate, council_size=len(council), nominated_by=_user()
        )
        nomination.council.set(council)
        made.append(nomination)
    return made


@audited("titles.cast_vote")
def cast_vote(*, nomination: Nomination, choice: str) -> Vote:
    """The current actor's vote, once; only members of the nomination's council vote, only
    while it is open."""
    voter = _user()
    note(unit=nomination.candidate.run.scope)
    if nomination.status != Nomination.Status.OPEN:
        raise StateError("The vote on this nomination is closed.")
    if voter is None or not nomination.council.filter(pk=voter.pk).exists():
        raise NotAllowed("Only members of this nomination's council vote.")
    if choice not in Vote.Choice.values:
        raise ValidationFailed(f"Vote yes, no or abstain, not {choice!r}.")
    if nomination.votes.filter(voter=voter).exists():
        raise StateError("You have already voted on this nomination.")
    return Vote.objects.create(nomination=nomination, voter=voter, choice=choice)


def _code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@audited("titles.decide")
def decide(*, nomination: Nomination, on: dt.date | None = None) -> Nomination:
    """Close the vote: count it against the rule version's threshold (of all council members
    unless the rule says of those present) and, if carried, award the title. The award
    records the rule version, the evaluation and the vote, and counts the repeat."""
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    candidate = nomination.candidate
    run = candidate.run
    require(current_actor(), Capability.ORGANISE, run.scope, run.movement)
    note(unit=run.scope, movement=run.movement)
    if nomination.status != Nomination.Status.OPEN:
        raise StateError("This nomination was already decided.")
    rule, version = rule_of(run)
    counts = tally(nomination)
    passed, text = domain.vote_result(
        version=version,
        yes=counts["yes"],
        no=counts["no"],
        abstain=counts["abstain"],
        council_size=nomination.council_size,
    )
    nomination.result = text
    nomination.decided_at = timezone.now()
    nomination.status = Nomination.Status.AWARDED if passed else Nomination.Status.REJECTED
    nomination.save(update_fields=["result", "decided_at", "status"])
    if passed:
        _award(candidate, run, rule, nomination, text, on or _today(run.movement), version)
    return nomination


def _award(
    candidate: Candidate,
    run: EvaluationRun,
    rule: domain.TitleRule,
    nomination: Nomination | None,
    vote_text: str,
    on: dt.date,
    version: domain.RuleVersion,
) -> Award:
    # Awarded on a day given (a year judged long after) only within reason: from the judged
    # year's or period's first day, never in the future.
    earliest = run.period.starts_on if run.period_id is not None else dt.date(run.year, 1, 1)
    if not earliest <= on <= _today(run.movement):
        raise ValidationFailed(
            gettext("An award of %(title)s is dated from %(earliest)s to today, not %(day)s.")
            % {"title": rule.name, "earliest": earliest.isoformat(), "day": on.isoformat()},
            errors=[
                RowError(row=1, field="awarded_on", message=gettext("outside the judged time"))
            ],
        )
    subject = (
        Q(member_id=candidate.member_id)
        if candidate.member_id
        else Q(unit_id=candidate.unit_id, member__isnull=True)
    )
    earlier = Award.objects.filter(subject, title=run.title, revocation__isnull=True)
    if run.period_id is not None:
        # Judged per period: held once per period, renewals counted in the periods' order.
        period = run.period
        if earlier.filter(period=period).exists():
            raise StateError(f"{candidate} already holds {rule.name} for {period_text(period)}.")
        times = (
            earlier.filter(
                Q(period__starts_on__lt=period.starts_on)
                | Q(period__isnull=True, year__lt=run.year)
            ).count()
            + 1
        )
    else:
        if earlier.filter(year=run.year).exists():
            raise StateError(f"{candidate} already holds {rule.name} for {run.year}.")
        times = earlier.filter(year__lt=run.year).count() + 1
    require_place(candidate, run, rule, version)
    return Award.objects.create(
        title=run.title,
        member_id=candidate.member_id,
        unit_id=candidate.unit_id,
        year=run.year,
        revision=run.revision,
        rule_version=run.rule_version,
        candidate=candidate,
        nomination=nomination,
        vote_result=vote_text,
        title_name=rule.name_for(times),
        times=times,
        awarding_body=rule.awarding_body,
        movement=run.movement,
        period=run.period,
        awarded_on=on,
        code=_code(),
        awarded_by=_user(),
    )


@audited("titles.award_without_vote")
def award_without_vote(*, candidate: Candidate, on: dt.date | None = None) -> Award:
    """Award a selected or competing candidate of a title whose rule version needs no council
    vote: the awarding body's choice, refused beyond the places of a competing cap group."""
    run = candidate.run
    require(current_actor(), Capability.ORGANISE, run.scope, run.movement)
    note(unit=run.scope, movement=run.movement)
    rule, version = rule_of(run)
    if version.vote is not None:
        raise StateError(f"{rule.name} ({version.id}) is decided by a council vote.")
    if not may_go_forward(candidate):
        raise StateError(f"{candidate} is not selected in this evaluation.")
    return _award(
        candidate, run, rule, None, "no council vote required", on or _today(run.movement), version
    )

"""Reads for the titles pages and API, each in a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet

from pacesetter.accounts.models import Grant, Role
from pacesetter.movements.models import Movement
from pacesetter.units.models import Member, Unit

from . import domain
from .models import (
    Award,
    Candidate,
    DisciplinaryMeasure,
    EvaluationRun,
    Initiative,
    Judgement,
    Nomination,
    NominationAttachment,
    PackRevision,
    RulePack,
    Title,
    Vote,
    YearlyEvaluation,
)


@lru_cache(maxsize=32)
def _parsed(sha256: str, text: str) -> domain.Pack:
    return domain.parse_pack(text)


def parsed(revision: PackRevision) -> domain.Pack:
    """The revision's pack, parsed once per process (a stored revision always parses)."""
    return _parsed(revision.sha256, revision.text)


def rule_of(run_or_award: EvaluationRun | Award) -> tuple[domain.TitleRule, domain.RuleVersion]:
    rule = parsed(run_or_award.revision).title(run_or_award.title.code)
    return rule, next(v for v in rule.versions if v.id == run_or_award.rule_version)


def council_for(unit: Unit, movement: Movement | None) -> list[Any]:
    """Users with a standing council-member grant on the unit or above it (for the movement,
    or for every movement)."""
    grants = Grant.objects.filter(
        role=Role.COUNCIL_MEMBER, unit_id__in=unit.lineage_ids, withdrawn_at__isnull=True
    ).filter(Q(movement__isnull=True) | Q(movement=movement))
    user_model = get_user_model()
    return list(
        user_model.objects.filter(id__in=grants.values("user_id"), is_active=True).order_by(
            "username"
        )
    )


def tally(nomination: Nomination) -> dict[str, int]:
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for choice, number in nomination.votes.values_list("choice").annotate(n=Count("id")):
        counts[choice] = number
    return counts


def packs() -> QuerySet[RulePack]:
    return RulePack.objects.select_related("current").annotate(title_count=Count("titles"))


def titles_of(pack: RulePack) -> list[Title]:
    return list(pack.titles.all())


def runs_of(title: Title, unit_q: Q) -> QuerySet[EvaluationRun]:
    return (
        EvaluationRun.objects.filter(unit_q, title=title)
        .select_related("scope", "movement", "revision", "period")
        .order_by("-created_at", "-id")
    )


def candidates_of(
    run: EvaluationRun, *, show: str = "eligible", offset: int = 0, limit: int = 200
) -> list[Candidate]:
    # The explanations stay in the database until a candidate's page asks for one.
    rows = run.results.select_related("member", "unit", "nomination").defer("explanation")
    if show == "eligible":
        rows = rows.filter(eligible=True)
    elif show == "not_eligible":
        rows = rows.filter(eligible=False)
    elif show == "close":
        # Not eligible, having met more than half of the conditions: the fewest missed first.
        rows = rows.filter(
            eligible=False, conditions_missed__gt=0, conditions__gt=F("conditions_missed") * 2
        )
        return list(rows.order_by("conditions_missed", "id")[offset : offset + limit])
    return list(rows.order_by("-selected", "-eligible", "position", "id")[offset : offset + limit])


def nominations_of(run: EvaluationRun, *, offset: int = 0, limit: int = 200) -> list[Nomination]:
    return list(
        Nomination.objects.filter(candidate__run=run)
        .select_related("candidate__member", "candidate__unit", "award")
        .annotate(
            yes=Count("votes", filter=Q(votes__choice="yes")),
            no=Count("votes", filter=Q(votes__choice="no")),
            abstain=Count("votes", filter=Q(votes__choice="abstain")),
        )
        .order_by("id")[offset : offset + limit]
    )


def awards_of(title: Title, unit_q: Q, *, offset: int = 0, limit: int = 200) -> list[Award]:
    return list(
        Award.objects.filter(unit_q, title=title)
        .select_related("member", "unit", "period", "revocation", "decision", "imported_by")
        .order_by("-year", "-id")[offset : offset + limit]
    )


def award_by_code(code: str) -> Award | None:
    return (
        Award.objects.select_related(
            "title",
            "member",
            "unit",
            "movement",
            "period",
            "revocation",
            "decision",
            "revision__pack",
        )
        .filter(code=code.strip().upper())
        .first()
    )


def holders_for_board(movement: Movement, limit: int = 12) -> list[Award]:
    """Standing awards given in a movement, newest first, for its honour board."""
    return list(
        Award.objects.filter(movement=movement, revocation__isnull=True)
        .select_related("member", "unit")
        .order_by("-year", "-id")[:limit]
    )


def subject_facts(
    *, member: Member | None = None, unit: Unit | None = None, year: int
) -> dict[str, list]:
    """Every recorded fact about a person or a collective that bears on the year."""
    subject = Q(member=member) if member is not None else Q(unit=unit, member__isnull=True)
    return {
        "evaluations": list(YearlyEvaluation.objects.filter(subject, year=year)),
        "discipline": list(
            DisciplinaryMeasure.objects.filter(subject).order_by("-decided_on")[:50]
        ),
        "initiatives": list(Initiative.objects.filter(subject).order_by("-recognised_on")[:50]),
        "judgements": list(Judgement.objects.filter(subject, year=year)),
        "awards": list(
            Award.objects.filter(subject)
            .select_related("revocation", "imported_by")
            .order_by("-year")[:50]
        ),
    }


def attachments_of(nomination: Nomination) -> list[NominationAttachment]:
    """The dossier's documents, the withdrawn ones too (marked), in the order they came."""
    return list(
        NominationAttachment.objects.filter(nomination=nomination)
        .select_related("added_by", "withdrawn_by")
        .order_by("added_at", "id")
    )


def minutes_of(run: EvaluationRun) -> list[dict[str, Any]]:
    """The council's count per nomination of a run, from the recorded votes: council size,
    present (those who cast a vote, abstentions included), yes, no, abstain, the share of yes
    against the rule's denominator and threshold, and the outcome (the recorded result once
    decided; the count so far while the vote is open)."""
    _rule, version = rule_of(run)
    rows = []
    for nomination in (
        Nomination.objects.filter(candidate__run=run)
        .select_related("candidate__member", "candidate__unit")
        .annotate(
            yes=Count("votes", filter=Q(votes__choice="yes")),
            no=Count("votes", filter=Q(votes__choice="no")),
            abstain=Count("votes", filter=Q(votes__choice="abstain")),
        )
        .order_by("id")
    ):
        present = nomination.yes + nomination.no + nomination.abstain
        of_present = version.vote is not None and version.vote.of == "present"
        denominator = present if of_present else nomination.council_size
        passed, text = domain.vote_result(
            version=version,
            yes=nomination.yes,
            no=nomination.no,
            abstain=nomination.abstain,
            council_size=nomination.council_size,
        )
        rows.append(
            {
                "nomination": nomination,
                "candidate": nomination.candidate,
                "council": nomination.council_size,
                "present": present,
                "yes": nomination.yes,
                "no": nomination.no,
                "abstain": nomination.abstain,
                "denominator": denominator,
                "share": Decimal(nomination.yes) * 100 / denominator if denominator else None,
                "passed": passed,
                "open": nomination.status == Nomination.Status.OPEN,
                # while the vote is open, the count so far without a verdict
                "outcome": nomination.result
                or (text.rsplit(":", 1)[0] if nomination.status == "open" else text),
            }
        )
    return rows

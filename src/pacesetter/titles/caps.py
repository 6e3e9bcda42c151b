"""Places under a cap the rules give no order for: how many are left in a candidate's cap
group, and the refusal of an award beyond them.

Where more qualify than a cap allows and the rule states no `rank_by`, the engine selects
nobody (see `domain.select_within_cap`): every qualifying candidate *competes for* the places,
and the council's vote or the awarding body's decision chooses. The cap is then kept at the
award: the awards standing in the group (same title, same year or period, the same unit with
`per: unit`, else the run's scope) may not exceed the places. Imported awards do not count:
they record past years' decisions, never a place of the year judged here.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pacesetter.core.errors import StateError

from . import domain
from .facts import period_text
from .models import Award, Candidate, EvaluationRun, Title


def awarded_in_group(candidate: Candidate, run: EvaluationRun, version: domain.RuleVersion) -> int:
    """Standing awards made here in the candidate's cap group, for the run's year or period."""
    awards = Award.objects.filter(
        title_id=run.title_id, origin=Award.Origin.MADE, revocation__isnull=True
    )
    if run.period_id is not None:
        awards = awards.filter(period_id=run.period_id)
    else:
        awards = awards.filter(year=run.year, period__isnull=True)
    if version.cap is not None and version.cap.per == "unit":
        awards = awards.filter(unit_id=candidate.unit_id)
    else:
        awards = awards.filter(unit__path__startswith=run.scope.path)
    return awards.count()


def require_place(
    candidate: Candidate, run: EvaluationRun, rule: domain.TitleRule, version: domain.RuleVersion
) -> None:
    """Refuse the award of a competing candidate when its group's places are all taken, naming
    the cap's arithmetic ("15% of 20 advanced workers = 3, rounded down: 3 places, 3 already
    awarded"). A selected candidate (an order stated, or everyone fits) needs no check."""
    places = candidate.competing_for
    if places is None:
        return
    # One award at a time per title: two decisions closing together must not both take the
    # last place (a row lock on PostgreSQL; SQLite already writes one transaction at a time).
    Title.objects.select_for_update().filter(pk=run.title_id).first()
    taken = awarded_in_group(candidate, run, version)
    if taken < places:
        return
    per_unit = version.cap is not None and version.cap.per == "unit"
    group_id = candidate.unit_id if per_unit else None
    text = next(
        (g["text"] for g in run.cap_summary if g.get("group_id") == group_id),
        str(places),
    )
    when = period_text(run.period) if run.period_id else str(run.year)
    where = f" in {candidate.unit}" if per_unit else f" in {run.scope}"
    raise StateError(
        _("No place left for %(candidate)s: %(title)s %(when)s%(where)s is capped at %(cap)s.")
        % {
            "candidate": candidate,
            "title": rule.name,
            "when": when,
            "where": where,
            "cap": ngettext(
                "%(text)s place, %(taken)s already awarded",
                "%(text)s places, %(taken)s already awarded",
                places,
            )
            % {"text": text, "taken": taken},
        }
        + " "
        + _("Revoke an award to free a place.")
    )


def may_go_forward(candidate: Candidate) -> bool:
    """Selected by the engine, or competing for a place the council or awarding body gives."""
    return candidate.eligible and (candidate.selected or candidate.competing_for is not None)


def competing_explanation(explanation: str, group: domain.CapGroup) -> str:
    """A competing candidate's explanation (JSON), with the cap that makes it compete."""
    tree = json.loads(explanation)
    tree["cap"] = {
        "text": group.text,
        "places": group.allowed,
        "competing": group.eligible,
        "order": "none stated: the council's vote or the awarding body chooses",
    }
    return json.dumps(tree, ensure_ascii=False, separators=(",", ":"))

"""A body's history and its decisions: awards decided before the body used Pacesetter,
imported from a file, the page's upload or the API (all calling `import_awards`), and the
awarding body's decision that makes an award final (`record_decision`).

An imported award is an `Award` like any other (origin "imported", with who imported it and
when, and no evaluation behind it): the rules count it in consecutive-year and renewal
conditions exactly as one made here, it is listed, verified and revoked like one. Its year may
precede the pack's first rule version (the title's code must exist in the pack); it may not
be in the future. Importing the same award again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pacesetter.accounts.permissions import Capability, can, current_actor, require
from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import (
    NotAllowed,
    RowError,
    StateError,
    ValidationFailed,
    raise_for_rows,
)

from .actions import _BULK, SUBJECT_COLUMNS, _code, _date, _today, _user, _visible_subjects
from .models import Award, AwardDecision, Revocation, RulePack
from .selectors import parsed

AWARD_REQUIRED = ("title", "year", "awarding_body", "decision_number", "decision_date")
AWARD_OPTIONAL = ("signer_name", "signer_position", "note")
AWARD_COLUMNS = (*SUBJECT_COLUMNS, *AWARD_REQUIRED, *AWARD_OPTIONAL)
DECISION_FIELDS = ("number", "decided_on", "awarding_body", "signer_name", "signer_position")


@dataclass(frozen=True)
class ImportedAward:
    """One award the file creates (or, on a preview, would create)."""

    row: int
    subject: str
    unit: str
    title: str
    title_name: str
    year: int
    times: int
    decision: str


@dataclass
class AwardImport:
    rows: int
    created: list[ImportedAward] = field(default_factory=list)
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)


class _DryRun(Exception):
    pass


def _text(row: dict[str, str], name: str) -> str:
    return (row.get(name) or "").strip()


@audited("titles.import_awards")
def import_awards(
    *,
    pack: RulePack,
    rows: Sequence[dict[str, str]],
    source: str,
    row_numbers: Sequence[int] | None = None,
) -> AwardImport:
    """Record a body's past awards of the pack's titles from rows of text (a file, the page's
    upload, the API): every row is checked first and all are recorded or none; errors by row,
    field and message. A person is named by `member` (external id), a collective by `unit`
    (code). The same award already imported (subject, title, year, decision number) is left
    as it is; another standing award of the title for that subject and year is a row error;
    the same award twice in one file is a row error naming both rows. Each award gets its
    decision and a verification code, and counts in the rules from now on."""
    if pack.current_id is None:
        raise StateError(_("The pack has no text loaded."))
    note(target=pack)
    actor = current_actor()
    rule_pack = parsed(pack.current)
    titles = {t.code: t for t in pack.titles.all()}
    members, units = _visible_subjects(rows)
    today = timezone.localdate()
    errors: list[RowError] = []
    refused: set[str] = set()
    seen: dict[tuple, int] = {}
    prepared: list[dict[str, Any]] = []

    def number_of(index: int) -> int:
        return row_numbers[index - 1] if row_numbers else index

    for index, row in enumerate(rows, start=1):
        start = len(errors)

        def bad(name: str, message: str, code: str = "invalid", index: int = index) -> None:
            errors.append(RowError(row=index, field=name, message=str(message), code=code))

        for name in sorted(set(row) - set(AWARD_COLUMNS)):
            bad(
                name,
                _("not a column of past awards; they are %(columns)s")
                % {"columns": ", ".join(AWARD_COLUMNS)},
            )
        member_id, unit_code = _text(row, "member"), _text(row, "unit")
        for name in AWARD_REQUIRED:
            if not _text(row, name):
                bad(name, _("required"))
        if bool(member_id) == bool(unit_code):
            bad("member", _("name either a member (external id) or a unit (code)"))
        member = members.get(member_id) if member_id else None
        unit = member.unit if member else units.get(unit_code) if unit_code else None
        if member_id and member is None:
            bad("member", _("no member with the id %(id)r") % {"id": member_id}, "not_found")
        if unit_code and not member_id and unit is None:
            bad("unit", _("no unit with the code %(code)r") % {"code": unit_code}, "not_found")
        if unit is not None and not can(actor, Capability.ORGANISE, unit):
            refused.add(unit.code)
        title = titles.get(_text(row, "title"))
        if _text(row, "title") and title is None:
            bad(
                "title",
                _("no title %(code)r in the pack %(pack)s")
                % {"code": _text(row, "title"), "pack": pack.slug},
                "not_found",
            )
        elif title is not None and (member_id or unit_code):
            wanted = "person" if member_id else "unit"
            if title.subject != wanted:
                bad(
                    "title",
                    _("%(title)s is given to a %(subject)s")
                    % {"title": title.name, "subject": title.subject},
                )
        year_text = _text(row, "year")
        year = int(year_text) if year_text.isdigit() else None
        if year_text and (year is None or year < 1900):
            bad("year", _("a year like 2019, not %(text)r") % {"text": year_text})
            year = None
        elif year is not None and year > today.year:
            bad("year", _("%(year)s is in the future") % {"year": year})
            year = None
        decided_on = _date(_text(row, "decision_date")) if _text(row, "decision_date") else None
        if _text(row, "decision_date") and decided_on is None:
            bad(
                "decision_date",
                _("a date as YYYY-MM-DD, not %(text)r") % {"text": _text(row, "decision_date")},
            )
        elif decided_on is not None and decided_on > today:
            bad("decision_date", _("%(date)s is in the future") % {"date": decided_on.isoformat()})
        elif decided_on is not None and year is not None and decided_on.year < year:
            bad(
                "decision_date",
                _("a decision on the year %(year)s is taken in it or later") % {"year": year},
            )
        for name, limit in (
            ("awarding_body", 200),
            ("decision_number", 80),
            ("signer_name", 200),
            ("signer_position", 200),
            ("note", 300),
        ):
            if len(_text(row, name)) > limit:
                bad(name, _("at most %(n)s characters") % {"n": limit})
        if len(errors) > start or title is None or unit is None or year is None:
            continue
        key = (("m", member.pk) if member else ("u", unit.pk), title.pk, year)
        if key in seen:
            bad(
                "year",
                _("the same award as row %(row)s (%(title)s %(year)s for this subject)")
                % {"row": number_of(seen[key]), "title": title.code, "year": year},
                "duplicate",
            )
            continue
        seen[key] = index
        prepared.append(
            {
                "index": index,
                "member": member,
                "unit": unit,
                "title": title,
                "year": year,
                "decided_on": decided_on,
                "number": _text(row, "decision_number"),
                "awarding_body": _text(row, "awarding_body"),
                "signer_name": _text(row, "signer_name"),
                "signer_position": _text(row, "signer_position"),
                "note": _text(row, "note"),
            }
        )
    # Awards the subjects already hold, of the pack's titles: for the duplicates and the count.
    existing: dict[tuple, list[Award]] = {}
    member_pks = {p["member"].pk for p in prepared if p["member"]}
    unit_pks = {p["unit"].pk for p in prepared if not p["member"]}
    held = Award.objects.filter(
        Q(member_id__in=member_pks) | Q(unit_id__in=unit_pks, member__isnull=True),
        title__pack=pack,
    ).select_related("revocation", "decision")
    for award in held:
        subject = ("m", award.member_id) if award.member_id else ("u", award.unit_id)
        existing.setdefault((subject, award.title_id), []).append(award)
    result = AwardImport(rows=len(rows))
    to_create: list[dict[str, Any]] = []
    for item in prepared:
        subject = ("m", item["member"].pk) if item["member"] else ("u", item["unit"].pk)
        same_year = [
            a for a in existing.get((subject, item["title"].pk), []) if a.year == item["year"]
        ]
        again = [
            a
            for a in same_year
            if a.is_imported and a.is_final and a.decision.number == item["number"]
        ]
        if again:
            result.unchanged += 1
            continue
        standing = [a for a in same_year if not hasattr(a, "revocation")]
        if standing:
            errors.append(
                RowError(
                    row=item["index"],
                    field="year",
                    message=str(
                        _("already holds %(title)s for %(year)s (certificate %(code)s)")
                        % {
                            "title": standing[0].title_name,
                            "year": item["year"],
                            "code": standing[0].code,
                        }
                    ),
                    code="duplicate",
                )
            )
            continue
        to_create.append(item)
    errors.sort(key=lambda e: e.row)
    raise_for_rows(errors, what="award", total=len(rows))
    if refused:
        raise NotAllowed(
            _("Only organisers import awards; you may not for %(units)s.")
            % {"units": ", ".join(sorted(refused))}
        )
    user, now = _user(), timezone.now()
    titled = _codes(rule_pack)
    # earlier standing years per subject and title, for the count ("twice")
    held_years = {
        key: [a.year for a in awards if not hasattr(a, "revocation")]
        for key, awards in existing.items()
    }
    awards: list[Award] = []
    decisions: list[AwardDecision] = []
    # in year order, so that each award's count includes the earlier ones of the same file
    for item in sorted(to_create, key=lambda i: (i["year"], i["index"])):
        subject = ("m", item["member"].pk) if item["member"] else ("u", item["unit"].pk)
        years = held_years.setdefault((subject, item["title"].pk), [])
        times = sum(1 for year in years if year < item["year"]) + 1
        years.append(item["year"])
        title = item["title"]
        name = rule_pack.title(title.code).name_for(times) if title.code in titled else title.name
        file_row = number_of(item["index"])
        award = Award(
            title=title,
            member=item["member"],
            unit=item["unit"],
            year=item["year"],
            revision=pack.current,
            rule_version="",
            candidate=None,
            vote_result="",
            title_name=name,
            times=times,
            awarding_body=item["awarding_body"],
            awarded_on=item["decided_on"],
            code=_code(),
            awarded_by=user,
            origin=Award.Origin.IMPORTED,
            imported_by=user,
            imported_at=now,
            note=(item["note"] or f"{source} row {file_row}")[:300],
        )
        awards.append(award)
        decisions.append(
            AwardDecision(
                award=award,
                number=item["number"],
                decided_on=item["decided_on"],
                awarding_body=item["awarding_body"],
                signer_name=item["signer_name"],
                signer_position=item["signer_position"],
                recorded_by=user,
            )
        )
        result.codes.append(award.code)
        result.created.append(
            ImportedAward(
                row=file_row,
                subject=str(item["member"] or item["unit"]),
                unit=item["unit"].code,
                title=title.code,
                title_name=name,
                year=item["year"],
                times=times,
                decision=f"{item['number']} of {item['decided_on'].isoformat()}",
            )
        )
    # one insert per batch, on SQLite and PostgreSQL alike (both give the new ids back)
    Award.objects.bulk_create(awards, batch_size=_BULK)
    for decision in decisions:
        decision.award_id = decision.award.pk
    AwardDecision.objects.bulk_create(decisions, batch_size=_BULK)
    result.created.sort(key=lambda c: c.row)
    return result


def _codes(pack) -> set[str]:
    return {t.code for t in pack.titles}


def preview_awards(
    *,
    pack: RulePack,
    rows: Sequence[dict[str, str]],
    source: str,
    row_numbers: Sequence[int] | None = None,
) -> AwardImport:
    """What `import_awards` would do, with the same checks and errors; nothing is kept."""
    answer: AwardImport | None = None
    try:
        with transaction.atomic():
            answer = import_awards(pack=pack, rows=rows, source=source, row_numbers=row_numbers)
            raise _DryRun
    except _DryRun:
        pass
    assert answer is not None
    answer.codes = []
    return answer


@audited("titles.record_decision")
def record_decision(
    *,
    award: Award,
    number: str,
    decided_on: dt.date | None,
    awarding_body: str,
    signer_name: str,
    signer_position: str,
) -> AwardDecision:
    """Make an award final with the awarding body's decision: its number, date, awarding body
    and signer (name and position) are all required, the date neither before the award was
    carried nor in the future. Recorded once; the certificate is issued from then on."""
    require(current_actor(), Capability.ORGANISE, award.unit, award.movement)
    note(unit=award.unit, movement=award.movement)
    values = {
        "number": (number or "").strip(),
        "awarding_body": (awarding_body or "").strip(),
        "signer_name": (signer_name or "").strip(),
        "signer_position": (signer_position or "").strip(),
    }
    errors = [
        RowError(row=1, field=name, message=str(_("required before the award is final")))
        for name in DECISION_FIELDS
        if (decided_on is None if name == "decided_on" else not values[name])
    ]
    today = _today(award.movement)
    if decided_on is not None and decided_on > today:
        errors.append(RowError(row=1, field="decided_on", message=str(_("not in the future"))))
    elif decided_on is not None and award.candidate_id and decided_on < award.awarded_on:
        errors.append(
            RowError(
                row=1,
                field="decided_on",
                message=str(
                    _("on or after %(date)s, when the award was carried")
                    % {"date": award.awarded_on.isoformat()}
                ),
            )
        )
    if errors:
        raise ValidationFailed(
            str(_("The award is not final without its decision: give %(fields)s."))
            % {"fields": ", ".join(sorted({e.field.replace("_", " ") for e in errors}))},
            errors=errors,
        )
    if AwardDecision.objects.filter(award=award).exists():
        raise StateError(_("This award's decision is already recorded."))
    if Revocation.objects.filter(award=award).exists():
        raise StateError(_("This award is revoked."))
    return AwardDecision.objects.create(
        award=award, decided_on=decided_on, recorded_by=_user(), **values
    )


def require_final(award: Award) -> None:
    """A certificate is issued only for a final award."""
    if not AwardDecision.objects.filter(award=award).exists():
        raise StateError(
            _(
                "%(title)s %(year)s is not final: record the awarding body's decision (number, "
                "date, signer and awarding body) before the certificate is issued."
            )
            % {"title": award.title_name, "year": award.year}
        )

"""A body's history and its decisions: awards decided before the body used Pacesetter,
imported from a file, the page's upload or the API (all calling `import_awards`), and the
awarding body's decision that makes an award final (`record_decision` from the award's page
and the API, `record_decisions` from a file of decisions; one set of checks).

An imported award is an `Award` like any other (origin "imported", with who imported it and
when, and no evaluation behind it): the rules count it in consecutive-year and renewal
conditions exactly as one made here, it is listed, verified and revoked like one. Its year may
precede the pack's first rule version (the title's code must exist in the pack); it may not
be in the future. Importing the same award again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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
from pacesetter.core.tabular import relative_day
from pacesetter.units.models import Member, Unit

from .actions import _BULK, SUBJECT_COLUMNS, _code, _date, _today, _user, _visible_subjects
from .models import Award, AwardDecision, Revocation, RulePack, Title
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
    answer = _previewed(import_awards, pack=pack, rows=rows, source=source, row_numbers=row_numbers)
    answer.codes = []
    return answer


def _previewed(action, **arguments):
    """What `action` answers, with everything it wrote rolled back."""
    with transaction.atomic():
        answer = action(**arguments)
        transaction.set_rollback(True)
    return answer


# --- decisions ------------------------------------------------------------------------------

# A file of decisions names each award by its certificate code, or by its holder, title and
# year (and the period, for a title judged per period); the decision's columns are those of
# past awards' decisions.
DECISION_REQUIRED = (
    "decision_number",
    "decision_date",
    "awarding_body",
    "signer_name",
    "signer_position",
)
DECISION_NAMING = ("code", *SUBJECT_COLUMNS, "title", "year", "period")
DECISION_COLUMNS = (*DECISION_NAMING, *DECISION_REQUIRED)
# the file's column for each field of the decision the page and the API name differently
_COLUMN_OF = {"number": "decision_number", "decided_on": "decision_date"}
_LIMITS = {"number": 80, "awarding_body": 200, "signer_name": 200, "signer_position": 200}


@dataclass(frozen=True)
class RecordedDecision:
    """One decision the file records (or, on a preview, would record)."""

    row: int
    code: str
    holder: str
    title_name: str
    year: int
    decision: str


@dataclass
class DecisionImport:
    rows: int
    recorded: list[RecordedDecision] = field(default_factory=list)
    unchanged: int = 0


def _decision_problems(
    award: Award,
    values: dict[str, Any],
    *,
    decided: AwardDecision | None,
    revoked: bool,
) -> list[tuple[str, str, str]]:
    """What keeps `values` (number, decided_on, awarding_body, signer_name, signer_position)
    from being recorded as `award`'s decision, as (field, code, message): "award" for the
    award's own state (refused, revoked, decided otherwise). The code "unchanged" alone means
    the award already carries this very decision. The one set of checks of the page, the API
    and the file."""
    if not can(current_actor(), Capability.ORGANISE, award.unit, award.movement):
        return [
            (
                "award",
                "forbidden",
                str(
                    _("only an organiser of %(unit)s records its decisions")
                    % {"unit": award.unit.code}
                ),
            )
        ]
    if revoked:
        return [("award", "revoked", str(_("this award is revoked")))]
    if decided is not None:
        same = (decided.number, decided.decided_on, decided.awarding_body) == (
            values["number"],
            values["decided_on"],
            values["awarding_body"],
        )
        if same:
            return [("award", "unchanged", "")]
        return [
            (
                "award",
                "decided",
                str(
                    _(
                        "already decided by %(number)s of %(date)s; a wrong decision is "
                        "corrected by revoking the award"
                    )
                    % {"number": decided.number, "date": decided.decided_on.isoformat()}
                ),
            )
        ]
    problems = [
        (name, "required", str(_("required before the award is final")))
        for name in DECISION_FIELDS
        if (values[name] is None if name == "decided_on" else not values[name])
    ]
    problems += [
        (name, "invalid", str(_("at most %(n)s characters") % {"n": limit}))
        for name, limit in _LIMITS.items()
        if len(values[name]) > limit
    ]
    decided_on = values["decided_on"]
    if decided_on is not None and decided_on > _today(award.movement):
        problems.append(("decided_on", "invalid", str(_("not in the future"))))
    elif decided_on is not None and award.candidate_id and decided_on < award.awarded_on:
        problems.append(
            (
                "decided_on",
                "invalid",
                str(
                    _("on or after %(date)s, when the award was carried")
                    % {"date": award.awarded_on.isoformat()}
                ),
            )
        )
    return problems


def _decision_state(awards: Sequence[Award]) -> tuple[dict[int, AwardDecision], set[int]]:
    """The awards' recorded decisions and which are revoked, read with the awards locked: two
    decisions recorded at once for one award cannot both pass the checks."""
    pks = [a.pk for a in awards]
    list(Award.objects.select_for_update(of=("self",)).filter(pk__in=pks).values_list("pk"))
    decided = {d.award_id: d for d in AwardDecision.objects.filter(award_id__in=pks)}
    revoked = set(Revocation.objects.filter(award_id__in=pks).values_list("award_id", flat=True))
    return decided, revoked


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
    carried nor in the future. Recorded once; the certificate is issued from then on. The
    checks are those of `record_decisions`, for one award."""
    require(current_actor(), Capability.ORGANISE, award.unit, award.movement)
    note(unit=award.unit, movement=award.movement)
    values = {
        "number": (number or "").strip(),
        "decided_on": decided_on,
        "awarding_body": (awarding_body or "").strip(),
        "signer_name": (signer_name or "").strip(),
        "signer_position": (signer_position or "").strip(),
    }
    decided, revoked = _decision_state([award])
    problems = _decision_problems(
        award, values, decided=decided.get(award.pk), revoked=award.pk in revoked
    )
    codes = {code for _name, code, _message in problems}
    if "revoked" in codes:
        raise StateError(_("This award is revoked."))
    if codes & {"unchanged", "decided"}:
        raise StateError(_("This award's decision is already recorded."))
    if problems:
        raise ValidationFailed(
            str(_("The award is not final without its decision: give %(fields)s."))
            % {"fields": ", ".join(sorted({name.replace("_", " ") for name, *_r in problems}))},
            errors=[RowError(row=1, field=name, message=m, code=c) for name, c, m in problems],
        )
    return AwardDecision.objects.create(award=award, recorded_by=_user(), **values)


def _named_awards(
    pack: RulePack, rows: Sequence[dict[str, str]]
) -> tuple[dict[str, Award], dict[tuple, list[Award]], dict[str, Member], dict[str, Unit]]:
    """The pack's awards the rows name that the actor may see: by certificate code, and by
    (holder, title, year) — a holder the actor may not see is unknown to them; and the holders
    the rows name (members by external id, units by code)."""
    actor = current_actor()
    related = ("title", "member", "unit", "movement", "period", "revocation")
    codes = {_text(r, "code").upper() for r in rows} - {""}
    by_code = {
        a.code: a
        for a in Award.objects.filter(code__in=codes, title__pack=pack).select_related(*related)
        if can(actor, Capability.VIEW, a.unit, a.movement)
    }
    members, units = _visible_subjects([r for r in rows if not _text(r, "code")])
    member_pks = {m.pk for m in members.values()}
    unit_pks = {u.pk for u in units.values()}
    by_holder: dict[tuple, list[Award]] = {}
    held = Award.objects.filter(
        Q(member_id__in=member_pks) | Q(unit_id__in=unit_pks, member__isnull=True),
        title__pack=pack,
    ).select_related(*related)
    for award in held.order_by("id"):
        holder = ("m", award.member_id) if award.member_id else ("u", award.unit_id)
        by_holder.setdefault((holder, award.title_id, award.year), []).append(award)
    return by_code, by_holder, members, units


@audited("titles.record_decisions")
def record_decisions(
    *,
    pack: RulePack,
    rows: Sequence[dict[str, str]],
    source: str,
    row_numbers: Sequence[int] | None = None,
) -> DecisionImport:
    """Record the awarding body's decisions on the pack's awards from rows of text (a file):
    each row names one award by its certificate `code`, or by its holder (`member` external
    id or `unit` code), `title` code and `year` (and `period`, when the holder has several
    awards of the title that year), and gives the decision's number, date (YYYY-MM-DD, or
    `today`/`today-N` in the award's movement), awarding body and signer. Every row is checked
    first, by the checks of `record_decision`, and all are recorded or none; errors by row,
    field and message. An award that already carries the same decision (number, date, body)
    is left as it is and counted unchanged; the same award twice in one file is a row error."""
    note(target=pack)
    titles = {t.code: t for t in pack.titles.all()}
    by_code, by_holder, members, units = _named_awards(pack, rows)
    errors: list[RowError] = []
    seen: dict[int, int] = {}
    named: list[tuple[int, str, Award, dict[str, Any]]] = []

    def number_of(index: int) -> int:
        return row_numbers[index - 1] if row_numbers else index

    for index, row in enumerate(rows, start=1):
        start = len(errors)

        def bad(name: str, message: str, code: str = "invalid", index: int = index) -> None:
            errors.append(RowError(row=index, field=name, message=str(message), code=code))

        for name in sorted(set(row) - set(DECISION_COLUMNS)):
            bad(
                name,
                _("not a column of decisions; they are %(columns)s")
                % {"columns": ", ".join(DECISION_COLUMNS)},
            )
        award, naming = _award_of_row(row, pack, titles, by_code, by_holder, members, units, bad)
        if award is None or len(errors) > start:
            continue
        if award.pk in seen:
            bad(
                naming,
                _("the same award as row %(row)s (certificate %(code)s)")
                % {"row": number_of(seen[award.pk]), "code": award.code},
                "duplicate",
            )
            continue
        seen[award.pk] = index
        date_text = _text(row, "decision_date")
        decided_on = None
        if date_text:
            decided_on = relative_day(date_text, _today(award.movement)) or _date(date_text)
            if decided_on is None:
                bad(
                    "decision_date",
                    _("a date as YYYY-MM-DD or today, not %(text)r") % {"text": date_text},
                )
        values = {
            "number": _text(row, "decision_number"),
            "decided_on": decided_on,
            "awarding_body": _text(row, "awarding_body"),
            "signer_name": _text(row, "signer_name"),
            "signer_position": _text(row, "signer_position"),
        }
        named.append((index, naming, award, values))
    decided, revoked = _decision_state([award for _i, _n, award, _v in named])
    result = DecisionImport(rows=len(rows))
    to_record: list[tuple[int, Award, dict[str, Any]]] = []
    unreadable = {e.row for e in errors if e.field == "decision_date"}
    for index, naming, award, values in named:
        problems = _decision_problems(
            award, values, decided=decided.get(award.pk), revoked=award.pk in revoked
        )
        if [code for _name, code, _message in problems] == ["unchanged"]:
            result.unchanged += 1
            continue
        for name, code, message in problems:
            if name == "decided_on" and index in unreadable:
                continue  # said already: the date cannot be read
            column = naming if name == "award" else _COLUMN_OF.get(name, name)
            errors.append(RowError(row=index, field=column, message=message, code=code))
        if not problems:
            to_record.append((index, award, values))
    errors.sort(key=lambda e: e.row)
    raise_for_rows(errors, what="decision", total=len(rows))
    user = _user()
    AwardDecision.objects.bulk_create(
        [AwardDecision(award=award, recorded_by=user, **values) for _i, award, values in to_record],
        batch_size=_BULK,
    )
    result.recorded = [
        RecordedDecision(
            row=number_of(index),
            code=award.code,
            holder=str(award.subject),
            title_name=award.title_name,
            year=award.year,
            decision=f"{values['number']} of {values['decided_on'].isoformat()}",
        )
        for index, award, values in to_record
    ]
    note(
        after={
            "source": source,
            "recorded": [d.code for d in result.recorded],
            "unchanged": result.unchanged,
        }
    )
    return result


def preview_decisions(
    *,
    pack: RulePack,
    rows: Sequence[dict[str, str]],
    source: str,
    row_numbers: Sequence[int] | None = None,
) -> DecisionImport:
    """What `record_decisions` would do, with the same checks and errors; nothing is kept."""
    return _previewed(
        record_decisions, pack=pack, rows=rows, source=source, row_numbers=row_numbers
    )


def _award_of_row(
    row: dict[str, str],
    pack: RulePack,
    titles: dict[str, Title],
    by_code: dict[str, Award],
    by_holder: dict[tuple, list[Award]],
    members: dict[str, Member],
    units: dict[str, Unit],
    bad: Callable[..., None],
) -> tuple[Award | None, str]:
    """The award a row names and the column that names it; (None, column) after `bad` was
    told what is wrong."""
    code = _text(row, "code").upper()
    naming_columns = [name for name in DECISION_NAMING[1:] if _text(row, name)]
    if code:
        if naming_columns:
            bad(
                "code",
                _(
                    "name the award by its certificate code or by its holder, title and year; "
                    "not both"
                ),
            )
            return None, "code"
        award = by_code.get(code)
        if award is None:
            bad(
                "code",
                _("no award with the certificate code %(code)r in the pack %(pack)s")
                % {"code": code, "pack": pack.slug},
                "not_found",
            )
        return award, "code"
    member_id, unit_code = _text(row, "member"), _text(row, "unit")
    naming = "member" if member_id else "unit"
    if bool(member_id) == bool(unit_code):
        bad(
            "member",
            _(
                "name the award by its certificate code, or its holder: either a "
                "member (external id) or a unit (code)"
            ),
        )
        return None, naming
    member = members.get(member_id) if member_id else None
    if member_id and member is None:
        bad("member", _("no member with the id %(id)r") % {"id": member_id}, "not_found")
    unit = member.unit if member else units.get(unit_code) if unit_code else None
    if unit_code and unit is None:
        bad("unit", _("no unit with the code %(code)r") % {"code": unit_code}, "not_found")
    title_code = _text(row, "title")
    title = titles.get(title_code)
    if not title_code:
        bad("title", _("required"))
    elif title is None:
        bad(
            "title",
            _("no title %(code)r in the pack %(pack)s") % {"code": title_code, "pack": pack.slug},
            "not_found",
        )
    year_text = _text(row, "year")
    if not year_text:
        bad("year", _("required"))
    elif not year_text.isdigit():
        bad("year", _("a year like 1978, not %(text)r") % {"text": year_text})
    if title is None or unit is None or not year_text.isdigit():
        return None, naming
    holder = ("m", member.pk) if member else ("u", unit.pk)
    awards = by_holder.get((holder, title.pk, int(year_text)), [])
    period = _text(row, "period")
    if period:
        awards = [a for a in awards if a.period is not None and a.period.name == period]
    standing = [a for a in awards if not hasattr(a, "revocation")]
    if not awards:
        bad(
            naming,
            _("no award of %(title)s %(year)s%(period)s to %(holder)s")
            % {
                "title": title.code,
                "year": year_text,
                "period": f" ({period})" if period else "",
                "holder": member or unit,
            },
            "not_found",
        )
        return None, naming
    if len(standing) > 1:
        bad(
            "period",
            _(
                "%(holder)s holds %(title)s %(count)s times in %(year)s: name the period "
                "(%(periods)s) or the certificate code"
            )
            % {
                "holder": member or unit,
                "title": title.code,
                "count": len(standing),
                "year": year_text,
                "periods": ", ".join(a.period.name for a in standing if a.period),
            },
        )
        return None, naming
    # the standing award; with none standing, the latest revoked one (its row says revoked)
    return (standing or awards)[-1], naming


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

"""The awarding body's decisions from a file (`record_decisions`, `pacesetter import-decisions`):
every row checked first and all recorded or none, each refusal by row and field, an award
already carrying the same decision left as it is, the organiser's subtree only; recorded, the
award is final and its certificate issues."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pacesetter.accounts.actions import grant_role
from pacesetter.accounts.models import Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import StateError, ValidationFailed
from pacesetter.titles import actions, history, revocation
from pacesetter.titles.models import Award, AwardDecision
from tests import factories

from .test_actions import advanced_worker, award_all, record_advanced_workers
from .test_history import imported, past
from .test_per_period import pack, run_week, weekly  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

DECISION = {
    "decision_number": "125/QD-UBND",
    "decision_date": "today",
    "awarding_body": "People's Committee of the province",
    "signer_name": "Nguyen Van A",
    "signer_position": "Chairman",
}


@pytest.fixture
def made(vn_pack, people, units):
    """The advanced workers of W1 for 2024, awarded here and awaiting their decisions."""
    record_advanced_workers(people)
    awards = award_all(
        actions.run_evaluation(title=advanced_worker(vn_pack), year=2024, scope=units["W1"])
    )
    assert len(awards) >= 6 and not any(a.is_final for a in awards)
    return sorted(awards, key=lambda a: a.member.external_id)


def by_holder(award, **extra):
    return {
        "member": award.member.external_id,
        "title": "advanced_worker",
        "year": str(award.year),
        **DECISION,
        **extra,
    }


def by_code(award, **extra):
    return {"code": award.code, **DECISION, **extra}


def record(vn_pack, *rows, numbers=None):
    return history.record_decisions(
        pack=vn_pack.pack, rows=list(rows), source="decisions.csv", row_numbers=numbers
    )


def refusals(vn_pack, *rows):
    with pytest.raises(ValidationFailed) as caught:
        record(vn_pack, *rows)
    return [(e.row, e.field, e.message) for e in caught.value.errors]


def test_decisions_make_the_awards_final_and_their_certificates_issue(vn_pack, made):
    first, second = made[0], made[1]
    with pytest.raises(StateError, match="is not final"):
        history.require_final(first)
    done = record(vn_pack, by_holder(first), by_code(second, decision_number="126/QD-UBND"))
    assert (len(done.recorded), done.unchanged) == (2, 0)
    assert [(d.row, d.code, d.year) for d in done.recorded] == [
        (1, first.code, 2024),
        (2, second.code, 2024),
    ]
    today = timezone.localdate()
    assert done.recorded[0].decision == f"125/QD-UBND of {today.isoformat()}"
    decision = AwardDecision.objects.get(award=first)
    assert (decision.number, decision.decided_on, decision.signer_position) == (
        "125/QD-UBND",
        today,
        "Chairman",
    )
    for award in (first, second):
        history.require_final(Award.objects.get(pk=award.pk))
    assert not Award.objects.get(pk=made[2].pk).is_final
    event = AuditEvent.objects.filter(action="titles.record_decisions").get()
    assert event.after["recorded"] == [first.code, second.code]


def test_running_the_file_again_changes_nothing(vn_pack, made):
    rows = [by_holder(award) for award in made]
    assert len(record(vn_pack, *rows).recorded) == len(made)
    again = record(vn_pack, *rows)
    assert (again.recorded, again.unchanged) == ([], len(made))
    assert AwardDecision.objects.count() == len(made)


def test_every_bad_row_is_named_and_nothing_is_recorded(vn_pack, made, units):
    first, second, third, fourth, fifth, sixth = made[:6]
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    rows = [
        by_holder(first),  # good, but not recorded: the file is refused
        by_holder(second, signer_name="", awarding_body=""),
        by_holder(third, decision_date=tomorrow),
        by_holder(first, decision_number="127/QD"),
        {**by_holder(second), "title": "no_such_title"},
        {**by_holder(second), "member": "nobody"},
        {**by_holder(second), "year": "2019"},
        by_code(fourth, decision_date="20.12.2024"),
        {**by_code(fourth), "code": "AAAA-BBBB-CCCC"},
        {**by_code(fourth), "title": "advanced_worker"},
        {**by_holder(fifth), "signer": "x"},
        by_holder(sixth, decision_date="2024-01-02"),
    ]
    assert refusals(vn_pack, *rows) == [
        (2, "awarding_body", "required before the award is final"),
        (2, "signer_name", "required before the award is final"),
        (3, "decision_date", "not in the future"),
        (4, "member", f"the same award as row 1 (certificate {first.code})"),
        (5, "title", "no title 'no_such_title' in the pack vn-emulation"),
        (6, "member", "no member with the id 'nobody'"),
        (7, "member", f"no award of advanced_worker 2019 to {second.member}"),
        (8, "decision_date", "a date as YYYY-MM-DD or today, not '20.12.2024'"),
        (9, "code", "no award with the certificate code 'AAAA-BBBB-CCCC' in the pack vn-emulation"),
        (
            10,
            "code",
            "name the award by its certificate code or by its holder, title and year; not both",
        ),
        (
            11,
            "signer",
            "not a column of decisions; they are code, member, unit, title, year, period, "
            "decision_number, decision_date, awarding_body, signer_name, signer_position",
        ),
        (
            12,
            "decision_date",
            f"on or after {sixth.awarded_on.isoformat()}, when the award was carried",
        ),
    ]
    assert not AwardDecision.objects.exists()


def test_a_revoked_award_or_one_decided_otherwise_is_a_row_error(vn_pack, made):
    first, second = made[0], made[1]
    record(vn_pack, by_holder(first))
    revocation.revoke_award(award=second, reason="entered by mistake", revoked_on=dt.date.today())
    assert refusals(vn_pack, by_holder(first, decision_number="999/QD"), by_code(second)) == [
        (
            1,
            "member",
            f"already decided by 125/QD-UBND of {timezone.localdate().isoformat()}; a wrong "
            "decision is corrected by revoking the award",
        ),
        (2, "code", "this award is revoked"),
    ]


def test_an_imported_award_already_carries_its_decision(vn_pack, people):
    done = imported(vn_pack, past("w1-1", "advanced_worker", 2021, number="21/QD"))
    same = {
        "code": done.codes[0],
        "decision_number": "21/QD",
        "decision_date": "2021-12-20",
        "awarding_body": "Director of the Steel Works",
        "signer_name": "Nguyen Van A",
        "signer_position": "Director",
    }
    assert record(vn_pack, same).unchanged == 1


def test_an_organiser_of_another_subtree_gets_row_errors_for_awards_outside(vn_pack, made, units):
    organiser = factories.UserFactory()
    grant_role(user=organiser, role=Role.ORGANISER, unit=units["W2"])
    viewer_organiser = factories.UserFactory()
    grant_role(user=viewer_organiser, role=Role.ORGANISER, unit=units["W2"])
    grant_role(user=viewer_organiser, role=Role.VIEWER, unit=units["W1"])
    first = made[0]
    with acting_as(actor_for(organiser)):
        # W1 is not theirs to see: its awards are unknown to them
        assert refusals(vn_pack, by_code(first), by_holder(first)) == [
            (
                1,
                "code",
                f"no award with the certificate code '{first.code}' in the pack vn-emulation",
            ),
            (2, "member", f"no member with the id '{first.member.external_id}'"),
        ]
    with acting_as(actor_for(viewer_organiser)):
        assert refusals(vn_pack, by_code(first)) == [
            (1, "code", "only an organiser of W1 records its decisions"),
        ]
    assert not AwardDecision.objects.exists()


def test_the_single_decision_is_the_file_with_one_row(vn_pack, made):
    """The page's and the API's action: the same checks, its own field names."""
    first = made[0]
    with pytest.raises(ValidationFailed) as caught:
        history.record_decision(
            award=first,
            number="1/QD",
            decided_on=first.awarded_on - dt.timedelta(days=1),
            awarding_body="Committee",
            signer_name="A",
            signer_position="Chairman",
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("decided_on", f"on or after {first.awarded_on.isoformat()}, when the award was carried")
    ]
    record(vn_pack, by_holder(first))
    with pytest.raises(StateError, match="already recorded"):
        history.record_decision(
            award=first,
            number="125/QD-UBND",
            decided_on=timezone.localdate(),
            awarding_body="People's Committee of the province",
            signer_name="Nguyen Van A",
            signer_position="Chairman",
        )


def test_the_command_previews_records_and_refuses_by_the_files_rows(vn_pack, made, tmp_path):
    first, second = made[0], made[1]
    good = tmp_path / "decisions.csv"
    header = (
        "member;title;year;decision_number;decision_date;awarding_body;signer_name;signer_position"
    )
    lines = [
        f"{a.member.external_id};advanced_worker;2024;{n}/QD;today;The committee;Kim;Chairman"
        for n, a in ((1, first), (2, second))
    ]
    good.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_decisions", str(good), pack="vn-emulation", dry_run=True, stdout=out)
    assert "would record 2 decisions; 0 already recorded. Dry run: nothing written." in (
        out.getvalue()
    )
    assert first.code in out.getvalue() and not AwardDecision.objects.exists()
    out = io.StringIO()
    call_command("import_decisions", str(good), pack="vn-emulation", stdout=out)
    assert "decisions.csv: recorded 2 decisions; 0 already recorded." in out.getvalue()
    out = io.StringIO()
    call_command("import_decisions", str(good), pack="vn-emulation", stdout=out)
    assert "recorded 0 decisions; 2 already recorded." in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{header}\n\n{made[2].member.external_id};advanced_worker;2024;3/QD;today;;Kim;Chairman\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 rows are not valid; nothing was recorded"):
        call_command("import_decisions", str(bad), pack="vn-emulation", stdout=out)
    assert "│   3 │ awarding_body │ required before the award is final" in out.getvalue()
    misspelt = tmp_path / "misspelt.csv"
    misspelt.write_text(header.replace("signer_name", "signer") + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="column signer that a file of decisions does not"):
        call_command("import_decisions", str(misspelt), pack="vn-emulation", stdout=io.StringIO())
    assert AwardDecision.objects.count() == 2


def test_a_title_judged_per_period_names_the_period(
    pack,  # noqa: F811
    weekly,  # noqa: F811
    units,
):
    """W1 holds the team of the week twice in 2026: the row names the week, or is refused."""
    awards = []
    for name in ("week 1", "week 3"):
        run = run_week(weekly, units, name)
        awards += [
            actions.award_without_vote(candidate=c) for c in run.results.filter(selected=True)
        ]
    row = {"unit": "W1", "title": "team_of_the_week", "year": "2026", **DECISION}
    with pytest.raises(ValidationFailed) as caught:
        history.record_decisions(pack=pack.pack, rows=[row], source="decisions.csv")
    assert [(e.row, e.field, e.message) for e in caught.value.errors] == [
        (
            1,
            "period",
            f"{units['W1']} holds team_of_the_week 2 times in 2026: name the period "
            "(week 1, week 3) or the certificate code",
        )
    ]
    done = history.record_decisions(
        pack=pack.pack, rows=[{**row, "period": "week 3"}], source="decisions.csv"
    )
    assert [d.code for d in done.recorded] == [awards[1].code]
    assert [a.pk for a in Award.objects.filter(decision__isnull=False)] == [awards[1].pk]

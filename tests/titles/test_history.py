"""A body's history and its decisions: past awards imported (all or nothing, row errors,
duplicates in the file, idempotent rerun, years before the pack's first rule version), counted
by the rules like awards made here, revoked like any award; an award final only with its
decision, shown on the certificate and the verification page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from pacesetter.core.errors import NotAllowed, StateError, ValidationFailed
from pacesetter.titles import actions, history, revocation
from pacesetter.titles.models import Award, AwardDecision, Title

from .test_actions import advanced_worker, award_all, record_advanced_workers, rows

pytestmark = pytest.mark.django_db


def past(member, title, year, number=None, **extra):
    return {
        "member": member,
        "title": title,
        "year": str(year),
        "awarding_body": "Director of the Steel Works",
        "decision_number": number or f"{year}/QD-{title[:3]}",
        "decision_date": f"{year}-12-20",
        **extra,
    }


def imported(vn_pack, *items, numbers=None):
    return history.import_awards(
        pack=vn_pack.pack, rows=list(items), source="history.csv", row_numbers=numbers
    )


def test_imported_history_makes_a_person_eligible_for_national_fighter(
    vn_pack, people, units, council
):
    """Grassroots fighter made here for 2024, the five years before imported: the six
    consecutive years and the two provincial awards now hold, and the explanation names the
    imported years."""
    record_advanced_workers(people)
    award_all(actions.run_evaluation(title=advanced_worker(vn_pack), year=2024, scope=units["W1"]))
    grassroots = Title.objects.get(pack=vn_pack.pack, code="grassroots_fighter")
    (made,) = award_all(
        actions.run_evaluation(title=grassroots, year=2024, scope=units["W1"]), council
    )
    assert made.member.external_id == "w1-0" and made.origin == "made"
    rows(
        "judgements",
        {"member": "w1-0", "year": "2024", "name": "outstanding", "value": "yes"},
        {"member": "w1-0", "year": "2024", "name": "influence_national", "value": "yes"},
    )
    national = Title.objects.get(pack=vn_pack.pack, code="national_fighter")

    def judged():
        run = actions.run_evaluation(title=national, year=2024, scope=units["W1"])
        return run.results.get(member=people["w1-0"])

    before = judged()
    assert not before.eligible
    assert "needs 6 consecutive, has 1 ending 2024; missing: 2019, 2020, 2021, 2022, 2023" in (
        before.why_not
    )
    done = imported(
        vn_pack,
        *[past("w1-0", "grassroots_fighter", year) for year in range(2019, 2024)],
        past("w1-0", "provincial_fighter", 2020),
        past("w1-0", "provincial_fighter", 2023),
    )
    assert (len(done.created), done.unchanged) == (7, 0)
    after = judged()
    assert after.eligible, after.why_not
    explanation = json.dumps(after.explanation, ensure_ascii=False)
    for year in range(2019, 2024):
        assert f"Grassroots emulation fighter (Chiến sĩ thi đua cơ sở) {year} (imported, " in (
            explanation
        )
    assert f"2024 (certificate {made.code})" in explanation  # the one made here, not imported
    # the grassroots award made here is the sixth in a row: the count of renewals follows
    assert Award.objects.filter(member=people["w1-0"], title=grassroots).count() == 6


def test_import_happy_path_records_awards_with_their_decision(vn_pack, people, settings):
    done = imported(
        vn_pack,
        past("w1-1", "advanced_worker", 2021, signer_name="Kim", signer_position="Director"),
        past("w1-1", "advanced_worker", 2022, note="from the 2022 register"),
        numbers=[2, 3],
    )
    assert [(c.row, c.year, c.times) for c in done.created] == [(2, 2021, 1), (3, 2022, 2)]
    first, second = Award.objects.filter(member=people["w1-1"]).order_by("year")
    assert first.origin == "imported" and first.candidate_id is None
    assert first.imported_at is not None and first.is_final
    assert first.decision.number == "2021/QD-adv" and first.decision.signer_name == "Kim"
    assert first.awarded_on == dt.date(2021, 12, 20)
    assert first.note == "history.csv row 2" and second.note == "from the 2022 register"


def test_import_is_all_or_nothing_with_row_errors(vn_pack, people):
    with pytest.raises(ValidationFailed) as caught:
        imported(
            vn_pack,
            past("w1-1", "advanced_worker", 2021),
            past("nobody", "advanced_worker", 2021),
            past("w1-2", "advanced_worker", 2021, decision_date="20/12/2021"),
            past("w1-3", "advanced_worker", 2021, awarding_body=""),
            past("w1-4", "advanced_labour_collective", 2021),
        )
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (2, "member"),
        (3, "decision_date"),
        (4, "awarding_body"),
        (5, "title"),
    ]
    assert (
        caught.value.errors[3].message
        == "Advanced labour collective (Tập thể lao động tiên tiến) is given to a unit"
    )
    assert not Award.objects.exists()


def test_unknown_title_and_future_year_are_refused(vn_pack, people):
    next_year = timezone.localdate().year + 1
    with pytest.raises(ValidationFailed) as caught:
        imported(
            vn_pack,
            past("w1-1", "hero_of_labour", 2020),
            past("w1-1", "advanced_worker", next_year, decision_date="2020-01-01"),
        )
    (unknown, future) = caught.value.errors
    assert (unknown.row, unknown.field, unknown.code) == (1, "title", "not_found")
    assert unknown.message == "no title 'hero_of_labour' in the pack vn-emulation"
    assert (future.row, future.field) == (2, "year")
    assert future.message == f"{next_year} is in the future"


def test_a_duplicate_row_in_one_file_names_both_rows(vn_pack, people):
    with pytest.raises(ValidationFailed) as caught:
        imported(
            vn_pack,
            past("w1-1", "advanced_worker", 2021),
            past("w1-2", "advanced_worker", 2021),
            past("w1-1", "advanced_worker", 2021, number="other"),
            numbers=[2, 3, 4],
        )
    (error,) = caught.value.errors
    assert (error.row, error.field, error.code) == (3, "year", "duplicate")
    assert "the same award as row 2" in error.message
    assert not Award.objects.exists()


def test_rerun_is_idempotent_and_another_decision_is_a_row_error(vn_pack, people):
    file = [past("w1-1", "advanced_worker", 2021), past("w1-1", "advanced_worker", 2022)]
    assert len(imported(vn_pack, *file).created) == 2
    again = imported(vn_pack, *file)
    assert (len(again.created), again.unchanged) == (0, 2)
    assert Award.objects.count() == 2 and AwardDecision.objects.count() == 2
    with pytest.raises(ValidationFailed) as caught:
        imported(vn_pack, past("w1-1", "advanced_worker", 2021, number="99/QD"))
    assert caught.value.errors[0].message.startswith(
        "already holds Advanced worker (Lao động tiên tiến) for 2021 (certificate "
    )


def test_years_before_the_packs_first_rule_version_are_allowed(vn_pack, people):
    # the pack's first rule version is in force from 1 October 2017
    done = imported(vn_pack, past("w1-1", "grassroots_fighter", 2012))
    award = Award.objects.get(code=done.codes[0])
    assert (award.year, award.rule_version, award.revision_id) == (2012, "", vn_pack.pk)


def test_a_preview_writes_nothing_and_answers_the_same(vn_pack, people):
    preview = history.preview_awards(
        pack=vn_pack.pack, rows=[past("w1-1", "advanced_worker", 2021)], source="h.csv"
    )
    assert [c.title for c in preview.created] == ["advanced_worker"]
    assert not Award.objects.exists()


def test_import_needs_an_organiser_of_the_holders_unit(vn_pack, people, units):
    from pacesetter.accounts.actions import grant_role
    from pacesetter.accounts.models import Role
    from pacesetter.accounts.permissions import acting_as, actor_for
    from tests import factories

    viewer = factories.UserFactory()
    grant_role(user=viewer, role=Role.VIEWER, unit=units["KP"])
    with acting_as(actor_for(viewer)), pytest.raises(NotAllowed):
        imported(vn_pack, past("w1-1", "advanced_worker", 2021))
    assert not Award.objects.exists()


def test_an_imported_award_is_revoked_like_any(vn_pack, people):
    done = imported(vn_pack, past("w1-1", "advanced_worker", 2021))
    award = Award.objects.get(code=done.codes[0])
    (revoked,) = revocation.revoke_award(
        award=award, reason="entered by mistake", revoked_on=dt.date(2022, 1, 5)
    )
    assert revoked.award == award
    # no longer counted, and importing it again does not bring it back
    again = imported(vn_pack, past("w1-1", "advanced_worker", 2021))
    assert again.unchanged == 1 and Award.objects.count() == 1


# --- decisions ------------------------------------------------------------------------------


DECISION = {
    "number": "125/QD-UBND",
    "decided_on": None,
    "awarding_body": "People's Committee of the province",
    "signer_name": "Nguyen Van A",
    "signer_position": "Chairman",
}


def a_made_award(vn_pack, people, units):
    record_advanced_workers(people)
    return award_all(
        actions.run_evaluation(title=advanced_worker(vn_pack), year=2024, scope=units["W1"])
    )[0]


def test_an_award_is_final_only_with_its_whole_decision(vn_pack, people, units):
    award = a_made_award(vn_pack, people, units)
    assert not award.is_final
    with pytest.raises(StateError, match="is not final: record the awarding body's decision"):
        history.require_final(award)
    with pytest.raises(ValidationFailed) as caught:
        history.record_decision(award=award, **{**DECISION, "signer_name": " "})
    assert caught.value.detail == (
        "The award is not final without its decision: give decided on, signer name."
    )
    assert [e.field for e in caught.value.errors] == ["decided_on", "signer_name"]
    decision = history.record_decision(award=award, **{**DECISION, "decided_on": award.awarded_on})
    award = Award.objects.get(pk=award.pk)
    assert award.is_final and award.decision == decision
    history.require_final(award)
    with pytest.raises(StateError, match="already recorded"):
        history.record_decision(award=award, **{**DECISION, "decided_on": award.awarded_on})


def test_a_decision_is_not_dated_in_the_future(vn_pack, people, units):
    award = a_made_award(vn_pack, people, units)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        history.record_decision(award=award, **{**DECISION, "decided_on": tomorrow})
    assert caught.value.errors[0].field == "decided_on"


def test_awards_and_decisions_stay_append_only(vn_pack, people):
    """SQLite rebuilt the award table for this change: its triggers were made again."""
    from django.db import IntegrityError, transaction

    done = imported(vn_pack, past("w1-1", "advanced_worker", 2021))
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.filter(code=done.codes[0]).update(year=2020)
    with pytest.raises(IntegrityError), transaction.atomic():
        AwardDecision.objects.filter(award__code=done.codes[0]).update(number="changed")

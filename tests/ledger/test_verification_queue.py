"""The verification queue (flagged first, then the stable sample), its page and its API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from pacesetter.accounts import actions as account_actions
from pacesetter.ledger.actions import ReportRow, record_reports
from pacesetter.ledger.models import Report, ReportFlag, VerificationDecision
from pacesetter.ledger.verification import decide
from pacesetter.ledger.verification_selectors import verification_queue
from pacesetter.ledger.verification_state import in_sample
from tests import factories

DAY = dt.date(2025, 3, 10)


pytestmark = pytest.mark.usefixtures("hand_made_flags_only")


def _reports(movement, count, unit="W1"):
    rows = [
        ReportRow(unit=unit, indicator="steel", day=DAY, quantity=str(n + 1)) for n in range(count)
    ]
    return record_reports(movement=movement, rows=rows, source="api").report_ids


def _flag(report_id, kind="over_capacity", reason="3 times the rated capacity"):
    report = Report.objects.get(pk=report_id)
    return ReportFlag.objects.create(
        movement_id=report.movement_id,
        report_id=report.pk,
        unit_id=report.unit_id,
        indicator_id=report.indicator_id,
        day=report.day,
        kind=kind,
        reason=reason,
        numbers={"ratio": "3.0"},
        flagged_at=timezone.now(),
    )


def test_flagged_first_then_the_stable_sample(movement, user):
    ids = _reports(movement, 300)
    _flag(ids[5])
    _flag(ids[5], kind="jump", reason="five times its median")
    _flag(ids[7])
    queue = verification_queue(movement=movement, where=Q())
    flagged = [item.report.pk for item in queue.items if item.flags]
    assert flagged == [ids[7], ids[5]] and queue.flagged_waiting == 2
    assert [flag.kind for flag in queue.items[1].flags] == ["jump", "over_capacity"]
    sampled = [item.report.pk for item in queue.items if item.sampled]
    expected = sorted(
        (pk for pk in ids if pk not in (ids[5], ids[7]) and in_sample(pk, Decimal(2))),
        reverse=True,
    )
    assert sampled == expected and sampled
    # Decided reports leave the queue; the sample stays what it was.
    decide(report=Report.objects.get(pk=ids[5]), decision="confirm", decided_by=user)
    decide(report=Report.objects.get(pk=sampled[0]), decision="confirm", decided_by=user)
    again = verification_queue(movement=movement, where=Q())
    assert [i.report.pk for i in again.items if i.flags] == [ids[7]]
    assert [i.report.pk for i in again.items if i.sampled] == sampled[1:]


def test_the_rate_and_filters(movement, user, units):
    ids = _reports(movement, 50) + _reports(movement, 50, unit="W4")
    movement.verification_sample_percent = Decimal(0)
    assert verification_queue(movement=movement, where=Q()).items == []
    movement.verification_sample_percent = Decimal(100)
    everything = verification_queue(movement=movement, where=Q(), limit=200)
    assert len(everything.items) == 100
    only_w4 = verification_queue(
        movement=movement, where=Q(unit__path__startswith=units["P2"].path), limit=200
    )
    assert {i.report.unit.code for i in only_w4.items} == {"W4"}
    assert len(verification_queue(movement=movement, where=Q(), limit=10).items) == 10
    assert ids


def test_queue_reads_a_fixed_number_of_queries(movement, django_assert_num_queries):
    ids = _reports(movement, 200)
    for pk in ids[:20]:
        _flag(pk)
    with django_assert_num_queries(6):
        verification_queue(movement=movement, where=Q())


# --- the page ----------------------------------------------------------------------------------


@pytest.fixture
def verifier(units, movement):
    person = factories.UserFactory(username="vera")
    account_actions.grant_role(user=person, role="verifier", unit=units["C1"], movement=movement)
    return person


def test_the_page_lists_and_decides_in_place(client, movement, verifier):
    ids = _reports(movement, 3)
    _flag(ids[0])
    client.force_login(verifier)
    page = client.get(f"/verify/{movement.slug}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "3 times the rated capacity" in text and f'id="report-{ids[0]}"' in text
    # htmx: the card comes back decided
    response = client.post(
        f"/verify/{movement.slug}/{ids[0]}/",
        {
            f"r{ids[0]}-decision": "correct",
            f"r{ids[0]}-quantity": "0.5",
            f"r{ids[0]}-reason": "scale",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Decided: Corrected" in response.content.decode()
    decision = VerificationDecision.objects.get()
    assert (decision.decided_by, decision.reason) == (verifier, "scale")
    # Without htmx: a missing reason comes back beside the field, 422, nothing decided.
    response = client.post(f"/verify/{movement.slug}/{ids[1]}/", {f"r{ids[1]}-decision": "reject"})
    assert response.status_code == 422 and "a reason is required" in response.content.decode()
    response = client.post(f"/verify/{movement.slug}/{ids[1]}/", {f"r{ids[1]}-decision": "confirm"})
    assert response.status_code == 302
    assert VerificationDecision.objects.count() == 2
    # The history shows on the report entry page too.
    page = client.get(f"/report/{movement.slug}/?unit=W1&day=2025-03-10")
    assert page.status_code == 403  # a verifier does not enter reports


def test_entry_page_shows_the_state_and_history(client, user, movement):
    ids = _reports(movement, 1)
    decide(
        report=Report.objects.get(pk=ids[0]),
        decision="reject",
        reason="no such shift",
        decided_by=user,
    )
    client.force_login(user)
    text = client.get(f"/report/{movement.slug}/?unit=W1&day=2025-03-10").content.decode()
    assert "Rejected" in text and "no such shift" in text and "Verification history" in text


def test_the_page_refuses_who_may_not_verify(client, movement, units):
    reporter = factories.UserFactory(username="rita")
    account_actions.grant_role(user=reporter, role="reporter", unit=units["C1"], movement=movement)
    client.force_login(reporter)
    assert client.get(f"/verify/{movement.slug}/").status_code == 403
    stranger = factories.UserFactory(username="nobody")
    client.force_login(stranger)
    assert client.get(f"/verify/{movement.slug}/").status_code == 404


def test_a_verifier_decides_only_inside_the_subtree(client, movement, verifier):
    (outside,) = _reports(movement, 1, unit="W4")
    client.force_login(verifier)
    response = client.post(
        f"/verify/{movement.slug}/{outside}/", {f"r{outside}-decision": "confirm"}
    )
    assert response.status_code == 404
    assert client.get(f"/verify/{movement.slug}/?unit=W4").status_code == 404


def test_the_page_takes_a_fixed_number_of_queries(
    client, user, movement, django_assert_num_queries
):
    client.force_login(user)
    ids = _reports(movement, 3)
    for pk in ids:
        _flag(pk)
    decide(report=Report.objects.get(pk=ids[0]), decision="confirm", decided_by=user)
    url = f"/verify/{movement.slug}/"
    # session, user; movement, scope, indicators; the queue (6), the states of its reports,
    # the latest decisions (an operator: no grants to read)
    with django_assert_num_queries(13) as few:
        assert client.get(url).status_code == 200
    for pk in _reports(movement, 30):
        _flag(pk)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200

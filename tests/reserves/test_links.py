"""Verified reserves counted toward an indicator through the ledger, by an explicit link."""

import datetime as dt
from decimal import Decimal

import pytest

from pacesetter.accounts.permissions import acting_as
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, StateError, ValidationFailed
from pacesetter.ledger.models import Report, SubtreePeriodTotal
from pacesetter.movements.selectors import movement_today
from pacesetter.reserves import actions
from pacesetter.reserves.models import ReserveCount, ReserveLink, Status
from tests import factories

from .conftest import actor


@pytest.fixture
def housing(units):
    today = dt.date.today()
    return factories.movement(
        units["KP"],
        slug="housing",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300),
        indicators=(
            {"code": "flats", "name": "Flats", "unit_of_measure": "flats"},
            {"code": "cement", "name": "Cement", "unit_of_measure": "t", "decimal_places": 2},
        ),
    )


def flats(movement):
    return movement.indicators.get(code="flats")


def implemented(units, **kw):
    args = {
        "unit": units["W1"],
        "kind": "material",
        "description": "Lighter slabs",
        "estimated": "100",
        "measure": "t of steel",
    }
    args.update(kw)
    r = actions.propose_reserve(**args)
    actions.accept_reserve(r)
    actions.implement_reserve(r)
    return r


def total(unit, indicator):
    row = SubtreePeriodTotal.objects.filter(unit=unit, indicator=indicator).first()
    return row.quantity_minor if row else 0


def test_a_linked_verified_reserve_counts_once_through_the_ledger(units, housing):
    link = actions.link_reserves(
        movement=housing,
        kind="material",
        measure="t of steel",
        indicator=flats(housing),
        factor="0.05",
    )
    r = implemented(units)
    actions.verify_reserve(r, verified="120", measure="t of steel")
    report = Report.objects.get(source=Report.Source.RESERVE)
    assert report.quantity_minor == 6  # 120 t × 0.05 = 6 flats, exactly
    assert report.unit_id == units["W1"].pk and report.indicator == flats(housing)
    assert report.day == movement_today(housing)
    assert report.verification == Report.Verification.VERIFIED
    assert report.idempotency_key.endswith(f"reserve:{r.pk}")
    count = ReserveCount.objects.get(reserve=r)
    assert (count.quantity, count.report_id, count.factor) == (6, report.pk, link.factor)
    for code in ("W1", "C1", "P1", "KP"):
        assert total(units[code], flats(housing)) == 6
    # The reserve cannot be verified twice, so the saving cannot count twice; a replay of
    # the ledger row with the same key is not counted again.
    with pytest.raises(StateError):
        actions.verify_reserve(r, verified="120", measure="t of steel")
    actions._count(r, Decimal("120"))
    assert Report.objects.filter(source=Report.Source.RESERVE).count() == 1
    assert total(units["KP"], flats(housing)) == 6
    audited = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"reserves.link_reserves", "ledger.record_reports"} <= audited


def test_an_unlinked_kind_or_measure_counts_nothing(units, housing):
    actions.link_reserves(
        movement=housing, kind="material", measure="t of steel", indicator=flats(housing)
    )
    r = implemented(units, measure="t of cement")
    actions.verify_reserve(r, verified="5", measure="t of cement")
    r2 = implemented(units, kind="time", measure="hours")
    actions.verify_reserve(r2, verified="5", measure="hours")
    assert not Report.objects.filter(source=Report.Source.RESERVE).exists()
    assert r.counts.count() == 0


def test_a_reserve_of_another_movement_is_not_counted(units, housing):
    other = factories.movement(units["KP"], slug="other")
    actions.link_reserves(
        movement=housing, kind="material", measure="t of steel", indicator=flats(housing)
    )
    r = implemented(units, movement=other)
    actions.verify_reserve(r, verified="5", measure="t of steel")
    assert not Report.objects.filter(source=Report.Source.RESERVE).exists()


def test_an_inexact_count_is_refused_with_the_verification(units, housing):
    actions.link_reserves(
        movement=housing,
        kind="material",
        measure="t of steel",
        indicator=flats(housing),
        factor="0.05",
    )
    r = implemented(units)
    with pytest.raises(ValidationFailed) as exc:
        actions.verify_reserve(r, verified="7", measure="t of steel")
    assert [e.field for e in exc.value.errors] == ["verified"]
    assert "0.35" in exc.value.errors[0].message and "whole numbers" in str(exc.value)
    r.refresh_from_db()
    assert r.status == Status.IMPLEMENTED
    assert not Report.objects.exists()


def test_a_closed_movement_refuses_the_count_and_the_verification(units, housing):
    from pacesetter.movements import actions as movement_actions

    actions.link_reserves(
        movement=housing, kind="material", measure="t of steel", indicator=flats(housing)
    )
    r = implemented(units, movement=housing)
    movement_actions.close_movement(movement=housing)
    with pytest.raises(StateError) as exc:
        actions.verify_reserve(r, verified="3", measure="t of steel")
    assert "Flats" in str(exc.value)
    r.refresh_from_db()
    assert r.status == Status.IMPLEMENTED


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"kind": "steel"}, "kind"),
        ({"measure": ""}, "measure"),
        ({"factor": "0"}, "factor"),
        ({"factor": "0.1234567"}, "factor"),
        ({"factor": "x"}, "factor"),
    ],
)
def test_a_bad_link_is_refused_naming_the_field(units, housing, kw, field):
    args = {
        "movement": housing,
        "kind": "material",
        "measure": "t of steel",
        "indicator": flats(housing),
        "factor": "1",
    }
    args.update(kw)
    with pytest.raises(ValidationFailed) as exc:
        actions.link_reserves(**args)
    assert [e.field for e in exc.value.errors] == [field]
    assert not ReserveLink.objects.exists()


def test_an_indicator_of_another_movement_is_refused(units, housing, movement):
    with pytest.raises(ValidationFailed) as exc:
        actions.link_reserves(
            movement=housing,
            kind="material",
            measure="t",
            indicator=movement.indicators.first(),
        )
    assert [e.field for e in exc.value.errors] == ["indicator"]


def test_setting_a_link_again_changes_it_and_unlinking_removes_it(units, housing):
    first = actions.link_reserves(
        movement=housing, kind="material", measure="t of steel", indicator=flats(housing)
    )
    again = actions.link_reserves(
        movement=housing,
        kind="material",
        measure="t of steel",
        indicator=flats(housing),
        factor="0.5",
    )
    assert again.pk == first.pk and again.factor == Decimal("0.5")
    actions.unlink_reserves(link=again)
    assert not ReserveLink.objects.exists()
    assert AuditEvent.objects.filter(action="reserves.unlink_reserves").exists()


def test_only_an_organiser_of_the_movement_links(units, housing, people):
    for who in ("head", "verifier", "member"):
        with acting_as(actor(people[who])), pytest.raises(NotAllowed):
            actions.link_reserves(
                movement=housing, kind="material", measure="t", indicator=flats(housing)
            )
    with acting_as(actor(people["organiser"])), pytest.raises(NotAllowed):
        # An organiser of P1 does not organise a movement of KP.
        actions.link_reserves(
            movement=housing, kind="material", measure="t", indicator=flats(housing)
        )


def test_the_reserve_page_and_the_figure_show_what_was_counted(
    units, housing, people, client, django_assert_max_num_queries
):
    actions.link_reserves(
        movement=housing,
        kind="material",
        measure="t of steel",
        indicator=flats(housing),
        factor="0.05",
    )
    r = implemented(units)
    client.force_login(people["head"])
    page = client.get(f"/reserves/{r.pk}/").content.decode()
    assert 'data-would-count="flats"' in page and "0.05 flats" in page
    actions.verify_reserve(r, verified="120", measure="t of steel")
    page = client.get(f"/reserves/{r.pk}/").content.decode()
    assert 'data-counts="flats"' in page and "Counts toward Flats (Housing) as 6 flats" in page
    client.force_login(people["organiser"])
    from pacesetter.ledger.actions import ReportRow, record_reports

    record_reports(
        movement=housing,
        rows=[ReportRow(unit="W2", indicator="flats", day=movement_today(housing), quantity=10)],
        source="web",
    )
    for path in (f"/movements/{housing.slug}/", f"/movements/{housing.slug}/units/C1/"):
        page = client.get(path).content.decode()
        assert 'data-figure="from-reserves"' in page, path
        assert "of which 6 from verified reserves" in page
    # W2 has no reserve counted: no "of which" on its figure
    page = client.get(f"/movements/{housing.slug}/units/W2/").content.decode()
    assert 'data-figure="from-reserves"' not in page
    # A correction of the reserve's report (a recount of the steel saved) is in the "of which"
    # as it is in the figure.
    from pacesetter.ledger.actions import correct_report
    from pacesetter.ledger.models import Report

    counted = Report.objects.get(source="reserve")
    correct_report(report=counted, quantity="4", reason="steel recounted", source="web")
    page = client.get(f"/movements/{housing.slug}/").content.decode()
    assert "of which 4 from verified reserves" in page


def test_the_api_sets_lists_and_removes_a_link(units, housing, people):
    import json

    from .test_api import client_of, errors, post

    api = client_of(factories.UserFactory(username="op", is_superuser=True))
    url = f"/api/v1/movements/{housing.slug}/reserve-links"
    bad = post(api, url, {"kind": "material", "measure": "t", "indicator": "nope"})
    assert errors(bad, 422) == {"indicator"}
    bad = post(api, url, {"kind": "material", "measure": "t", "indicator": "flats", "factor": -1})
    assert errors(bad, 422) == {"factor"}
    made = post(
        api,
        url,
        {"kind": "material", "measure": "t of steel", "indicator": "flats", "factor": 0.05},
    )
    assert made.status_code == 201, made.content
    body = json.loads(made.content)
    assert body["factor"] == "0.05" and body["indicator"] == "flats"
    assert json.loads(api.get(url).content) == [body]
    member = client_of(people["member"])
    refused = post(member, url, {"kind": "time", "measure": "hours", "indicator": "flats"})
    assert refused.status_code in (403, 404)
    gone = api.delete(f"{url}/{body['id']}")
    assert gone.status_code == 204
    assert not ReserveLink.objects.exists()


def test_the_organiser_panel_sets_and_removes_a_link(
    units, housing, client, django_assert_max_num_queries
):
    client.force_login(factories.UserFactory(username="op", is_superuser=True))
    url = f"/movements/{housing.slug}/reserve-links/"
    wrong = client.post(
        url, {"kind": "money", "measure": "won", "indicator": "flats", "factor": "1"}
    )
    assert wrong.status_code == 422 and "currency code" in wrong.content.decode()
    done = client.post(
        url, {"kind": "material", "measure": "t of steel", "indicator": "flats", "factor": "0.05"}
    )
    assert done.status_code == 302
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert 'data-link="material:t of steel"' in page and "0.05 flats" in page
    link = ReserveLink.objects.get()
    assert client.post(f"{url}{link.pk}/remove/").status_code == 302
    assert not ReserveLink.objects.exists()
    organise = client.get(f"/organise/{housing.slug}/").content.decode()
    assert url in organise

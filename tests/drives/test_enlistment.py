import datetime as dt

import pytest

from pacesetter.core.errors import ActionError, ValidationFailed
from pacesetter.drives import selectors
from pacesetter.drives.actions import EnlistmentRow, report_enlistment
from pacesetter.movements.selectors import movement_today

TODAY = dt.date.today()


def ret(unit, medical, hygiene, day=None, **kwargs):
    return EnlistmentRow(
        unit=unit, counts={"medical": medical, "hygiene": hygiene}, day=day, **kwargs
    )


def test_national_totals_and_coverage(enlistment, units):
    day = movement_today(enlistment.movement)
    report_enlistment(drive=enlistment, rows=[ret("C1", 10, 200, day), ret("C3", 5, 0, day)])
    assert selectors.national_daily_total(drive=enlistment, day=day) == {
        "medical": 15,
        "hygiene": 200,
    }
    overview = selectors.enlistment_overview(drive=enlistment, unit=units["KP"], day=day)
    assert (overview.today.reported, overview.expected) == (2, 3)
    assert str(overview.today.coverage.quantize(dt_q())) == "66.7"
    children = {
        child.code: (totals, reported, expected)
        for child, totals, reported, expected in overview.children
    }
    assert children["P1"] == ({"medical": 10, "hygiene": 200}, 1, 2)
    assert children["P2"] == ({"medical": 5, "hygiene": 0}, 1, 1)


def dt_q():
    from decimal import Decimal

    return Decimal("0.1")


def test_missing_days_are_not_zero(enlistment, units):
    today = movement_today(enlistment.movement)
    yesterday = today - dt.timedelta(days=1)
    before = today - dt.timedelta(days=2)
    report_enlistment(drive=enlistment, rows=[ret("C3", 0, 0, before), ret("C3", 4, 1, today)])
    overview = selectors.enlistment_overview(drive=enlistment, unit=units["C3"], day=today)
    by_day = {d.day: d for d in overview.days}
    assert by_day[today].totals == {"medical": 4, "hygiene": 1}
    assert by_day[yesterday].missing and by_day[yesterday].totals is None
    assert by_day[before].totals == {"medical": 0, "hygiene": 0} and not by_day[before].missing
    assert selectors.unit_returns(drive=enlistment, unit=units["C3"], start=before, end=today) == {
        before,
        today,
    }


def test_a_return_is_replayed_not_counted_twice(enlistment, units):
    day = movement_today(enlistment.movement)
    report_enlistment(drive=enlistment, rows=[ret("C1", 10, 200, day)])
    again = report_enlistment(drive=enlistment, rows=[ret("C1", 10, 200, day)])
    assert again.reports == 0 and again.new_returns == 0
    with pytest.raises(ActionError) as refused:
        report_enlistment(drive=enlistment, rows=[ret("C1", 11, 200, day)])
    assert "file a correction" in refused.value.errors[0].message
    assert selectors.national_daily_total(drive=enlistment, day=day)["medical"] == 10
    overview = selectors.enlistment_overview(drive=enlistment, unit=units["KP"], day=day)
    assert overview.today.reported == 1


def test_returns_need_every_role_and_the_right_kind_of_unit(enlistment):
    with pytest.raises(ValidationFailed) as refused:
        report_enlistment(
            drive=enlistment,
            rows=[
                EnlistmentRow(unit="C1", counts={"medical": 3}),
                ret("W1", 1, 1),
                ret("C2", 1, 1),
                ret("C2", 1, 1),
            ],
        )
    assert [(e.row, e.code) for e in refused.value.errors] == [
        (1, "required"),
        (2, "wrong_kind"),
        (4, "duplicate"),
    ]

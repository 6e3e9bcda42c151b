import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacesetter.drives import domain


@given(
    active=st.integers(0, 50),
    quota=st.integers(1, 50),
    count=st.integers(1, 50),
    at_quota=st.sampled_from(["close", "waitlist"]),
)
def test_admit_never_passes_the_quota(active, quota, count, at_quota):
    admitted, waiting, refused = domain.admit(
        active=active, quota=quota, at_quota=at_quota, count=count
    )
    assert admitted + waiting + refused == count
    assert active + admitted <= max(quota, active)
    assert (waiting == 0) if at_quota == "close" else (refused == 0)


@pytest.mark.parametrize(
    ("age", "band"), [(17, "under-18"), (18, "18-24"), (24, "18-24"), (45, "45-59"), (80, "60+")]
)
def test_age_bands(age, band):
    assert domain.age_band(age) == band


def test_band_fits_the_range():
    assert domain.band_fits("18-24", 17, 30)
    assert not domain.band_fits("25-34", 17, 30)
    assert domain.band_fits("60+", 16, None)
    assert not domain.band_fits("60+", 16, 70)


def test_contacts_written_differently_are_one_person():
    assert domain.contact_identity(1, "+850 2 123-4567") == domain.contact_identity(
        1, "+85021234567"
    )
    assert domain.contact_identity(1, "Kim@Example.org ") == domain.contact_identity(
        1, "kim@example.org"
    )
    assert domain.contact_identity(1, "a@b.c") != domain.contact_identity(2, "a@b.c")


def test_confirmation_codes_are_readable():
    codes = {domain.confirmation_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 10 and not set(c) & set("01IOL") for c in codes)


def test_missing_days_are_none_not_zero():
    start = dt.date(2025, 1, 1)
    series = domain.days_series(
        start=start,
        end=start + dt.timedelta(days=2),
        roles=["medical"],
        totals={("medical", start): 0},
        reported={start: 1, start + dt.timedelta(days=2): 2},
        expected=2,
    )
    assert [d.totals for d in series] == [{"medical": 0}, None, {"medical": 0}]
    assert [d.coverage for d in series] == [50, 0, 100]


def test_may_move_only_forward():
    assert domain.may_move("signed_up", "accepted")
    assert not domain.may_move("signed_up", "placed")
    assert not domain.may_move("completed", "withdrawn")

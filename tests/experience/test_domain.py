import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pacesetter.experience import domain, text

D = dt.date(2025, 3, 10)


def test_windows_cut_at_today():
    before, after = domain.windows(D, 3, D + dt.timedelta(days=1))
    assert before == [D - dt.timedelta(days=3), D - dt.timedelta(days=2), D - dt.timedelta(days=1)]
    assert after == [D, D + dt.timedelta(days=1)]


def test_comparison_is_read_over_each_adopters_own_calendar_days():
    """Adopter 1 on D, adopter 2 two days later: the comparison unit's rates follow each."""
    later = D + dt.timedelta(days=2)
    daily = {
        (1, D - dt.timedelta(days=1)): Decimal(2),
        (1, D): Decimal(4),
        (2, later - dt.timedelta(days=1)): Decimal(1),
        (2, later): Decimal(1),
        (9, D): Decimal(6),  # comparison: only on D (adopter 1's after, adopter 2's before)
    }
    effect = domain.measure(
        adoptions=[(1, D), (2, later)],
        comparison=[9],
        daily=daily,
        today=later,
        days=1,
        minimum=1,
    )
    # adopters: before (2 + 1)/2, after (4 + 1)/2. Comparison over adopter 1's days (D − 1,
    # D): 0 then 6; over adopter 2's (D + 1, D + 2): 0 then 0. So before 0, after (6 + 0)/2.
    assert (effect.adopters_before, effect.adopters_after) == (Decimal("1.5"), Decimal("2.5"))
    assert (effect.comparison_before, effect.comparison_after) == (Decimal(0), Decimal(3))
    assert effect.difference == Decimal(1) - Decimal(3)


def test_too_few_units_give_no_number():
    effect = domain.measure(
        adoptions=[(1, D), (2, D)], comparison=[3, 4, 5], daily={}, today=D, days=14
    )
    assert not effect.enough
    assert (effect.adopters, effect.comparison) == (2, 3)
    assert effect.difference is None and effect.adopters_before is None


def test_an_adoption_after_today_is_not_measured():
    effect = domain.measure(
        adoptions=[(1, D + dt.timedelta(days=1))], comparison=[2], daily={}, today=D, minimum=1
    )
    assert effect.adopters == 0 and not effect.enough


@given(
    st.lists(st.integers(min_value=0, max_value=50), min_size=6, max_size=6),
    st.integers(min_value=-20, max_value=20),
)
def test_the_same_shift_on_both_sides_gives_no_difference(values, shift):
    """Adding a constant to every unit's every day after adoption moves both sides alike."""
    days = [D + dt.timedelta(days=k) for k in range(-3, 3)]
    daily = {}
    for unit in (1, 2, 3, 4):
        for day, value in zip(days, values, strict=True):
            daily[(unit, day)] = Decimal(value + (shift if day >= D else 0) + unit)
    effect = domain.measure(
        adoptions=[(1, D), (2, D)],
        comparison=[3, 4],
        daily=daily,
        today=D + dt.timedelta(2),
        days=3,
        minimum=2,
    )
    assert abs(effect.difference) < Decimal("1e-20")  # equal up to Decimal's rounding


def test_chain_reach_counts_units_once():
    assert domain.chain_reach({1: {10, 11}, 2: {11, 12}}, {1: 20, 2: 10}) == 4


def test_text_is_escaped_and_rendered():
    html = text.render(
        'Hello <script>x</script> **bold** *em*\n\n- one\n- [two](https://ex.org/a?b=1&c="d")'
        "\n\n1. first\n2. second\n\n[bad](javascript:alert(1))"
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>bold</strong> <em>em</em>" in html
    assert (
        '<li><a href="https://ex.org/a?b=1&amp;c=&quot;d&quot;" rel="nofollow noopener">two</a></li>'
        in html
    )
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert "javascript" in html and 'href="javascript' not in html

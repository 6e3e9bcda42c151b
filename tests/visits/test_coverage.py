"""Coverage by hand on the conftest tree (enterprises are W1..W4):

KP ─┬─ P1 ─┬─ C1 ─┬─ W1   visited 2024-03-01 (and 2023-12-01, before the period)
    │      │      └─ W2   never
    │      └─ C2 ─── W3   2024-01-15 and 2024-12-20: both outside, straddling the period
    └─ P2 ─── C3 ─── W4   2022-06-01 only

Period 2024-02-01 .. 2024-11-30."""

import datetime as dt
from decimal import Decimal

from pacesetter.units.models import UnitKind
from pacesetter.visits import actions, selectors

START, END = dt.date(2024, 2, 1), dt.date(2024, 11, 30)


def visit(code, day):
    actions.record_visit(unit=code, visited_on=day, purpose="Look", guest_names=["Kim"])


def world():
    for code, day in [
        ("W1", "2024-03-01"),
        ("W1", "2023-12-01"),
        ("W3", "2024-01-15"),
        ("W3", "2024-12-20"),
        ("W4", "2022-06-01"),
    ]:
        visit(code, day)


def table(result):
    return [(r.unit.code, r.total, r.visited, r.share) for r in result.rows]


def test_coverage_by_child_subtree_by_hand(units, django_assert_num_queries):
    world()
    enterprise = UnitKind.objects.get(code="enterprise")
    with django_assert_num_queries(3):
        result = selectors.coverage(units["KP"], kind=enterprise, start=START, end=END)
        rows = table(result)
        not_visited = [(u.code, u.last_visit) for u in result.not_visited]
    assert rows == [("P1", 3, 1, Decimal(100) / 3), ("P2", 1, 0, Decimal(0))]
    assert (result.total, result.visited, result.share) == (4, 1, Decimal(25))
    assert [r.heat for r in result.rows] == [3, 0]
    assert not_visited == [
        ("W2", None),  # never visited
        ("W3", dt.date(2024, 12, 20)),
        ("W4", dt.date(2022, 6, 1)),
    ]
    # a visit between W3's two straddling ones is found by the probe of its days
    visit("W3", "2024-06-01")
    result = selectors.coverage(units["KP"], kind=enterprise, start=START, end=END)
    assert table(result)[0] == ("P1", 3, 2, Decimal(200) / 3)
    assert [u.code for u in result.not_visited] == ["W2", "W4"]


def test_the_unit_itself_and_empty_children(units):
    visit("C1", "2024-05-05")
    county = UnitKind.objects.get(code="county")
    result = selectors.coverage(units["C1"], kind=county, start=START, end=END)
    assert [(r.unit.code, r.itself, r.total, r.visited) for r in result.rows] == [
        ("C1", True, 1, 1),
        ("W1", False, 0, 0),
        ("W2", False, 0, 0),
    ]
    assert result.rows[1].share is None and result.rows[1].heat is None
    result = selectors.coverage(units["P1"], kind=county, start=START, end=END)
    assert table(result) == [("C1", 1, 1, Decimal(100)), ("C2", 1, 0, Decimal(0))]


def test_a_period_of_whole_years_and_a_single_day(units):
    world()
    enterprise = UnitKind.objects.get(code="enterprise")
    years = selectors.coverage(
        units["KP"], kind=enterprise, start=dt.date(2022, 1, 1), end=dt.date(2024, 12, 31)
    )
    assert (years.total, years.visited) == (4, 3)
    day = selectors.coverage(
        units["KP"], kind=enterprise, start=dt.date(2024, 12, 20), end=dt.date(2024, 12, 20)
    )
    assert [u.code for u in day.not_visited] == ["W1", "W2", "W4"]


def test_coverage_page_and_api(units, people, client, django_assert_max_num_queries):
    import json

    from django.urls import reverse

    world()
    client.force_login(people["organiser"])  # of P1: sees P1's subtree only
    url = (
        reverse("visits-coverage", args=["P1"]) + "?kind=enterprise&start=2024-02-01&end=2024-11-30"
    )
    client.get(url)
    with django_assert_max_num_queries(11):
        page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-figure="visited">1<' in text and 'data-figure="total">3<' in text
    assert 'data-figure="share">33.3%<' in text  # one decimal, half-up
    assert 'class="num heat-5" data-share="C1">50.0%<' in text
    assert 'class="num heat-0" data-share="C2">0.0%<' in text
    assert 'data-unit="W2"' in text and "never visited" in text and 'data-unit="W4"' not in text
    assert client.get(reverse("visits-coverage", args=["P2"])).status_code == 404
    bad = client.get(
        reverse("visits-coverage", args=["P1"]) + "?kind=enterprise&start=2024-05-01&end=2024-01-01"
    )
    assert bad.status_code == 422
    answer = json.loads(
        client.get(
            "/api/v1/units/P1/visit-coverage?kind=enterprise&start=2024-02-01&end=2024-11-30"
        ).content
    )
    assert (answer["visited"], answer["total"], answer["share"]) == (1, 3, "33.3")
    assert [(r["unit"], r["share"]) for r in answer["rows"]] == [("C1", "50.0"), ("C2", "0.0")]
    assert [(u["unit"], u["last_visit"]) for u in answer["not_visited"]] == [
        ("W2", None),
        ("W3", "2024-12-20"),
    ]
    assert client.get("/api/v1/units/P1/visit-coverage?kind=nope").status_code == 422

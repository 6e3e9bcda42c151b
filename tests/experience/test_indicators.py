"""A practice names one or more indicators it helped: the publisher's figures and the measured
effect are shown for each, and reading them all costs no more queries than reading one."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.urls import reverse

from pacesetter.core.errors import ValidationFailed
from pacesetter.experience import actions, selectors
from pacesetter.experience.models import Practice, PracticeIndicator
from pacesetter.ledger.actions import ReportRow, record_reports
from tests import factories

from .conftest import DAY, publish

pytestmark = pytest.mark.django_db


def test_indicator_alone_and_indicators_together(world):
    losses = world["movement"].indicators.get(code="losses")
    stock = world["movement"].indicators.get(code="stock")
    alone = publish(world)  # the benchmark's way: indicator= only
    assert selectors.indicators_of(alone) == [world["steel"]]
    several = publish(world, indicator=losses, indicators=[world["steel"], losses])
    assert several.indicator == losses  # the lead: the first named, named once
    assert [i.code for i in selectors.indicators_of(several)] == ["losses", "steel"]
    only_list = publish(world, indicator=None, indicators=[stock, world["steel"]])
    assert only_list.indicator == stock
    assert list(
        PracticeIndicator.objects.filter(practice=only_list).values_list("position", flat=True)
    ) == [0, 1]


def test_no_indicator_or_a_foreign_one_is_refused(world, units):
    with pytest.raises(ValidationFailed) as refused:
        publish(world, indicator=None)
    assert [e.field for e in refused.value.errors] == ["indicators"]
    other = factories.movement(units["KP"], slug="other-movement")
    foreign = other.indicators.first()
    with pytest.raises(ValidationFailed) as refused:
        publish(world, indicators=[foreign])
    assert [e.field for e in refused.value.errors] == ["indicators"]
    assert foreign.code in refused.value.errors[0].message
    assert Practice.objects.count() == 0 and PracticeIndicator.objects.count() == 0


def _record(world, indicator: str, quantities: dict[str, list[str]], first: dt.date):
    rows = [
        ReportRow(unit=code, indicator=indicator, quantity=value, day=first + dt.timedelta(k))
        for code, values in quantities.items()
        for k, value in enumerate(values)
        if Decimal(value)
    ]
    record_reports(movement=world["movement"], rows=rows, source="api")


def test_the_effect_per_indicator_equals_the_hand_computation(world):
    """One day before and one after D. Steel: adopters W1..W3 go 1 → 3 (change 2), the
    comparison W4..W6 stays at 1 (change 0): difference 2. Losses: adopters 4 → 1 (change −3),
    comparison 4 → 3 (change −1): difference −2."""
    units = world["units"]
    losses = world["movement"].indicators.get(code="losses")
    practice = publish(world, indicators=[losses])
    start = DAY - dt.timedelta(days=1)
    _record(world, "steel", {c: ["1", "3"] for c in ("W1", "W2", "W3")}, start)
    _record(world, "steel", {c: ["1", "1"] for c in ("W4", "W5", "W6")}, start)
    _record(world, "losses", {c: ["4", "1"] for c in ("W1", "W2", "W3")}, start)
    _record(world, "losses", {c: ["4", "3"] for c in ("W4", "W5", "W6")}, start)
    adoptions = [
        actions.adopt_practice(practice=practice, unit=units[c], adopted_on=DAY)
        for c in ("W1", "W2", "W3")
    ]
    effects = selectors.indicator_effects(
        practice, adoptions, selectors.indicators_of(practice), days=1, today=DAY
    )
    assert [(i.code, e.adopters_change, e.comparison_change, e.difference) for i, e in effects] == [
        ("steel", Decimal(2), Decimal(0), Decimal(2)),
        ("losses", Decimal(-3), Decimal(-1), Decimal(-2)),
    ]
    lead = selectors.effect_of(practice, adoptions, days=1, today=DAY)
    assert lead.difference == Decimal(2)  # effect_of: the lead indicator


def test_several_indicators_cost_two_queries_each(world, django_assert_num_queries):
    """The comparison's units once, then per indicator its comparison total per day and the
    adopters' windows: bounded by the practice's indicators, never by its units."""
    losses = world["movement"].indicators.get(code="losses")
    stock = world["movement"].indicators.get(code="stock")
    practice = publish(world, indicators=[losses, stock])
    adoptions = [
        actions.adopt_practice(practice=practice, unit=world["units"][c], adopted_on=DAY)
        for c in ("W1", "W2", "W3")
    ]
    indicators = selectors.indicators_of(practice)
    with django_assert_num_queries(1 + 2 * 3):
        assert len(selectors.indicator_effects(practice, adoptions, indicators, today=DAY)) == 3


def test_the_page_shows_figures_and_effect_per_indicator(
    client, user, world, django_assert_num_queries
):
    client.force_login(user)
    one = publish(world)
    losses = world["movement"].indicators.get(code="losses")
    stock = world["movement"].indicators.get(code="stock")
    three = publish(world, indicators=[losses, stock])
    for practice in (one, three):
        for code in ("W1", "W2", "W3"):
            actions.adopt_practice(practice=practice, unit=world["units"][code], adopted_on=DAY)
    client.get(reverse("practice-detail", args=[one.pk]))
    # two queries more per indicator than the single-indicator practice (test_pages.py)
    with django_assert_num_queries(27):
        page = client.get(reverse("practice-detail", args=[three.pk])).content.decode()
    for code in ("steel", "losses", "stock"):
        assert f'data-figures-of="{code}"' in page and f'data-effect-of="{code}"' in page
    assert "helped on Steel, Losses, Stock" in page


def test_publish_form_takes_more_indicators(client, user, world):
    client.force_login(user)
    response = client.post(
        reverse("practice-publish", args=[world["movement"].slug]),
        {
            "unit": "P2",
            "title": "Fewer losses, more steel",
            "text": "How.",
            "indicator": "steel",
            "more_indicators": ["losses", "steel"],
            "period": str(world["whole"].pk),
        },
    )
    assert response.status_code == 302
    assert [i.code for i in selectors.indicators_of(Practice.objects.get())] == [
        "steel",
        "losses",
    ]


def test_api_indicators(client, user, world):
    client.force_login(user)
    url = f"/api/v1/movements/{world['movement'].slug}/practices"
    created = client.post(
        url,
        {"unit": "P2", "title": "T", "text": "x", "indicators": ["losses", "steel"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["indicator"], body["indicators"]) == ("losses", ["losses", "steel"])
    assert [p["id"] for p in client.get(url, {"indicator": "steel"}).json()] == [body["id"]]
    assert client.get(url, {"indicator": "stock"}).json() == []
    effect = client.get(f"/api/v1/practices/{body['id']}/effect", {"indicator": "steel"})
    assert effect.json()["indicator"] == "steel"
    refused = client.get(f"/api/v1/practices/{body['id']}/effect", {"indicator": "stock"})
    assert refused.status_code == 422
    none = client.post(
        url, {"unit": "P2", "title": "T", "text": "x"}, content_type="application/json"
    )
    assert none.status_code == 422 and none.json()["errors"][0]["field"] == "indicators"


def test_the_data_migration_makes_the_single_indicator_the_first(world):
    """Practices published with one indicator (before 0003) get it as their first and only."""
    from django.apps import apps

    migration = importlib.import_module("pacesetter.experience.migrations.0003_practice_indicators")
    before = publish(world)
    PracticeIndicator.objects.filter(practice=before).delete()  # as it was before 0003
    migration.lead_indicator_first(apps, None)
    assert list(
        PracticeIndicator.objects.filter(practice=before).values_list("indicator", "position")
    ) == [(world["steel"].pk, 0)]

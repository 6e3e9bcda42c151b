import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.permissions import acting_as, actor_for
from pacesetter.audit.models import AuditEvent
from pacesetter.core.errors import NotAllowed, StateError, ValidationFailed
from pacesetter.experience import actions, selectors
from pacesetter.experience.models import Adoption, AdoptionWithdrawal, Practice
from tests import factories

from .conftest import DAY, publish, record

pytestmark = pytest.mark.django_db


def test_publish_adopt_withdraw_are_audited(world):
    practice = publish(world)
    adoption = actions.adopt_practice(practice=practice, unit=world["units"]["W1"], adopted_on=DAY)
    withdrawal = actions.withdraw_adoption(adoption=adoption, reason="no longer fits")
    assert withdrawal.adoption == adoption and Adoption.objects.get().withdrawn
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))[-3:] == [
        "experience.publish_practice",
        "experience.adopt_practice",
        "experience.withdraw_adoption",
    ]
    # Withdrawn, the unit may adopt again: one *standing* adoption per unit and practice.
    actions.adopt_practice(practice=practice, unit=world["units"]["W1"])
    assert Adoption.objects.count() == 2


def test_refusals_change_nothing(world, units):
    with pytest.raises(ValidationFailed) as refused:
        publish(world, title=" ", text="")
    assert {e.field for e in refused.value.errors} == {"title", "text"}
    practice = publish(world)
    with pytest.raises(ValidationFailed) as refused:
        actions.adopt_practice(practice=practice, unit=world["units"]["P2"])
    assert refused.value.errors[0].field == "unit"
    with pytest.raises(ValidationFailed) as refused:
        actions.adopt_practice(
            practice=practice, unit=units["W1"], adopted_on=dt.date.today() + dt.timedelta(9)
        )
    assert refused.value.errors[0].field == "adopted_on"
    adoption = actions.adopt_practice(practice=practice, unit=units["W1"], adopted_on=DAY)
    with pytest.raises(StateError):
        actions.adopt_practice(practice=practice, unit=units["W1"])
    with pytest.raises(ValidationFailed):
        actions.withdraw_adoption(adoption=adoption, withdrawn_on=DAY - dt.timedelta(days=1))
    actions.withdraw_adoption(adoption=adoption)
    with pytest.raises(StateError):
        actions.withdraw_adoption(adoption=adoption)
    assert AdoptionWithdrawal.objects.count() == 1 and Adoption.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "where", "refusal"),
    [
        (Role.ORGANISER, "KP", None),
        (Role.UNIT_HEAD, "P2", None),  # publishes for its own unit
        (Role.UNIT_HEAD, "C3", Http404),  # below the publishing unit: P2 is not theirs to see
        (Role.REPORTER, "P2", NotAllowed),  # sees P2, does not plan for it
        (Role.MEMBER, "P2", NotAllowed),
    ],
)
def test_who_may_publish(world, role, where, refusal):
    user = factories.UserFactory(username=f"{role}-{where}")
    Grant.objects.create(user=user, role=role, unit=world["units"][where])
    with acting_as(actor_for(user)):
        if refusal is None:
            assert publish(world).published_by == user
        else:
            with pytest.raises(refusal):
                publish(world)
    assert Practice.objects.count() == (1 if refusal is None else 0)


def test_a_unit_head_adopts_for_their_unit_only(world):
    practice = publish(world)
    head = factories.UserFactory(username="head-w1")
    Grant.objects.create(user=head, role=Role.UNIT_HEAD, unit=world["units"]["C1"])
    with acting_as(actor_for(head)):
        adoption = actions.adopt_practice(practice=practice, unit=world["units"]["W1"])
        with pytest.raises(Http404):  # W4 is not under C1
            actions.adopt_practice(practice=practice, unit=world["units"]["W4"])
        actions.withdraw_adoption(adoption=adoption)
    assert adoption.adopted_by == head


def test_effect_equals_the_hand_computation(world):
    """Two days before and after D. Adopters W1..W3, comparison W4..W6 (same block).
    W1: before 1, 1 → 1; after 3, 3 → 3.   W4: before 1, 1 → 1; after 1, 1 → 1.
    W2: before 2, 0 → 1; after 2, 2 → 2.   W5: before 2, 2 → 2; after 3, 3 → 3.
    W3: before 0, 0 → 0; after 1, 0 → ½.   W6: nothing → 0; 0.
    Adopters 2/3 → 11/6 (change 7/6); comparison 1 → 4/3 (change 1/3); difference 5/6."""
    units = world["units"]
    practice = publish(world)
    record(
        world,
        {
            "W1": ["1", "1", "3", "3"],
            "W2": ["2", "0", "2", "2"],
            "W3": ["0", "0", "1", "0"],
            "W4": ["1", "1", "1", "1"],
            "W5": ["2", "2", "3", "3"],
            "P2": ["9", "9", "9", "9"],  # the publisher is no comparison
        },
        DAY - dt.timedelta(days=2),
    )
    adoptions = [
        actions.adopt_practice(practice=practice, unit=units[c], adopted_on=DAY)
        for c in ("W1", "W2", "W3")
    ]
    effect = selectors.effect_of(practice, adoptions, days=2, today=DAY + dt.timedelta(days=5))
    assert effect.enough and (effect.adopters, effect.comparison) == (3, 3)

    def close(value, expected):
        return abs(value - expected) < Decimal("1e-20")

    assert close(effect.adopters_before, Decimal(2) / 3)
    assert close(effect.adopters_after, Decimal(11) / 6)
    assert close(effect.comparison_before, Decimal(1))
    assert close(effect.comparison_after, Decimal(4) / 3)
    assert close(effect.difference, Decimal(5) / 6)

    # One adopter withdraws: two are too few, and no number is given.
    actions.withdraw_adoption(adoption=adoptions[2], withdrawn_on=DAY)
    fewer = selectors.effect_of(
        practice, selectors.standing_adoptions(practice), days=2, today=DAY + dt.timedelta(5)
    )
    assert not fewer.enough and fewer.difference is None
    assert (fewer.adopters, fewer.comparison) == (2, 3)  # W3 withdrew: on neither side


def test_effect_reads_in_three_queries(world, django_assert_num_queries):
    practice = publish(world)
    adoptions = [
        actions.adopt_practice(practice=practice, unit=world["units"][c], adopted_on=DAY)
        for c in ("W1", "W2", "W3")
    ]
    with django_assert_num_queries(3):
        selectors.effect_of(practice, adoptions, today=DAY)


def test_chain_and_its_reach(world):
    units = world["units"]
    first = publish(world)
    actions.adopt_practice(practice=first, unit=units["W1"])
    second = publish(world, unit="W1", title="Two shifts, three crews", adapted_from=first)
    actions.adopt_practice(practice=second, unit=units["W2"])
    third = publish(world, unit="W2", title="Three crews, night too", adapted_from=second)
    actions.adopt_practice(practice=third, unit=units["W3"])
    actions.adopt_practice(practice=third, unit=units["P2"])  # back to the first publisher
    chain = selectors.chain_of(second)
    assert chain.sources == [first] and chain.adaptations == [third]
    assert chain.units_reached == 4  # P2, W1, W2, W3
    assert selectors.chain_of(first).adaptations == [second, third]

"""Movements (campaigns), their indicators, periods, plans and pledges.

Quantities on plans are stored as integers in the indicator's minor units, like the ledger
(see pacesetter.core.quantities); read them through `Indicator.from_minor`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from pacesetter.core.quantities import MAX_DECIMAL_PLACES, from_minor
from pacesetter.units.models import Block, Unit


class Movement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LAUNCHED = "launched", "Launched"
        CLOSED = "closed", "Closed"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    call_text = models.TextField(blank=True)
    organiser = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="organised_movements"
    )
    scope = models.ManyToManyField(Unit, related_name="movements_in_scope", blank=True)
    blocks = models.ManyToManyField(Block, related_name="movements", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    starts_on = models.DateField()
    ends_on = models.DateField()
    time_zone = models.CharField(max_length=64, default="UTC")
    is_public = models.BooleanField(default=False)
    # Honesty of figures: rankings, overtaking, the honour board and title evaluations read
    # the verified totals instead of all reports; the share of unflagged reports drawn at
    # random into the verification queue, so honest units are audited too.
    rank_on_verified = models.BooleanField(default=False)
    titles_on_verified = models.BooleanField(default=False)
    verification_sample_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("2.00")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="movement_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "launched", "closed"]),
                name="movement_status_known",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class Indicator(models.Model):
    class Aggregation(models.TextChoices):
        SUM = "sum", "Sum over the period"
        LATEST = "latest", "Latest level"

    class Direction(models.TextChoices):
        MORE = "more", "More is better"
        LESS = "less", "Less is better"

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    unit_of_measure = models.CharField(
        max_length=32, help_text="t, flats, km, sacks, persons, money…"
    )
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217, for money")
    aggregation = models.CharField(
        max_length=6, choices=Aggregation.choices, default=Aggregation.SUM
    )
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.MORE)
    allow_negative = models.BooleanField(default=False)
    decimal_places = models.PositiveSmallIntegerField(default=0)
    # Files from spreadsheets in many locales are `;`-separated and write 1,5 for one and a
    # half. Whether a comma in a quantity is the decimal sign cannot be told from the number
    # ("1,500"), so the organiser says it, per indicator; the comma is read so only in a file
    # separated by `;` (core.tabular), never in the API or a form.
    decimal_comma = models.BooleanField(
        default=False,
        help_text="In files separated by ';', quantities are written with a decimal comma "
        "(1,5 is one and a half).",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["movement", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["movement", "code"], name="indicator_code_unique_in_movement"
            ),
            models.CheckConstraint(
                condition=Q(decimal_places__lte=MAX_DECIMAL_PLACES),
                name="indicator_decimal_places_range",
            ),
            models.CheckConstraint(
                condition=Q(aggregation__in=["sum", "latest"]), name="indicator_aggregation_known"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["more", "less"]), name="indicator_direction_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit_of_measure})"

    def from_minor(self, minor: int | None) -> Decimal | None:
        return from_minor(minor, self.decimal_places)

    def quantity(self, minor: int | None) -> Decimal:
        """A stored quantity as a Decimal in this indicator's places; nothing stored is 0."""
        return Decimal(minor or 0).scaleb(-self.decimal_places)

    @property
    def measure(self) -> str:
        return self.currency or self.unit_of_measure


class Period(models.Model):
    """The movement's whole period, or a sub-period (month, quarter...) plans can be set for."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="periods")
    name = models.CharField(max_length=100)
    starts_on = models.DateField()
    ends_on = models.DateField()
    is_whole = models.BooleanField(default=False)

    class Meta:
        ordering = ["movement", "-is_whole", "starts_on", "ends_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["movement", "starts_on", "ends_on"], name="period_unique_in_movement"
            ),
            models.UniqueConstraint(
                fields=["movement"],
                condition=Q(is_whole=True),
                name="one_whole_period_per_movement",
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="period_ordered"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class Plan(models.Model):
    """What a unit is to achieve on an indicator in a period; one per unit × indicator × period."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="plans")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="plans")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="plans")
    planned_minor = models.BigIntegerField(null=True, blank=True)
    rated_capacity_minor = models.BigIntegerField(null=True, blank=True)
    daily_assignment_minor = models.BigIntegerField(null=True, blank=True)
    base_minor = models.BigIntegerField(null=True, blank=True)
    base_label = models.CharField(max_length=64, blank=True, help_text='e.g. "1946 level"')
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "indicator", "period"], name="one_plan_per_unit_indicator_period"
            ),
            models.CheckConstraint(
                condition=Q(rated_capacity_minor__isnull=True) | Q(rated_capacity_minor__gt=0),
                name="plan_rated_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(daily_assignment_minor__isnull=True) | Q(daily_assignment_minor__gt=0),
                name="plan_daily_assignment_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} · {self.indicator.code} · {self.period.name}"


class Pledge(models.Model):
    """A unit's registered commitment beyond its plan: an extra quantity or a percentage."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="pledges")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="pledges")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="pledges")
    extra_minor = models.BigIntegerField(null=True, blank=True)
    extra_percent = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    registered_on = models.DateField()
    text = models.TextField(blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(extra_minor__isnull=False) & Q(extra_percent__isnull=True))
                | (Q(extra_minor__isnull=True) & Q(extra_percent__isnull=False)),
                name="pledge_quantity_or_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"Pledge of {self.unit.code} on {self.indicator.code}"


# Derived from plans and the tree, like the ledger's aggregates from reports: no database
# constraint on the references (checked by `rebuild-aggregates --check` instead).
_DERIVED = {"db_index": False, "db_constraint": False, "related_name": "+"}


class PlanTotal(models.Model):
    """A unit's plans rolled up (see movements.domain): its effective plan — its own planned
    quantity, or else the sum of its children's effective plans — and that sum beside it.

    Kept current by `set_plans` and unit moves in their own transaction, so a page reads a
    national plan as one row."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, **_DERIVED)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, **_DERIVED)
    period = models.ForeignKey(Period, on_delete=models.CASCADE, **_DERIVED)
    planned_minor = models.BigIntegerField(null=True, blank=True)
    below_minor = models.BigIntegerField(default=0)
    children_planned = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "indicator", "period"], name="plan_total_key"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.indicator_id} · {self.period_id}: {self.planned_minor}"


class Secondment(models.Model):
    """Persons of a home unit seconded for a movement to a brigade: a temporary unit formed
    for it (a shock brigade, a task force) from members of several units.

    The brigade is a unit of its own in the tree, under the movement's organiser, and its
    work is reported on it, not on its members' home units: it rolls up once, along the
    brigade's path. A secondment only records where its people come from."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="secondments")
    brigade = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="secondments_in")
    home = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="secondments_out")
    persons = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["movement", "brigade", "home"]
        constraints = [
            models.UniqueConstraint(
                fields=["movement", "brigade", "home"], name="one_secondment_per_home_unit"
            ),
            models.CheckConstraint(condition=Q(persons__gt=0), name="secondment_persons_positive"),
            models.CheckConstraint(
                condition=~Q(brigade=F("home")), name="secondment_home_is_not_the_brigade"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.persons} of {self.home_id} to {self.brigade_id}"

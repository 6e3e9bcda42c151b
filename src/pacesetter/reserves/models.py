"""Reserves: a member's proposal for a hidden saving (material, time, energy, money, or a
movement indicator), estimated, then reviewed, accepted, implemented and verified — or
declined. The history is `ReserveEvent`, append-only; `Reserve.status` is the last event's
`to_status`, kept beside it for lists. `ReserveTotal` holds the subtree figures per unit and
measure, maintained in the transaction of each transition (see actions.py)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pacesetter.core.facts import INITIATIVE_SCOPES
from pacesetter.movements.models import Indicator, Movement
from pacesetter.units.models import Member, Unit

MAX_DIGITS = 20
DECIMAL_PLACES = 3


class Kind(models.TextChoices):
    MATERIAL = "material", _("Material")
    TIME = "time", _("Time")
    ENERGY = "energy", _("Energy")
    MONEY = "money", _("Money")
    INDICATOR = "indicator", _("Movement indicator")


class Status(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    IMPLEMENTED = "implemented", _("Implemented")
    VERIFIED = "verified", _("Verified")
    DECLINED = "declined", _("Declined")


class Reserve(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="reserves"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField()
    estimated = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    measure = models.CharField(max_length=40)
    verified = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField()
    # A file's row key (`pacesetter import-reserves`): the same row imported again finds
    # its reserve instead of proposing another.
    import_key = models.CharField(max_length=140, unique=True, null=True, blank=True)
    # Set by the verification: when, and how widely the initiative is recognised (a title
    # fact through core.facts; one of core.facts.INITIATIVE_SCOPES but "none").
    verified_at = models.DateTimeField(null=True, blank=True)
    recognised_scope = models.CharField(
        max_length=16, blank=True, choices=[(s, s) for s in INITIATIVE_SCOPES[1:]]
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status"], name="reserve_unit_status"),
            models.Index(
                fields=["verified_at"],
                condition=models.Q(status="verified"),
                name="reserve_verified_at",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="indicator", indicator__isnull=False)
                | (~models.Q(kind="indicator") & models.Q(indicator__isnull=True)),
                name="reserve_indicator_iff_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"reserve {self.pk} · {self.kind} · {self.estimated} {self.measure}"


class ReserveEvent(models.Model):
    """One transition. Written once, never changed or deleted."""

    reserve = models.ForeignKey(Reserve, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_label = models.CharField(max_length=200)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    note = models.TextField(blank=True)
    verified = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"reserve {self.reserve_id}: {self.from_status or '-'} → {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Reserve events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Reserve events are append-only.")


class ReserveTotal(models.Model):
    """Figures of a unit's whole subtree (own reserves included), per measure. Row measure ""
    holds the member counts: members with at least one verified reserve, with more than one
    (a member counts at their own unit and its ancestors)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    measure = models.CharField(max_length=40, blank=True)
    proposed = models.IntegerField(default=0)
    implemented = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)
    estimated_saving = models.DecimalField(
        max_digits=MAX_DIGITS + 4, decimal_places=DECIMAL_PLACES, default=Decimal(0)
    )
    verified_saving = models.DecimalField(
        max_digits=MAX_DIGITS + 4, decimal_places=DECIMAL_PLACES, default=Decimal(0)
    )
    members_verified = models.IntegerField(default=0)
    members_repeat = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "measure"], name="reserve_total_key"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.measure or 'members'}"


FACTOR_DIGITS = 20
FACTOR_PLACES = 6


class ReserveLink(models.Model):
    """An explicit link, set by the movement's organiser: verified reserves of `kind` measured
    in `measure` count toward `indicator`, each unit of saving as `factor` of the indicator
    ("1 t of steel saved = 0.05 flats"). A reserve it covers is one of the movement, or one
    without a movement in a unit of the movement's scope. Only verifications recorded after
    the link is set count (an imported verification dated earlier counts on its own day): the
    ledger is not rewritten."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    measure = models.CharField(max_length=40)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    factor = models.DecimalField(
        max_digits=FACTOR_DIGITS, decimal_places=FACTOR_PLACES, default=Decimal(1)
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "measure", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["movement", "kind", "measure"], name="reserve_link_key"
            ),
            models.CheckConstraint(condition=models.Q(factor__gt=0), name="reserve_link_factor"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.measure} × {self.factor} → {self.indicator_id}"


class ReserveCount(models.Model):
    """What a verified reserve counted toward an indicator: the report recorded in the
    ledger for it (source `reserve`). Written once, at verification."""

    reserve = models.ForeignKey(Reserve, on_delete=models.PROTECT, related_name="counts")
    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=MAX_DIGITS + 6, decimal_places=FACTOR_PLACES + 3)
    factor = models.DecimalField(max_digits=FACTOR_DIGITS, decimal_places=FACTOR_PLACES)
    report_id = models.BigIntegerField()
    day = models.DateField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["reserve", "indicator"], name="reserve_count_key"),
        ]

    def __str__(self) -> str:
        return f"reserve {self.reserve_id} → {self.indicator_id}: {self.quantity}"

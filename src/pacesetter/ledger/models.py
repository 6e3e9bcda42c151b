"""The append-only report ledger and the aggregates kept current from it.

Quantities are integers in the indicator's minor units (see pacesetter.core.quantities).

- `Report` is never updated or deleted: database triggers refuse UPDATE and DELETE. A
  correction is a new report that `corrects` an earlier one, with a reason; its quantity is
  the change it makes.
- `DailyTotal`: one unit's own reports per indicator per day.
- `SubtreeDailyTotal`: the same for the unit's whole subtree (the unit and every descendant).
- `SubtreePeriodTotal`: the subtree figure per period (the movement, a month...): what pages
  and the API read.
- `BlockDailyTotal`: a block's members' subtree figures summed per indicator per day (what
  experience compares adopters with); rebuilt for a block whenever its members change.

All four are updated in the same transaction as the reports they count, by set-based
upserts (`pacesetter.ledger.aggregates`); `pacesetter rebuild-aggregates --check` recomputes
them from the ledger and lists any difference. Verified figures are kept apart from all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pacesetter.movements.models import Indicator, Movement, Period
from pacesetter.units.models import Block, Member, Unit


class Report(models.Model):
    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        IMPORT = "import", "File import"
        DEMO = "demo", "Demo"
        CLI = "cli", "Command line"
        # A verified reserve counted toward an indicator through an explicit link
        # (pacesetter.reserves): its key is `reserve:<id>`, so it counts once.
        RESERVE = "reserve", "Verified reserve"

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    # Foreign keys carry no single-column index of their own: each index slows the ingest,
    # and the composite indexes below serve every read the system makes.
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, db_index=False, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="reports")
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="reports",
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, db_index=False, related_name="reports"
    )
    day = models.DateField()
    quantity_minor = models.BigIntegerField()
    source = models.CharField(max_length=8, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
    )
    entered_at = models.DateTimeField()
    # The scoped key (ledger.domain.scoped_key): the movement and the owner before the
    # client's key of at most 100 characters.
    idempotency_key = models.CharField(max_length=140, unique=True)
    verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.UNVERIFIED
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="corrections",
    )
    reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "indicator", "day"], name="report_unit_indicator_day"),
            models.Index(fields=["movement", "id"], name="report_movement_id"),
            models.Index(
                fields=["corrects"], condition=Q(corrects__isnull=False), name="report_corrects"
            ),
            # "Of which from verified reserves" on a figure: the few reserve reports only.
            models.Index(
                fields=["movement", "indicator", "day"],
                condition=Q(source="reserve"),
                name="report_from_reserves",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(reason=""),
                name="report_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(verification__in=["unverified", "verified", "rejected"]),
                name="report_verification_known",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Report {self.pk}: {self.unit_id} {self.indicator_id} {self.day} {self.quantity_minor}"
        )


# The aggregates' references carry no database constraint: an aggregate row is derived from
# reports, which reference their unit and indicator with a constraint, and is checked against
# them by `rebuild-aggregates --check`. A constraint here would check each of the ~40,000 rows
# an ingest of 10,000 reports upserts against units, indicators and periods once more — on
# PostgreSQL, deferred to the commit, a third of the ingest's time (docs/performance.md).
# Django still applies `on_delete` itself.
_DERIVED = {"db_index": False, "db_constraint": False, "related_name": "+"}


class _Totals(models.Model):
    quantity_minor = models.BigIntegerField(default=0)
    verified_minor = models.BigIntegerField(default=0)
    # Original reports only: a correction changes a quantity, not the number of reports.
    entries = models.IntegerField(default=0)
    verified_entries = models.IntegerField(default=0)

    class Meta:
        abstract = True


class DailyTotal(_Totals):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, **_DERIVED)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, **_DERIVED)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "indicator", "day"], name="daily_total_key"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.indicator_id} · {self.day}: {self.quantity_minor}"


class SubtreeDailyTotal(_Totals):
    """For "latest level" indicators this holds the day's *change* of the subtree's level;
    the running sum over days gives the level (see ledger.domain.level_deltas)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, **_DERIVED)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, **_DERIVED)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "indicator", "day"], name="subtree_daily_total_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.indicator_id} · {self.day}: {self.quantity_minor}"


class SubtreePeriodTotal(_Totals):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, **_DERIVED)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, **_DERIVED)
    period = models.ForeignKey(Period, on_delete=models.CASCADE, **_DERIVED)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "indicator", "period"], name="subtree_period_total_key"
            ),
        ]
        indexes = [models.Index(fields=["indicator", "period"], name="subtree_period_by_indicator")]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.indicator_id} · {self.period_id}: {self.quantity_minor}"


class BlockDailyTotal(_Totals):
    """The sum of `SubtreeDailyTotal` over every member of a block (archived members too: a
    reader that leaves them out subtracts their days), per indicator per day. Kept at ingest
    and at moves like the others; when a block's members change, the block's rows are
    rebuilt in that same transaction (`aggregates.rebuild_block`)."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, **_DERIVED)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, **_DERIVED)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["block", "indicator", "day"], name="block_daily_total_key"
            ),
        ]

    def __str__(self) -> str:
        return f"block {self.block_id} · {self.indicator_id} · {self.day}: {self.quantity_minor}"


# --- honesty of figures (issue 20) ------------------------------------------------------
#
# Flags and verification decisions are rows beside the ledger, never changes to it. Both are
# append-only (database triggers refuse UPDATE and DELETE). They name their report by id only:
# on PostgreSQL the ledger is partitioned by day, so `id` alone is not a key another table can
# reference; the movement, unit, indicator and day are copied beside it so a queue of a subtree
# is read without touching the ledger.


class FlagKind(models.TextChoices):
    OVER_CAPACITY = "over_capacity", _("Above rated capacity")
    JUMP = "jump", _("Jump against the unit's own trailing median")
    BLOCK_OUTLIER = "block_outlier", _("Outlier against its block")
    LATE = "late", _("Entered long after its day")
    CORRECTIONS = "corrections", _("Many corrections on one unit")
    HEAPING = "heaping", _("Round numbers heaped on a unit")


class FlagRule(models.Model):
    """A movement's setting for one kind of flag; a kind without a row uses the defaults of
    `ledger.flags`. What `threshold`, `window_days` and `minimum` mean depends on the kind."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="flag_rules")
    kind = models.CharField(max_length=16, choices=FlagKind.choices)
    enabled = models.BooleanField(default=True)
    threshold = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    window_days = models.PositiveIntegerField(null=True, blank=True)
    minimum = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["movement", "kind"], name="flag_rule_key"),
        ]

    def __str__(self) -> str:
        return f"{self.movement_id} · {self.kind}"


class ReportFlag(models.Model):
    """Why a report looks implausible, in words and with the numbers used. Never blocks the
    ingest and never changes a total."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, **_DERIVED)
    report_id = models.BigIntegerField()
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, **_DERIVED)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, **_DERIVED)
    day = models.DateField()
    kind = models.CharField(max_length=16, choices=FlagKind.choices)
    reason = models.TextField()
    numbers = models.JSONField(default=dict)
    flagged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report_id", "kind"], name="report_flag_key"),
        ]
        indexes = [
            models.Index(fields=["movement", "unit", "day"], name="report_flag_by_unit"),
        ]

    def __str__(self) -> str:
        return f"Flag {self.kind} on report {self.report_id}"


class VerificationDecision(models.Model):
    """A verifier's decision on one original report (the root of its corrections): confirm,
    correct (a correction in the ledger, whose id is kept) or reject (a correction to zero).
    The latest decision is the report's verification state; earlier ones are its history."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")
        REJECTED = "rejected", _("Rejected")

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, **_DERIVED)
    report_id = models.BigIntegerField()
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, **_DERIVED)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, **_DERIVED)
    day = models.DateField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True)
    # The ledger entry a correction or rejection filed.
    correction_id = models.BigIntegerField(null=True, blank=True)
    # Drawn by the random sample of unflagged reports (honest units are audited too).
    sampled = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="confirmed") | ~Q(reason=""),
                name="verification_change_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["report_id", "decided_at"], name="verification_by_report"),
            models.Index(fields=["movement", "unit", "day"], name="verification_by_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} report {self.report_id}"

"""Drives: donations, volunteer calls and daily enlistment. Each drive is attached to a
movement, and its totals are that movement's indicators (fed to the ledger through
`ledger.actions.record_reports`), so drives rank and earn titles like any other movement.

Quantities are integers in minor units, like the ledger (see pacesetter.core.quantities).
`DonationEntry` is append-only at the database (triggers, see migrations); the other counters
here are aggregates kept by the actions in the same transaction as what they count.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from pacesetter.core.quantities import from_minor
from pacesetter.movements.models import Indicator, Movement
from pacesetter.units.models import Member, Unit, UnitKind

ESTIMATE_PLACES = 2  # money estimates of gifts in kind are kept in hundredths


# --- donations --------------------------------------------------------------------------------


class DonationDrive(models.Model):
    movement = models.OneToOneField(
        Movement, on_delete=models.CASCADE, related_name="donation_drive"
    )
    estimate_currency = models.CharField(
        max_length=3, blank=True, help_text="ISO 4217 currency of money estimates of gifts in kind"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Donation drive: {self.movement.title}"


class DonationItem(models.Model):
    """What is donated: a good in kind (sacks, t, pieces) or money in one currency. Each
    stage has its own indicator in the movement, so pledged, received and distributed
    quantities roll up through the tree and rank like any figure."""

    class Kind(models.TextChoices):
        IN_KIND = "in_kind", "In kind"
        MONEY = "money", "Money"

    drive = models.ForeignKey(DonationDrive, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.IN_KIND)
    unit_of_measure = models.CharField(max_length=32, help_text="sacks, t, pieces… or the currency")
    decimal_places = models.PositiveSmallIntegerField(default=0)
    pledged_indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    received_indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    distributed_indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["drive", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drive", "code"], name="donation_item_code_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["in_kind", "money"]), name="donation_item_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit_of_measure})"

    def quantity(self, minor: int | None) -> Decimal:
        return Decimal(minor or 0).scaleb(-self.decimal_places)

    def from_minor(self, minor: int | None) -> Decimal | None:
        return from_minor(minor, self.decimal_places)


class DonationEntry(models.Model):
    """One step of a donation: pledged, received or distributed. Append-only: a mistake is
    put right by a new entry, never by editing this one."""

    class Stage(models.TextChoices):
        PLEDGED = "pledged", "Pledged"
        RECEIVED = "received", "Received"
        DISTRIBUTED = "distributed", "Distributed"

    class DonorKind(models.TextChoices):
        MEMBER = "member", "Member"
        UNIT = "unit", "Unit"
        ANONYMOUS = "anonymous", "Anonymous"

    drive = models.ForeignKey(DonationDrive, on_delete=models.PROTECT, related_name="entries")
    item = models.ForeignKey(DonationItem, on_delete=models.PROTECT, related_name="entries")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the receiving unit (pledges and receipts) or the unit distributing",
    )
    day = models.DateField()
    quantity_minor = models.BigIntegerField()
    estimate_minor = models.BigIntegerField(null=True, blank=True)
    donor_kind = models.CharField(max_length=10, choices=DonorKind.choices, blank=True)
    donor_member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    donor_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    donor_name = models.CharField(max_length=200, blank=True)
    recipient_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_name = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["drive", "unit", "item"], name="donation_entry_by_unit"),
            models.Index(fields=["donor_member"], name="donation_entry_by_member"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_minor__gt=0), name="donation_entry_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(estimate_minor__isnull=True) | Q(estimate_minor__gte=0),
                name="donation_entry_estimate_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["pledged", "received", "distributed"]),
                name="donation_entry_stage_known",
            ),
            # A gift names its donor (or says it is anonymous); a distribution names its
            # recipient and has no donor.
            models.CheckConstraint(
                condition=(
                    Q(stage="distributed", donor_kind="")
                    & (Q(recipient_unit__isnull=False) | ~Q(recipient_name=""))
                )
                | (
                    Q(stage__in=["pledged", "received"])
                    & (
                        Q(
                            donor_kind="member",
                            donor_member__isnull=False,
                            donor_unit__isnull=True,
                        )
                        | Q(donor_kind="unit", donor_unit__isnull=False, donor_member__isnull=True)
                        | Q(
                            donor_kind="anonymous",
                            donor_unit__isnull=True,
                            donor_member__isnull=True,
                        )
                    )
                ),
                name="donation_entry_donor_or_recipient",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Donation entry {self.pk}: {self.stage} {self.quantity_minor} of item {self.item_id}"
        )

    @property
    def receipt_number(self) -> str:
        return f"D{self.drive_id}-{self.pk:07d}"

    @property
    def donor_label(self) -> str:
        if self.donor_kind == self.DonorKind.MEMBER:
            return self.donor_member.full_name
        if self.donor_kind == self.DonorKind.UNIT:
            return self.donor_unit.name
        return self.donor_name or "Anonymous donor"

    @property
    def estimate(self) -> Decimal | None:
        return from_minor(self.estimate_minor, ESTIMATE_PLACES)


class DonationBalance(models.Model):
    """What a unit holds of an item: received − distributed, never below zero (the action
    refuses, and the database's check constraint stands behind it)."""

    drive = models.ForeignKey(DonationDrive, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(DonationItem, on_delete=models.CASCADE, related_name="balances")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    pledged_minor = models.BigIntegerField(default=0)
    received_minor = models.BigIntegerField(default=0)
    distributed_minor = models.BigIntegerField(default=0)
    estimate_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "unit"], name="donation_balance_key"),
            models.CheckConstraint(
                condition=Q(distributed_minor__lte=F("received_minor")),
                name="donation_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} holds {self.balance_minor} of item {self.item_id}"

    @property
    def balance_minor(self) -> int:
        return self.received_minor - self.distributed_minor


class DonationTarget(models.Model):
    """A named thing an item's gifts buy, with its price in the item's measure ("a tank",
    "an ambulance", "a well"), in the order the drive aims at them: the first is reached when
    the item's received total passes its price, the next when the total passes both prices,
    and so on. When each was reached is read from the ledger's daily totals, not stored."""

    drive = models.ForeignKey(DonationDrive, on_delete=models.CASCADE, related_name="targets")
    item = models.ForeignKey(DonationItem, on_delete=models.PROTECT, related_name="targets")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    price_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "position"], name="donation_target_position_unique"
            ),
            models.UniqueConstraint(fields=["item", "name"], name="donation_target_name_unique"),
            models.CheckConstraint(
                condition=Q(price_minor__gt=0), name="donation_target_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.price_minor} of item {self.item_id})"


class DonorKindTotal(models.Model):
    """Pledged and received per item and donor kind (members, units, anonymous)."""

    item = models.ForeignKey(DonationItem, on_delete=models.CASCADE, related_name="+")
    donor_kind = models.CharField(max_length=10, choices=DonationEntry.DonorKind.choices)
    pledged_minor = models.BigIntegerField(default=0)
    received_minor = models.BigIntegerField(default=0)
    gifts = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "donor_kind"], name="donor_kind_total_key"),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} · {self.donor_kind}: {self.received_minor}"


# --- volunteer calls --------------------------------------------------------------------------


class VolunteerCall(models.Model):
    class AtQuota(models.TextChoices):
        CLOSE = "close", "Close the call"
        WAITLIST = "waitlist", "Keep a waiting list"

    movement = models.OneToOneField(
        Movement, on_delete=models.CASCADE, related_name="volunteer_call"
    )
    quota = models.PositiveIntegerField()
    at_quota = models.CharField(max_length=8, choices=AtQuota.choices, default=AtQuota.CLOSE)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    skills = models.JSONField(
        default=list, blank=True, help_text="skills the call looks for; a volunteer names one"
    )
    asks_gender = models.BooleanField(default=False)
    asks_age_band = models.BooleanField(default=False)
    signups_indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    placements_indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    # Live counters, kept by the actions: sign-ups counting against the quota (not withdrawn,
    # not waiting), waiting, and volunteers now placed, serving or done.
    active_count = models.PositiveIntegerField(default=0)
    waitlisted_count = models.PositiveIntegerField(default=0)
    placed_count = models.PositiveIntegerField(default=0)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="volunteer_call_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(at_quota__in=["close", "waitlist"]), name="volunteer_call_at_quota"
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=F("min_age")),
                name="volunteer_call_age_range_ordered",
            ),
            # With "close" the quota is a hard limit the database enforces too.
            models.CheckConstraint(
                condition=Q(at_quota="waitlist") | Q(active_count__lte=F("quota")),
                name="volunteer_call_quota_respected",
            ),
        ]

    def __str__(self) -> str:
        return f"Volunteer call: {self.movement.title}"


class CallRole(models.Model):
    call = models.ForeignKey(VolunteerCall, on_delete=models.CASCADE, related_name="roles")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["call", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "code"], name="call_role_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CallPlace(models.Model):
    """A unit that needs volunteers (for one role, or any), with a capacity."""

    call = models.ForeignKey(VolunteerCall, on_delete=models.CASCADE, related_name="places")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey(CallRole, null=True, blank=True, on_delete=models.PROTECT)
    capacity = models.PositiveIntegerField()
    placed_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["call", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "unit", "role"],
                name="call_place_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(placed_count__lte=F("capacity")), name="call_place_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit.name}{f' ({self.role.name})' if self.role_id else ''}"


class SignUp(models.Model):
    class Status(models.TextChoices):
        WAITLISTED = "waitlisted", "Waiting list"
        SIGNED_UP = "signed_up", "Signed up"
        ACCEPTED = "accepted", "Accepted"
        PLACED = "placed", "Placed"
        SERVING = "serving", "Serving"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Foreign keys without an index of their own where no page looks sign-ups up by them:
    # every index is paid on each of the hundreds of thousands of inserts of a big call.
    call = models.ForeignKey(
        VolunteerCall, on_delete=models.PROTECT, db_index=False, related_name="signups"
    )
    code = models.CharField(max_length=12, unique=True, help_text="the confirmation code")
    # Who, for the duplicate check: "member:<id>", or a hash of the contact a person gave.
    identity = models.CharField(max_length=80)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="+"
    )
    full_name = models.CharField(max_length=200)
    contact = models.CharField(max_length=200, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    role = models.ForeignKey(
        CallRole, null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    gender = models.CharField(max_length=12, blank=True)
    age_band = models.CharField(max_length=8, blank=True)
    skill = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SIGNED_UP)
    place = models.ForeignKey(
        CallPlace,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="volunteers",
    )
    day = models.DateField(help_text="the day signed up, in the movement's time zone")
    signed_up_at = models.DateTimeField()
    placed_on = models.DateField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["call", "status", "id"], name="signup_by_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["call", "identity"], name="one_signup_per_person"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "waitlisted",
                        "signed_up",
                        "accepted",
                        "placed",
                        "serving",
                        "completed",
                        "withdrawn",
                    ]
                ),
                name="signup_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["placed", "serving", "completed"], place__isnull=False)
                | (~Q(status__in=["placed", "serving", "completed"]) & Q(place__isnull=True)),
                name="signup_placed_has_place",
            ),
        ]

    def __str__(self) -> str:
        return f"Sign-up {self.code}"


class SignUpTotal(models.Model):
    """Sign-ups per call × unit × day × bucket: `own` for volunteers of this unit, `subtree`
    for its whole subtree. Bucket "" is every sign-up; others are the call's breakdowns
    ("gender:female", "age_band:18-24", "role:medic", "skill:…") and "placed" (placements,
    counted at the place's unit). `posted` is how much of `own` the ledger has."""

    call = models.ForeignKey(VolunteerCall, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    day = models.DateField()
    bucket = models.CharField(max_length=80, blank=True)
    own = models.IntegerField(default=0)
    subtree = models.IntegerField(default=0)
    posted = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["call", "unit", "bucket", "day"], name="signup_total_key"
            ),
        ]

    def __str__(self) -> str:
        return f"call {self.call_id} · {self.unit_id} · {self.bucket or 'all'} · {self.day}: {self.subtree}"


# --- daily enlistment -------------------------------------------------------------------------


class EnlistmentDrive(models.Model):
    """Each unit of `reporting_kind` reports, per day, how many persons it mobilised in each
    role; each role is an indicator of the movement."""

    movement = models.OneToOneField(
        Movement, on_delete=models.CASCADE, related_name="enlistment_drive"
    )
    reporting_kind = models.ForeignKey(UnitKind, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"Daily enlistment: {self.movement.title}"


class EnlistmentRole(models.Model):
    drive = models.ForeignKey(EnlistmentDrive, on_delete=models.CASCADE, related_name="roles")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["drive", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drive", "code"], name="enlistment_role_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class EnlistmentReturn(models.Model):
    """That a unit reported for a day (whatever the numbers, zero included): a day without a
    return is missing, not zero."""

    drive = models.ForeignKey(EnlistmentDrive, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["drive", "unit", "day"], name="enlistment_return_key"),
        ]

    def __str__(self) -> str:
        return f"return of {self.unit_id} for {self.day}"


class EnlistmentCoverage(models.Model):
    """How many reporting units of a unit's subtree (itself included) reported on a day."""

    drive = models.ForeignKey(EnlistmentDrive, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    day = models.DateField()
    reported = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["drive", "unit", "day"], name="enlistment_coverage_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.day}: {self.reported} reported"

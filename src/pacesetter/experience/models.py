"""Experience: a practice a unit published on an indicator it led on, and the units that adopt
it. Withdrawing an adoption is an event of its own; nothing here is ever deleted."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pacesetter.movements.models import Indicator, Movement, Period
from pacesetter.units.models import Unit


class Practice(models.Model):
    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="practices")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="practices")
    # Names the practice in files (import-practices): unique in the movement when given.
    key = models.CharField(max_length=100, blank=True, default="")
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="Markdown: paragraphs, *emphasis*, lists, links.")
    # The lead indicator: the first the practice names; `indicators` holds every one it
    # helped, this one first (PracticeIndicator.position 0).
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    indicators = models.ManyToManyField(
        Indicator, through="PracticeIndicator", related_name="practices"
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+")
    # Chained spreading: the practice this one was adapted from.
    adapted_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="adaptations"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["movement", "unit"], name="practice_movement_unit")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(adapted_from=models.F("pk")), name="practice_not_own_source"
            ),
            models.UniqueConstraint(
                fields=["movement", "key"], condition=~models.Q(key=""), name="practice_key_once"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PracticeIndicator(models.Model):
    """An indicator a practice helped on, in the order the publisher named them."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="indicator_links")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["practice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "indicator"], name="practice_indicator_once"
            ),
            models.UniqueConstraint(
                fields=["practice", "position"], name="practice_indicator_place"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} helped on {self.indicator_id}"


class Adoption(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="adoptions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="adoptions")
    adopted_on = models.DateField()
    note = models.TextField(blank=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # Set when a withdrawal is recorded (the AdoptionWithdrawal row is the event); it lets
    # the database hold "one standing adoption per unit and practice" as a constraint.
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["adopted_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "unit"],
                condition=models.Q(withdrawn=False),
                name="adoption_one_standing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} adopts {self.practice_id} on {self.adopted_on}"


class AdoptionWithdrawal(models.Model):
    """The append-only event that ends an adoption."""

    adoption = models.OneToOneField(Adoption, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_on = models.DateField()
    reason = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"adoption {self.adoption_id} withdrawn on {self.withdrawn_on}"


class PracticeAttachment(models.Model):
    """A picture (PNG, JPEG, WebP) or a PDF that goes with a practice. The file lives in the
    "attachments" storage (settings.STORAGES) under a name nobody can guess and is served
    only by a view that checks who may see the practice. Rows are append-only (a database
    trigger refuses UPDATE and DELETE): what was published stays as it was read."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="attachments")
    name = models.CharField(max_length=200, help_text="the file's name as uploaded")
    caption = models.CharField(max_length=300, blank=True, help_text="alt text of a picture")
    stored_as = models.CharField(max_length=300, unique=True)
    content_type = models.CharField(max_length=100, help_text="as read from the content")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["practice", "added_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def alt(self) -> str:
        return self.caption or self.name

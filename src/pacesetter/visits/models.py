"""Visits: an official's visit to a unit (who went, when, why, what they found), the follow-up
tasks it leaves with owners and due dates, and the coverage aggregate.

- `Visit` is a record of something that happened; `visitors` are the people with an account
  (`VisitVisitor`), `guest_names` the others, as typed. A visit carries an optional key: an
  import replays a row with the same key instead of recording it twice.
- `FollowUpTask.done` is the last `FollowUpEvent`'s state, kept beside it for lists; the
  events (done, undone, who, when) are append-only at the database.
- `UnitVisitYear` holds, per unit and calendar year, how many visits it had and its first and
  last visit date that year, upserted in the transaction of each recorded visit. Coverage
  reads it instead of the visits (see selectors.coverage). A unit's own row: a move of the
  unit changes nothing in it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit
from pacesetter.voices.models import Voice


class Visit(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    visited_on = models.DateField(_("date of the visit"))
    purpose = models.CharField(_("purpose"), max_length=300)
    findings = models.TextField(_("findings"), blank=True)
    guest_names = models.JSONField(
        default=list, blank=True, help_text="visitors without an account, as typed"
    )
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["unit", "visited_on"], name="visit_unit_day")]

    def __str__(self) -> str:
        return f"visit {self.pk} · unit {self.unit_id} · {self.visited_on}"


class VisitVisitor(models.Model):
    """A person with an account who took part in a visit."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="visitors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits_made"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "visit"], name="visit_visitor_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on visit {self.visit_id}"


class VisitVoice(models.Model):
    """A voice collected on the spot during a visit (raised by the voices app's action in the
    visit's transaction). Voices never import visits; the voice page links back by URL name
    through `voice.visit_links`."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="voice_links")
    voice = models.OneToOneField(Voice, on_delete=models.PROTECT, related_name="visit_link")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"voice {self.voice_id} collected on visit {self.visit_id}"


class FollowUpTask(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="follow_ups")
    what = models.TextField(_("what is to be done"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due date"))
    done = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["done", "due_on"], name="follow_up_open_due")]

    def __str__(self) -> str:
        return f"follow-up {self.pk} of visit {self.visit_id}, due {self.due_on}"

    @property
    def last_event(self) -> FollowUpEvent | None:
        """The latest event, from the prefetched events (no query of its own when they are)."""
        events = list(self.events.all())
        return events[-1] if events else None


class FollowUpEvent(models.Model):
    """A follow-up marked done or undone. Written once, never changed or deleted."""

    task = models.ForeignKey(FollowUpTask, on_delete=models.PROTECT, related_name="events")
    done = models.BooleanField()
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_label = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"follow-up {self.task_id}: {'done' if self.done else 'undone'}"


class UnitVisitYear(models.Model):
    """A unit's visits in one calendar year: how many, the first and the last date."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    year = models.IntegerField()
    visits = models.IntegerField(default=0)
    first_on = models.DateField()
    last_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="unit_visit_year_key"),
            models.CheckConstraint(
                condition=models.Q(first_on__lte=models.F("last_on")),
                name="unit_visit_year_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.year}: {self.visits}"

"""Voices: a request or opinion from a member (or collected by an official on their behalf),
routed by its topic's rule to the unit that must answer it, and tracked to resolution.

`Topic` holds the routing rule and the deadline as data. `Voice.status` is the last event's
`to_status`, kept beside the append-only `VoiceEvent` history for lists. `VoiceTotal` holds the
subtree figures per unit and topic (counted where the voice was raised: the unit it concerns
and its ancestors), `VoiceTiming` the time-to-answer and time-to-resolve distribution in hour
buckets, and `VoiceTopicDay` the voices received per topic and day ("what people ask for"),
all maintained in the transaction of each change (see actions.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit, UnitKind


class Route(models.TextChoices):
    UNIT = "unit", _("at the unit itself")
    ANCESTOR = "ancestor", _("at the nearest unit of a kind above")
    NAMED = "named", _("at a named unit")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")
    DECLINED = "declined", _("Declined")


class EventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")
    DECLINED = "declined", _("Declined")
    REOPENED = "reopened", _("Reopened by the raiser")
    CONFIRMED = "confirmed", _("Resolved for the raiser")
    ESCALATED = "escalated", _("Escalated")


class Topic(models.Model):
    """What voices are about, set up by an organiser for a movement or for every voice of a
    subtree (`movement` empty): where they are answered and in how many days."""

    organiser = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    deadline_days = models.PositiveIntegerField(default=14)
    route = models.CharField(max_length=10, choices=Route.choices, default=Route.UNIT)
    route_kind = models.ForeignKey(
        UnitKind, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    route_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    public = models.BooleanField(
        default=False, help_text="resolved voices of this topic are shown publicly, anonymised"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(route="unit") & Q(route_kind__isnull=True, route_unit__isnull=True))
                | (Q(route="ancestor") & Q(route_kind__isnull=False, route_unit__isnull=True))
                | (Q(route="named") & Q(route_kind__isnull=True, route_unit__isnull=False)),
                name="voice_topic_route_complete",
            ),
            models.CheckConstraint(condition=Q(deadline_days__gte=1), name="voice_topic_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Voice(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="voices")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)
    text = models.TextField()
    # The raiser: a user, or (raised on someone's behalf by an official) a name. An anonymous
    # voice keeps neither: only a keyed hash of its raiser, so they find it in "my voices".
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_behalf_of = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    anonymous = models.BooleanField(default=False)
    raiser_key = models.CharField(max_length=64, blank=True, db_index=True)
    routed_to = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    routing_rule = models.CharField(max_length=300)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    answer = models.TextField(blank=True)
    raised_at = models.DateTimeField()
    due_at = models.DateTimeField()
    overdue = models.BooleanField(default=False)
    escalations = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reopened = models.BooleanField(default=False)
    confirmed = models.BooleanField(default=False)
    attachment = models.CharField(max_length=300, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["routed_to", "status"], name="voice_routed_status"),
            models.Index(fields=["status", "due_at"], name="voice_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(raised_by__isnull=True, on_behalf_of=""),
                name="voice_anonymous_names_nobody",
            ),
        ]

    def __str__(self) -> str:
        return f"voice {self.pk} · {self.subject}"


class VoiceEvent(models.Model):
    """One step. Written once, never changed or deleted."""

    voice = models.ForeignKey(Voice, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by_label = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    from_status = models.CharField(max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Status.choices)
    note = models.TextField(blank=True)
    routed_to = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"voice {self.voice_id}: {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Voice events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Voice events are append-only.")


class VoiceTotal(models.Model):
    """Figures of a unit's whole subtree per topic. received = open + answered + resolved +
    declined; overdue counts open voices past their deadline; escalated counts escalations."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    received = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    declined = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "topic"], name="voice_total_key"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.topic_id}"


class VoiceTiming(models.Model):
    """How many voices of a unit's subtree and topic took up to `bucket` hours (see
    domain.BUCKETS) to be answered (measure "answer") or resolved ("resolve")."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(max_length=10)
    bucket = models.IntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "topic", "measure", "bucket"], name="voice_timing_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.topic_id} · {self.measure} ≤{self.bucket}h"


class VoiceTopicDay(models.Model):
    """Voices received per topic and day, for "what people ask for"."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, db_index=False, related_name="+")
    day = models.DateField()
    received = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "day"], name="voice_topic_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} · {self.day}"

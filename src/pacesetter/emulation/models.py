"""Emulation: how a block is ranked in a movement, the standings kept current at each ingest,
their end-of-day snapshots, overtaking events, notifications and challenges.

- `Scoring`: a block's ranking in a movement: one indicator with a normalisation, or a
  weighted score over several (`ScoringComponent`). See `domain` for the arithmetic.
- `Standing`: the current figure of each unit of the block per scoring and period — the
  normalisation's inputs (numerators from the aggregates, denominators from plans and
  headcounts) and the goodness they give. A cache kept current by the ingest, in its
  transaction; `refresh_scoring` rebuilds it from the aggregates.
- `StandingSnapshot` (append-only): the standings as they stood at the end of a day, written
  just before the first change of a later day. Rankings `as_of` a past day read them.
- `OvertakingEvent` (append-only) and `Notification`.
- `PendingRanking`: with the ranking follower on, what the ingest leaves it to rank.
- `Challenge`, `ChallengeParticipant`, `ChallengeResult` (append-only: the unit's record).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pacesetter.movements.models import Indicator, Movement, Period
from pacesetter.units.models import Block, Unit

from . import domain


class Normalisation(models.TextChoices):
    RAW = domain.RAW, "Raw total"
    PER_MEMBER = domain.PER_MEMBER, "Per member (headcount)"
    PER_CAPACITY = domain.PER_CAPACITY, "Per rated capacity"
    FULFILMENT = domain.FULFILMENT, "Plan fulfilment"


class Scoring(models.Model):
    """How a block is ranked in a movement. Never deleted: retired (`retired_at`)."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="scorings")
    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="scorings")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the ranking is retired: ingests rank it no more, the lists leave it out or mark
    # it, and its standings, snapshots and overtakings stay as the record of what it showed.
    retired_at = models.DateTimeField(null=True, blank=True)
    # Raised by every write of the scoring's standings: the ranking follower computes a round
    # outside the write lock and applies it only if nobody wrote the standings meanwhile.
    standings_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["movement", "name"]
        constraints = [
            models.UniqueConstraint(fields=["movement", "code"], name="scoring_code_in_movement"),
        ]

    def __str__(self) -> str:
        return self.name


class ScoringComponent(models.Model):
    scoring = models.ForeignKey(Scoring, on_delete=models.CASCADE, related_name="components")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    normalisation = models.CharField(max_length=16, choices=Normalisation.choices)
    weight = models.DecimalField(max_digits=7, decimal_places=3, default=1)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scoring", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scoring", "indicator", "normalisation"], name="scoring_component_unique"
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="scoring_weight_positive"),
            models.CheckConstraint(
                condition=Q(normalisation__in=domain.NORMALISATIONS),
                name="scoring_normalisation_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} · {self.get_normalisation_display()} × {self.weight}"


class RankingDay(models.Model):
    """The last day (movement time zone) a scoring's standings in a period changed."""

    scoring = models.ForeignKey(Scoring, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    changed_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scoring", "period"], name="ranking_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scoring_id} · {self.period_id}: {self.changed_on}"


class _StandingFields(models.Model):
    scoring = models.ForeignKey(Scoring, on_delete=models.CASCADE, db_index=False, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, db_index=False, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    # Larger is better; null: not ranked (no figure, or nothing to divide by).
    goodness = models.BigIntegerField(null=True)
    # Per component, in the scoring's order: [quantity in minor units, entries] and the
    # denominator used (headcount, or rated capacity or plan in minor units; null: none).
    numerators = models.JSONField(default=list)
    denominators = models.JSONField(default=list)

    class Meta:
        abstract = True


class Standing(_StandingFields):
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scoring", "period", "unit"], name="standing_key"),
        ]
        indexes = [
            # The leaderboard's order, ties included: a page is read straight off the index.
            models.Index(
                fields=["scoring", "period", "goodness", "unit"], name="standing_by_goodness"
            ),
            models.Index(fields=["unit"], name="standing_by_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} in {self.scoring_id} · {self.period_id}: {self.goodness}"


class StandingSnapshot(_StandingFields):
    """Append-only: the standings of ranked units at the end of `day`, valid until the next
    snapshot's day (see selectors.ranking)."""

    day = models.DateField()
    rank = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["scoring", "period", "day", "rank"], name="snapshot_by_day"),
            models.Index(fields=["scoring", "period", "unit", "day"], name="snapshot_by_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} was {self.rank} on {self.day}"


class PendingRanking(models.Model):
    """Reports recorded in a movement with a ranking whose standings are not yet brought up to
    date: written by the ingest in its transaction when the ranking follower is on
    (settings.RANKING_FOLLOWER), deleted by the follower in the transaction that applies them
    (`actions.rank_pending`). Not history: the ledger is."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    # [[unit path, indicator id, day (ISO), idempotency key, 1 if a correction], ...]
    rows = models.JSONField()
    reports = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.reports} reports of movement {self.movement_id} to rank"


class OvertakingEvent(models.Model):
    """Append-only: `ahead` overtook (or drew level with) `behind` in a scoring's ranking."""

    class Kind(models.TextChoices):
        OVERTOOK = domain.OVERTOOK, "overtook"
        DREW_LEVEL = domain.DREW_LEVEL, "drew level with"

    class Cause(models.TextChoices):
        REPORTS = "reports", "Reports"
        CORRECTION = "correction", "A correction"
        RESCORING = "rescoring", "Re-ranking (plans, headcounts or scoring changed)"

    movement = models.ForeignKey(
        Movement, on_delete=models.CASCADE, db_index=False, related_name="+"
    )
    scoring = models.ForeignKey(Scoring, on_delete=models.CASCADE, db_index=False, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, db_index=False, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    ahead = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    behind = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+")
    ahead_rank = models.PositiveIntegerField()
    behind_rank = models.PositiveIntegerField()
    ahead_value = models.DecimalField(max_digits=40, decimal_places=12, null=True)
    behind_value = models.DecimalField(max_digits=40, decimal_places=12, null=True)
    # ahead − behind, in the value's own terms (a quantity, a ratio, points); null if unbounded.
    margin = models.DecimalField(max_digits=40, decimal_places=12, null=True)
    cause = models.CharField(max_length=10, choices=Cause.choices)
    batch = models.CharField(max_length=32, help_text="one id per ingest (or re-ranking)")
    report_ids = models.JSONField(default=list, help_text="reports of the batch that moved it")
    recorded_at = models.DateTimeField()
    recorded_on = models.DateField(help_text="the day, in the movement's time zone")
    figures_day = models.DateField(
        null=True,
        blank=True,
        help_text="the latest day of the reports that moved it (none for a re-ranking)",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Both take each new event at their end. No index by unit: one unit's events (the
            # API's `?unit=` filter) are read newest first off the movement's, which is what
            # SQLite's planner chose even with (ahead, id) and (behind, id) there, and those
            # two took every event at a random place: 40% of the follower's writing time at a
            # block of 10,000 (docs/performance.md).
            models.Index(fields=["movement", "id"], name="overtaking_by_movement"),
            models.Index(fields=["scoring", "period", "id"], name="overtaking_by_scoring"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(ahead=models.F("behind")), name="overtaking_two_units"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[domain.OVERTOOK, domain.DREW_LEVEL]),
                name="overtaking_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ahead_id} {self.kind} {self.behind_id}"


class Notification(models.Model):
    """Something a unit's people should know: it was overtaken, or a unit under it was."""

    class Kind(models.TextChoices):
        OVERTAKEN = "overtaken", "Overtaken"
        CHILD_OVERTAKEN = "child_overtaken", "A unit below was overtaken"
        CHALLENGED = "challenged", "Challenged"
        CHALLENGE_ANSWERED = "answered", "Challenge answered"
        CHALLENGE_ENDED = "ended", "Challenge ended"

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, db_index=False, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        OvertakingEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    challenge = models.ForeignKey(
        "Challenge", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["unit", "id"], name="notification_by_unit")]

    def __str__(self) -> str:
        return self.message


class Challenge(models.Model):
    """A unit challenges another unit, or a group (a block), on an indicator over a period."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        RUNNING = "running", "Accepted, running"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired (not answered in time)"
        FINISHED = "finished", "Finished"

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="challenges")
    challenger = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        Block,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="set when a whole group was challenged",
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    normalisation = models.CharField(max_length=16, choices=Normalisation.choices)
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+")
    stake = models.TextField(blank=True)
    answer_by = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "running", "declined", "expired", "finished"]),
                name="challenge_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Challenge {self.pk} by {self.challenger_id}"


class ChallengeParticipant(models.Model):
    class Answer(models.TextChoices):
        CHALLENGER = "challenger", "Challenger"
        PENDING = "pending", "Not answered yet"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Did not answer in time"

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="participants")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=10, choices=Answer.choices)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["challenge", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "unit"], name="challenge_participant_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} in challenge {self.challenge_id}: {self.answer}"


class ChallengeResult(models.Model):
    """Append-only: where a unit finished in a challenge — kept in the unit's record."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="challenge_results")
    rank = models.PositiveIntegerField(null=True)
    value = models.DecimalField(max_digits=40, decimal_places=12, null=True)
    won = models.BooleanField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["challenge", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "unit"], name="challenge_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} in challenge {self.challenge_id}: {self.rank}"

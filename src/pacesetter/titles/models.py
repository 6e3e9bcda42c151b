"""Honorary titles: rule packs, the facts rules look at, evaluation runs, nominations, votes,
awards and revocations.

A pack's text is kept whole in `PackRevision` (append-only): every evaluation and award points
at the revision and rule version that judged it, so editing a pack never changes a past
decision. Votes, awards and revocations are append-only too: a revocation is a new row that
strikes an award, never an edit of it.

Facts about a person (`units.Member`) or a unit that do not come from the ledger — yearly
evaluations, disciplinary measures, initiatives, recorded judgements — carry their source.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pacesetter.movements.models import Movement, Period
from pacesetter.units.models import Member, Unit

from . import domain

SUBJECT_CHECK = (Q(member__isnull=False) & Q(unit__isnull=True)) | (
    Q(member__isnull=True) & Q(unit__isnull=False)
)


class RulePack(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    current = models.ForeignKey(
        "PackRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PackRevision(models.Model):
    """One loaded text of a pack, kept for ever (append-only)."""

    pack = models.ForeignKey(RulePack, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["pack", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "number"], name="pack_revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.pack.slug} r{self.number}"


class Title(models.Model):
    """A title as named by its pack; the rules themselves live in the pack's text."""

    pack = models.ForeignKey(RulePack, on_delete=models.PROTECT, related_name="titles")
    code = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=6, choices=[(s, s) for s in domain.SUBJECTS])

    class Meta:
        ordering = ["pack", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "code"], name="title_code_unique_in_pack"),
            models.CheckConstraint(
                condition=Q(subject__in=domain.SUBJECTS), name="title_subject_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- facts -------------------------------------------------------------------------------------


class _Fact(models.Model):
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(
        max_length=300, help_text='e.g. "evaluations-2024.csv row 12" or "form"'
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def subject(self) -> Member | Unit:
        return self.member if self.member_id else self.unit

    @property
    def conditions_met(self) -> int:
        return self.conditions - self.conditions_missed


class YearlyEvaluation(_Fact):
    """The year's task-completion rating and months worked (for a person) or rating (for a
    collective). One per subject and year; a later import replaces it, keeping the source."""

    year = models.PositiveSmallIntegerField()
    rating = models.CharField(max_length=16, choices=[(r, r) for r in domain.RATINGS])
    months_worked = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=SUBJECT_CHECK, name="evaluation_one_subject"),
            models.CheckConstraint(
                condition=Q(rating__in=domain.RATINGS), name="evaluation_rating_known"
            ),
            models.CheckConstraint(
                condition=Q(months_worked__isnull=True)
                | (Q(months_worked__gte=0) & Q(months_worked__lte=12)),
                name="evaluation_months_range",
            ),
            models.UniqueConstraint(fields=["member", "year"], name="evaluation_member_year"),
            models.UniqueConstraint(fields=["unit", "year"], name="evaluation_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.year}: {self.rating}"


class DisciplinaryMeasure(_Fact):
    level = models.CharField(max_length=16, choices=[(d, d) for d in domain.DISCIPLINE_LEVELS[1:]])
    decided_on = models.DateField(
        null=True, blank=True, help_text="empty while the case is pending"
    )
    ends_on = models.DateField(null=True, blank=True, help_text="when the measure's period ends")
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-decided_on"]
        constraints = [
            models.CheckConstraint(condition=SUBJECT_CHECK, name="discipline_one_subject"),
            models.CheckConstraint(
                condition=Q(level__in=domain.DISCIPLINE_LEVELS[1:]), name="discipline_level_known"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(decided_on__isnull=True)
                | Q(ends_on__gte=models.F("decided_on")),
                name="discipline_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["member"], name="discipline_by_member")]

    def __str__(self) -> str:
        return f"{self.subject}: {self.level} ({self.decided_on or 'pending'})"


class Initiative(_Fact):
    title = models.CharField(max_length=300)
    scope = models.CharField(max_length=16, choices=[(s, s) for s in domain.INITIATIVE_SCOPES[1:]])
    recognised_on = models.DateField()
    recognised_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-recognised_on"]
        constraints = [
            models.CheckConstraint(condition=SUBJECT_CHECK, name="initiative_one_subject"),
            models.CheckConstraint(
                condition=Q(scope__in=domain.INITIATIVE_SCOPES[1:]), name="initiative_scope_known"
            ),
        ]
        indexes = [models.Index(fields=["member"], name="initiative_by_member")]

    def __str__(self) -> str:
        return f"{self.title} ({self.scope})"


class Judgement(_Fact):
    """A matter of judgement a person records ("exemplary", "internal unity"), by name as the
    pack declares it, per subject and year."""

    year = models.PositiveSmallIntegerField()
    name = models.SlugField(max_length=80)
    value = models.BooleanField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(condition=SUBJECT_CHECK, name="judgement_one_subject"),
            models.UniqueConstraint(
                fields=["member", "year", "name"], name="judgement_member_year_name"
            ),
            models.UniqueConstraint(
                fields=["unit", "year", "name"], name="judgement_unit_year_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.year} {self.name}={self.value}"


# --- the process -------------------------------------------------------------------------------


class EvaluationRun(models.Model):
    """Every candidate in the scope judged for a title and year by one rule version; for a
    title judged per period, for one period of the movement (`period`)."""

    title = models.ForeignKey(Title, on_delete=models.PROTECT, related_name="runs")
    revision = models.ForeignKey(PackRevision, on_delete=models.PROTECT, related_name="runs")
    rule_version = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    scope = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="title_runs")
    movement = models.ForeignKey(
        Movement, null=True, blank=True, on_delete=models.PROTECT, related_name="title_runs"
    )
    period = models.ForeignKey(
        Period,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the period judged, for a title judged per period",
    )
    candidates = models.PositiveIntegerField(default=0)
    eligible = models.PositiveIntegerField(default=0)
    selected = models.PositiveIntegerField(default=0)
    cap_summary = models.JSONField(default=list)
    seconds = models.DecimalField(max_digits=10, decimal_places=3, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} {self.year} · {self.scope.code}"


class Candidate(models.Model):
    """One subject's outcome in a run, with its whole explanation."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    eligible = models.BooleanField()
    position = models.PositiveIntegerField(
        null=True, blank=True, help_text="place in the cap's ranking"
    )
    selected = models.BooleanField(default=False)
    # Set when more qualify than the cap allows and the rules state no order: the candidate
    # competes for this many places of its cap group, and the council's vote or the awarding
    # body's decision chooses (the award beyond the places is refused).
    competing_for = models.PositiveIntegerField(
        null=True, blank=True, help_text="places competed for, when the rules state no order"
    )
    why_not = models.TextField(blank=True)
    # How many conditions of the rule version were judged (the leaves of the explanation)
    # and how many of them the candidate missed: a candidate who met most of them and missed
    # one or two is "close", which the run page lists with what was missed.
    conditions = models.PositiveIntegerField(default=0)
    conditions_missed = models.PositiveIntegerField(default=0)
    explanation = models.JSONField()

    class Meta:
        ordering = ["run", "-selected", "-eligible", "position", "id"]
        indexes = [models.Index(fields=["run", "eligible", "position"], name="candidate_by_run")]

    def __str__(self) -> str:
        return str(self.member) if self.member_id else str(self.unit)

    @property
    def subject(self) -> Member | Unit:
        return self.member if self.member_id else self.unit

    @property
    def conditions_met(self) -> int:
        return self.conditions - self.conditions_missed


class Nomination(models.Model):
    """A selected candidate put to the council. The council is fixed when the nomination is
    made (its size is the denominator of the vote)."""

    class Status(models.TextChoices):
        OPEN = "open", "voting"
        AWARDED = "awarded", "awarded"
        REJECTED = "rejected", "not carried"

    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT, related_name="nomination")
    council_size = models.PositiveIntegerField()
    council = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    result = models.CharField(max_length=300, blank=True)
    nominated_at = models.DateTimeField(auto_now_add=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-nominated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "awarded", "rejected"]),
                name="nomination_status_known",
            )
        ]

    def __str__(self) -> str:
        return f"Nomination of {self.candidate}"


class Vote(models.Model):
    """One council member's vote (append-only: a vote is cast once and never changed)."""

    class Choice(models.TextChoices):
        YES = "yes", "yes"
        NO = "no", "no"
        ABSTAIN = "abstain", "abstain"

    nomination = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=7, choices=Choice.choices)
    cast_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["nomination", "voter"], name="one_vote_per_member"),
            models.CheckConstraint(
                condition=Q(choice__in=["yes", "no", "abstain"]), name="vote_choice_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter} {self.choice}"


class Award(models.Model):
    """A title given (append-only). `times` counts this subject's awards of the title up to
    and including this one ("twice", "three times"); for a title judged per period, in the
    order of the periods won.

    An award is *final* once the awarding body's `AwardDecision` is recorded (number, date,
    signer, awarding body): only then is its certificate issued and does its verification page
    say valid. Until then it awaits the decision; it still counts in the rules, as the
    council's vote carried it. An imported award comes with its historical decision."""

    class Origin(models.TextChoices):
        MADE = "made", "made here"
        IMPORTED = "imported", "imported"

    title = models.ForeignKey(Title, on_delete=models.PROTECT, related_name="awards")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    revision = models.ForeignKey(PackRevision, on_delete=models.PROTECT, related_name="+")
    rule_version = models.CharField(max_length=64)
    candidate = models.OneToOneField(
        Candidate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award",
        help_text="the evaluation behind an award made here; none for an imported one",
    )
    nomination = models.OneToOneField(
        Nomination, null=True, blank=True, on_delete=models.PROTECT, related_name="award"
    )
    vote_result = models.CharField(max_length=300, blank=True)
    title_name = models.CharField(
        max_length=200, help_text='as awarded, e.g. "Double Chollima workteam"'
    )
    times = models.PositiveSmallIntegerField(default=1)
    awarding_body = models.CharField(max_length=200, blank=True)
    movement = models.ForeignKey(
        Movement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period = models.ForeignKey(
        Period,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the period the title was won in, for a title judged per period",
    )
    awarded_on = models.DateField()
    code = models.CharField(max_length=20, unique=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Where the award comes from: made here (evaluation, vote) or imported from the body's
    # history (an award decided before the body used Pacesetter).
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.MADE)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-year", "-id"]
        indexes = [
            models.Index(fields=["title", "member", "year"], name="award_by_member"),
            models.Index(fields=["title", "unit", "year"], name="award_by_unit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(origin__in=["made", "imported"]), name="award_origin_known"
            ),
            # an award made here has its evaluation; an imported one who imported it and when
            models.CheckConstraint(
                condition=(Q(origin="made") & Q(candidate__isnull=False))
                | (Q(origin="imported") & Q(candidate__isnull=True) & Q(imported_at__isnull=False)),
                name="award_origin_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title_name} {self.year}: {self.subject}"

    @property
    def subject(self) -> Member | Unit:
        return self.member if self.member_id else self.unit

    @property
    def conditions_met(self) -> int:
        return self.conditions - self.conditions_missed

    @property
    def is_final(self) -> bool:
        """Decided by the awarding body (its decision is recorded)."""
        return hasattr(self, "decision")

    @property
    def is_imported(self) -> bool:
        return self.origin == self.Origin.IMPORTED


class AwardDecision(models.Model):
    """The awarding body's numbered decision that makes an award final (append-only: recorded
    once, like a revocation; a wrong one is corrected by revoking the award)."""

    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="decision")
    number = models.CharField(max_length=80)
    decided_on = models.DateField()
    awarding_body = models.CharField(max_length=200)
    signer_name = models.CharField(max_length=200, blank=True)
    signer_position = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(number="") & ~Q(awarding_body=""), name="award_decision_complete"
            )
        ]

    def __str__(self) -> str:
        return f"Decision {self.number} of {self.decided_on}"


class Revocation(models.Model):
    """Strikes an award (append-only); `cause` is the revoked award it depended on."""

    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="revocation")
    reason = models.TextField()
    revoked_on = models.DateField()
    cause = models.ForeignKey(
        Award, null=True, blank=True, on_delete=models.PROTECT, related_name="caused_revocations"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revoked_on", "-id"]

    def __str__(self) -> str:
        return f"Revocation of {self.award}"


class NominationAttachment(models.Model):
    """A document in a nomination's dossier: the unit's achievement report or a supporting
    document. The file lives in the "attachments" storage (`settings.STORAGES`) under a name
    nobody can guess, and is served only through a view that checks who may see the
    nomination. A withdrawn attachment is marked, never deleted: the dossier's history, as the
    council read it, stays whole."""

    class Kind(models.TextChoices):
        REPORT = "report", "achievement report"
        SUPPORTING = "supporting", "supporting document"

    nomination = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200, help_text="the file's name as uploaded")
    stored_as = models.CharField(max_length=300, unique=True)
    content_type = models.CharField(max_length=100, help_text="as read from the content")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["nomination", "added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["report", "supporting"]), name="attachment_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawal_reason="")
                | Q(withdrawn_at__isnull=False) & ~Q(withdrawal_reason=""),
                name="attachment_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

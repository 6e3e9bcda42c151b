"""Read-mostly admin for operators: every change goes through the pages, the API or the CLI
(titles.actions), so these are views of the records."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    Award,
    Candidate,
    DisciplinaryMeasure,
    EvaluationRun,
    Initiative,
    Judgement,
    Nomination,
    PackRevision,
    Revocation,
    RulePack,
    Title,
    Vote,
    YearlyEvaluation,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RulePack)
class RulePackAdmin(ReadOnly):
    list_display = ("slug", "name", "current")


@admin.register(PackRevision)
class PackRevisionAdmin(ReadOnly):
    list_display = ("pack", "number", "loaded_at", "loaded_by")
    list_filter = ("pack",)


@admin.register(Title)
class TitleAdmin(ReadOnly):
    list_display = ("code", "name", "subject", "pack")
    list_filter = ("pack", "subject")


@admin.register(YearlyEvaluation)
class YearlyEvaluationAdmin(ReadOnly):
    list_display = ("member", "unit", "year", "rating", "months_worked", "source")
    list_filter = ("year", "rating")
    raw_id_fields = ("member", "unit")


@admin.register(DisciplinaryMeasure)
class DisciplinaryMeasureAdmin(ReadOnly):
    list_display = ("member", "unit", "level", "decided_on", "ends_on", "source")
    raw_id_fields = ("member", "unit")


@admin.register(Initiative)
class InitiativeAdmin(ReadOnly):
    list_display = ("title", "member", "unit", "scope", "recognised_on", "source")
    list_filter = ("scope",)
    raw_id_fields = ("member", "unit")


@admin.register(Judgement)
class JudgementAdmin(ReadOnly):
    list_display = ("name", "member", "unit", "year", "value", "source")
    list_filter = ("name", "year")
    raw_id_fields = ("member", "unit")


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnly):
    list_display = (
        "title",
        "year",
        "scope",
        "rule_version",
        "candidates",
        "eligible",
        "selected",
        "created_at",
    )
    list_filter = ("title", "year")


@admin.register(Candidate)
class CandidateAdmin(ReadOnly):
    list_display = ("__str__", "run", "eligible", "selected", "position")
    list_filter = ("eligible", "selected")
    raw_id_fields = ("run", "member", "unit")


@admin.register(Nomination)
class NominationAdmin(ReadOnly):
    list_display = ("candidate", "status", "council_size", "result", "nominated_at")
    list_filter = ("status",)
    raw_id_fields = ("candidate",)


@admin.register(Vote)
class VoteAdmin(ReadOnly):
    list_display = ("nomination", "voter", "choice", "cast_at")


@admin.register(Award)
class AwardAdmin(ReadOnly):
    list_display = ("code", "title_name", "member", "unit", "year", "times", "awarded_on")
    list_filter = ("title", "year")
    search_fields = ("code",)
    raw_id_fields = ("member", "unit", "candidate", "nomination")


@admin.register(Revocation)
class RevocationAdmin(ReadOnly):
    list_display = ("award", "revoked_on", "reason", "cause")
    raw_id_fields = ("award", "cause")

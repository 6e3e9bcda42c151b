"""Read-mostly admin for operators: scorings, events, challenges, notifications. Changes go
through the actions (pages, API, `pacesetter settle-challenges`)."""

from django.contrib import admin

from pacesetter.units.admin import ReadOnlyAdmin

from .models import (
    Challenge,
    ChallengeParticipant,
    Notification,
    OvertakingEvent,
    Scoring,
    ScoringComponent,
)


class ComponentInline(admin.TabularInline):
    model = ScoringComponent
    extra = 0
    can_delete = False
    fields = ("indicator", "normalisation", "weight", "position")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scoring)
class ScoringAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "movement", "block", "created_at")
    list_filter = ("movement",)
    inlines = [ComponentInline]


@admin.register(OvertakingEvent)
class OvertakingEventAdmin(ReadOnlyAdmin):
    list_display = (
        "recorded_at",
        "scoring",
        "period",
        "ahead",
        "kind",
        "behind",
        "margin",
        "cause",
    )
    list_filter = ("kind", "cause", "movement")
    list_select_related = ("scoring", "period", "ahead", "behind")


class ParticipantInline(admin.TabularInline):
    model = ChallengeParticipant
    extra = 0
    can_delete = False
    fields = ("unit", "answer", "answered_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdmin):
    list_display = ("pk", "challenger", "group", "indicator", "period", "status", "answer_by")
    list_filter = ("status", "movement")
    inlines = [ParticipantInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "unit", "kind", "message", "read_at")
    list_filter = ("kind",)

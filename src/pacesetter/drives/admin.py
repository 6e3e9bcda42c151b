"""Drives in the admin are read-only, like the ledger: every change goes through the drive
actions (pages, API, CLI), which keep the balances, counters and ledger in step."""

from django.contrib import admin

from pacesetter.units.admin import ReadOnlyAdmin

from .models import (
    CallPlace,
    DonationBalance,
    DonationEntry,
    EnlistmentDrive,
    SignUp,
    VolunteerCall,
)


@admin.register(DonationEntry)
class DonationEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "drive", "item", "stage", "unit", "day", "quantity_minor", "donor_kind")
    list_filter = ("stage", "donor_kind", "drive")
    search_fields = ("unit__code", "idempotency_key", "donor_name", "recipient_name")
    list_select_related = ("drive__movement", "item", "unit")
    raw_id_fields = ("unit", "donor_member", "donor_unit", "recipient_unit", "entered_by")
    show_full_result_count = False


@admin.register(DonationBalance)
class DonationBalanceAdmin(ReadOnlyAdmin):
    list_display = ("item", "unit", "pledged_minor", "received_minor", "distributed_minor")
    list_select_related = ("item", "unit")
    raw_id_fields = ("unit",)


@admin.register(VolunteerCall)
class VolunteerCallAdmin(ReadOnlyAdmin):
    list_display = (
        "movement",
        "quota",
        "at_quota",
        "active_count",
        "waitlisted_count",
        "placed_count",
    )
    list_select_related = ("movement",)


@admin.register(CallPlace)
class CallPlaceAdmin(ReadOnlyAdmin):
    list_display = ("call", "unit", "role", "capacity", "placed_count")
    list_select_related = ("call__movement", "unit", "role")


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdmin):
    list_display = ("code", "call", "full_name", "unit", "status", "day")
    list_filter = ("status",)
    search_fields = ("=code",)
    list_select_related = ("call__movement", "unit")
    raw_id_fields = ("unit", "member", "place", "entered_by")
    show_full_result_count = False


@admin.register(EnlistmentDrive)
class EnlistmentDriveAdmin(ReadOnlyAdmin):
    list_display = ("movement", "reporting_kind")
    list_select_related = ("movement", "reporting_kind")

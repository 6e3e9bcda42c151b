"""The ledger in the admin is read-only, like everywhere: corrections are filed through the
API or the web interface, never by editing a row (the database would refuse it anyway)."""

from django.contrib import admin

from pacesetter.units.admin import ReadOnlyAdmin

from .models import Report


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "movement",
        "unit",
        "indicator",
        "day",
        "quantity_minor",
        "source",
        "verification",
        "corrects",
        "entered_at",
    )
    list_filter = ("source", "verification", "movement")
    search_fields = ("unit__code", "idempotency_key")
    list_select_related = ("movement", "unit", "indicator")
    raw_id_fields = ("unit", "member", "indicator", "corrects", "movement", "entered_by")
    show_full_result_count = False  # counting millions of rows on every page is not worth it

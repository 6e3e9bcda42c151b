from django.contrib import admin

from pacesetter.units.admin import ReadOnlyAdmin

from .models import Indicator, Movement, Period, Plan, Pledge


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    can_delete = False
    fields = (
        "code",
        "name",
        "unit_of_measure",
        "currency",
        "aggregation",
        "direction",
        "decimal_places",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ("title", "slug", "status", "starts_on", "ends_on", "organiser", "is_public")
    list_filter = ("status", "is_public")
    search_fields = ("title", "slug")
    inlines = [IndicatorInline]


@admin.register(Period)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ("name", "movement", "starts_on", "ends_on", "is_whole")
    list_filter = ("is_whole",)


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = (
        "unit",
        "indicator",
        "period",
        "planned_minor",
        "rated_capacity_minor",
        "daily_assignment_minor",
    )
    list_select_related = ("unit", "indicator", "period")
    search_fields = ("unit__code",)


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ("unit", "indicator", "period", "extra_minor", "extra_percent", "registered_on")
    list_select_related = ("unit", "indicator", "period")

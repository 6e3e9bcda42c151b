"""Read-mostly admin for operators. Units are created, moved and archived through the actions
(API, CLI), which keep the tree's paths and the subtree totals right; the admin only reads."""

from django.contrib import admin

from .models import Block, Member, Unit, UnitKind


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UnitKind)
class UnitKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "parent", "depth", "headcount", "archived")
    list_filter = ("kind", "archived", "depth")
    search_fields = ("code", "name")
    list_select_related = ("kind", "parent")


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "external_id", "unit", "active")
    search_fields = ("full_name", "external_id")
    list_select_related = ("unit",)
    raw_id_fields = ("unit",)

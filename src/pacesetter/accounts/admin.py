"""Tokens for operators: issue one (its key is shown once), see them, revoke them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from . import actions
from .models import ApiToken


class IssueTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name", "expires_at")

    def clean_expires_at(self):
        # The action refuses this too; saying it here puts the message beside the field.
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError("must be in the future")
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    add_form = IssueTokenForm
    raw_id_fields = ("user",)
    list_display = (
        "name",
        "user",
        "key_prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "key_prefix", "user__username")
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj: ApiToken | None = None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        if obj is None:
            return ("user", "name", "expires_at")
        return self.list_display

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        return () if obj is None else self.list_display

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # A token is revoked, never deleted: its last use stays on record.
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            return
        # Issue through the action, which makes the key; the admin only shows it, once.
        token, key = actions.create_token(user=obj.user, name=obj.name, expires_at=obj.expires_at)
        obj.pk, obj.key_prefix, obj.key_hash, obj.created_at = (
            token.pk,
            token.key_prefix,
            token.key_hash,
            token.created_at,
        )
        obj._state.adding = False
        messages.warning(
            request, f"The key of “{token.name}” is {key} — copy it now; it is not stored."
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            actions.revoke_token(token=token)
        messages.success(request, f"Revoked {queryset.count()} token(s).")

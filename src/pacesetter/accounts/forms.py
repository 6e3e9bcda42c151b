from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm
from pacesetter.movements.models import Movement

from .models import Role, TokenScope


class TokenForm(PlainTextForm):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “field app”.")
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="Read only, read and report, or everything you may do.",
    )
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        initial=90,
        label="Expires after (days)",
        help_text="Leave empty for a token that does not expire.",
    )

    def expires_at(self) -> dt.datetime | None:
        days = self.cleaned_data.get("expires_in_days")
        return timezone.now() + dt.timedelta(days=days) if days else None


class GrantForm(PlainTextForm):
    username = forms.CharField(max_length=150, label="Person (username)")
    role = forms.ChoiceField(
        label=_("Role"), choices=[(value, capfirst(label)) for value, label in Role.choices]
    )
    movement = forms.ModelChoiceField(
        queryset=Movement.objects.none(),
        required=False,
        empty_label="Every movement",
        to_field_name="slug",
        help_text="Limit the role to one movement, or leave it for all.",
    )

    def __init__(self, *args, movements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if movements is not None:
            self.fields["movement"].queryset = movements


class PersonForm(PlainTextForm):
    username = forms.CharField(max_length=150, label=_("Username"))
    full_name = forms.CharField(max_length=150, label=_("Full name"))
    email = forms.EmailField(required=False, label=_("Email"))
    password = forms.CharField(
        required=False,
        strip=False,
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave empty to get a one-time link instead, shown once, with which they set "
            "their own password."
        ),
    )


class PersonEditForm(PlainTextForm):
    full_name = forms.CharField(max_length=150, label=_("Full name"))
    email = forms.EmailField(
        required=False, label=_("Email"), help_text=_("Leave it empty for none.")
    )

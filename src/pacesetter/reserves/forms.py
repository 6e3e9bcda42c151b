"""The reserve forms: short enough to fill on a phone in under a minute."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from .models import Kind

PAGE_KINDS = [(k.value, k.label) for k in Kind if k != Kind.INDICATOR]


class ProposeForm(PlainTextForm):
    kind = forms.ChoiceField(label=_("What is saved"), choices=PAGE_KINDS)
    description = forms.CharField(
        label=_("Your proposal"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("what to change, and where the saving comes from"),
    )
    estimated = forms.CharField(
        label=_("Estimated saving"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    measure = forms.CharField(
        label=_("Measured in"),
        max_length=40,
        help_text=_("e.g. t of cement, hours, kWh; a currency code (EUR) for money"),
    )
    member = forms.ChoiceField(label=_("Proposed by (member)"), required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "—")] + [(str(m.pk), m.full_name) for m in members]
        if not members:
            del self.fields["member"]


class TransitionForm(PlainTextForm):
    note = forms.CharField(
        label=_("Note (the reason, to decline)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    verified = forms.CharField(
        label=_("Verified saving"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    measure = forms.CharField(label=_("Measured in"), max_length=40, required=False)
    scope = forms.ChoiceField(
        label=_("Recognised as an initiative of"),
        choices=[
            ("unit", _("the unit")),
            ("grassroots", _("grassroots level")),
            ("provincial", _("provincial level")),
            ("national", _("national level")),
        ],
        required=False,
        help_text=_("the scope of its recognition, a fact titles may use"),
    )


class LinkForm(PlainTextForm):
    kind = forms.ChoiceField(label=_("Reserves of kind"), choices=Kind.choices)
    measure = forms.CharField(
        label=_("Measured in"),
        max_length=40,
        help_text=_("as the reserves give it, e.g. t of steel; a currency code for money"),
    )
    indicator = forms.ChoiceField(label=_("Count toward"))
    factor = forms.CharField(
        label=_("Each unit of saving counts as"),
        max_length=30,
        initial="1",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("e.g. 0.05: one t of steel saved counts as 0.05 flats"),
    )

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [(i.code, i.name) for i in indicators]

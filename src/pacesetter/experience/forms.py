"""The publish and adopt forms (phone-friendly: few fields, choices from what the visitor may
act for)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from .actions import TEXT_MAX, TITLE_MAX


class PracticeForm(PlainTextForm):
    unit = forms.ChoiceField(label=_("Published by the unit"))
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    text = forms.CharField(
        label=_("What you did"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Plain text. A blank line starts a paragraph; lines starting with “- ” make a list; "
            "*emphasis*, **strong**, [a link](https://…)."
        ),
    )
    indicator = forms.ChoiceField(label=_("It helped on"))
    period = forms.ChoiceField(label=_("Over"))
    adapted_from = forms.ChoiceField(label=_("Adapted from"), required=False)

    def __init__(self, *args, units, indicators, periods, practices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        self.fields["indicator"].choices = [(i.code, i.name) for i in indicators]
        self.fields["period"].choices = [(str(p.pk), p.name) for p in periods]
        self.fields["adapted_from"].choices = [("", "—")] + [
            (str(p.pk), f"{p.title} ({p.unit.name})") for p in practices
        ]


class AdoptForm(PlainTextForm):
    unit = forms.ChoiceField(label=_("Adopted by the unit"))
    adopted_on = forms.DateField(
        label=_("From the day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]

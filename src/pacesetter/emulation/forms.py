"""The challenge form: who challenges whom, on what, over which period, by when to answer."""

from __future__ import annotations

from django import forms

from pacesetter.core.forms import PlainTextForm

from . import domain
from .models import Normalisation


class ChallengeForm(PlainTextForm):
    challenger = forms.ChoiceField(label="Your unit", help_text="A unit you plan for.")
    opponent = forms.CharField(label="Challenge a unit (its code)", required=False, max_length=64)
    group = forms.ChoiceField(label="…or a whole group (block)", required=False)
    indicator = forms.ChoiceField(label="On")
    normalisation = forms.ChoiceField(
        label="Compared as", choices=Normalisation.choices, initial=domain.RAW
    )
    period = forms.ChoiceField(label="Over")
    answer_by = forms.DateField(label="Answer by", widget=forms.DateInput(attrs={"type": "date"}))
    stake = forms.CharField(
        label="Stake",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the loser does, or what is at stake (optional).",
    )

    def __init__(self, *args, challengers, blocks, indicators, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["challenger"].choices = [(u.code, u.name) for u in challengers]
        self.fields["group"].choices = [("", "—")] + [(b.code, b.name) for b in blocks]
        self.fields["indicator"].choices = [(i.code, i.name) for i in indicators]
        self.fields["period"].choices = [(p.name, p.name) for p in periods]

    def clean(self):
        data = super().clean()
        if bool(data.get("opponent")) == bool(data.get("group")):
            raise forms.ValidationError("Challenge either one unit or one group.")
        return data

"""The organiser's forms for ranking blocks: make a block from unit codes, and rank a block
by one indicator or a weighted score of up to COMPONENTS indicators. Apart from forms.py (the
challenge form) because they belong to the set-up page, not to the pages every member uses."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from . import domain
from .models import Normalisation

# Three rows cover what the demo and the brief rank by (one indicator, or a weighted score of
# two or three); the API takes any number.
COMPONENTS = 3
COMPONENT_FIELDS = ("indicator", "normalisation", "weight")


class BlockForm(PlainTextForm):
    code = forms.SlugField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    units = forms.CharField(
        label=_("Unit codes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The comparable units of the block, separated by spaces, commas or lines."),
    )

    # Ids of their own: the set-up page shows this form beside others with the same fields.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="block_%s", **kwargs)

    def unit_codes(self) -> list[str]:
        return [code for code in re.split(r"[\s,;]+", self.cleaned_data["units"]) if code]


class ScoringChangeForm(PlainTextForm):
    """A live ranking's name (what it ranks by changes only while a draft, by API or file)."""

    name = forms.CharField(label=_("Name"), max_length=200)

    def __init__(self, *args, code: str, **kwargs):
        super().__init__(*args, auto_id=f"change_{code}_%s", **kwargs)


class ScoringRetireForm(PlainTextForm):
    """Retiring asks for a confirmation: a ranking retired is ranked no more."""

    confirm = forms.BooleanField(
        label=_("Yes, retire it: it is ranked no more, its standings stay as a record"),
    )

    def __init__(self, *args, code: str, **kwargs):
        super().__init__(*args, auto_id=f"retire_{code}_%s", **kwargs)


class ScoringForm(PlainTextForm):
    block = forms.ChoiceField(label=_("Block ranked"))
    code = forms.SlugField(label=_("Code"), max_length=64, help_text=_("For its address."))
    name = forms.CharField(label=_("Name"), max_length=200)

    def __init__(self, *args, blocks, indicators, **kwargs):
        super().__init__(*args, auto_id="ranking_%s", **kwargs)
        self.fields["block"].choices = [(b.code, f"{b.name} ({b.code})") for b in blocks]
        indicator_choices = [(i.code, i.name) for i in indicators]
        for number in range(1, COMPONENTS + 1):
            first = number == 1
            self.fields[f"indicator_{number}"] = forms.ChoiceField(
                # Translators: the indicator a ranking is made on, numbered 1 to 3.
                label=_("Indicator %(number)s") % {"number": number},
                choices=indicator_choices if first else [("", "—"), *indicator_choices],
                required=first,
            )
            self.fields[f"normalisation_{number}"] = forms.ChoiceField(
                label=_("Compared as %(number)s") % {"number": number},
                choices=Normalisation.choices,
                initial=domain.RAW,
                required=first,
            )
            self.fields[f"weight_{number}"] = forms.DecimalField(
                label=_("Weight %(number)s") % {"number": number},
                initial=1,
                min_value=0.001,
                max_digits=7,
                decimal_places=3,
                required=False,
                help_text=_("Only for a weighted score of several indicators.") if first else "",
            )

    def components(self) -> list[tuple[str, str, object]]:
        """(indicator, normalisation, weight) of each row with an indicator."""
        data = self.cleaned_data
        return [
            (
                data[f"indicator_{n}"],
                data.get(f"normalisation_{n}") or domain.RAW,
                data.get(f"weight_{n}") or 1,
            )
            for n in range(1, COMPONENTS + 1)
            if data.get(f"indicator_{n}")
        ]

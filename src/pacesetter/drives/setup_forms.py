"""The organiser's forms that make a draft movement a drive. Items and roles are typed one
per line, as in a file, so the action's row errors point at the line. Apart from forms.py
(the forms of a running drive) because they belong to the set-up page."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from .models import DonationItem, VolunteerCall

_LINES = {"rows": 4}


def _lines(text: str) -> list[list[str]]:
    """Non-empty lines, split at ";" (a comma may sit in a name)."""
    return [
        [cell.strip() for cell in line.split(";")] for line in text.splitlines() if line.strip()
    ]


class LinesError(Exception):
    """A line that cannot be read: the form's field, the line's number, what is wrong."""

    def __init__(self, field: str, number: int, message: str):
        super().__init__(message)
        self.field = field
        self.number = number


def code_name_lines(text: str, field: str = "roles") -> list[tuple[str, str]]:
    rows = []
    for number, cells in enumerate(_lines(text), start=1):
        if len(cells) != 2:
            raise LinesError(field, number, str(_("give a code and a name, separated by ;")))
        rows.append((cells[0], cells[1]))
    return rows


class DonationDriveForm(PlainTextForm):
    items = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs=_LINES),
        help_text=_(
            "One item a line: code; name; unit of measure; decimal places — for money, the "
            "3-letter currency as the unit and money at the end: cash; Cash; EUR; 2; money"
        ),
    )
    estimate_currency = forms.CharField(
        label=_("Currency of estimates"),
        max_length=3,
        required=False,
        help_text=_("To value gifts in kind, e.g. EUR (optional)."),
    )

    # Ids of their own: the set-up page shows this form beside others with the same fields.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="donations_%s", **kwargs)

    def item_rows(self) -> list[dict]:
        rows = []
        for number, cells in enumerate(_lines(self.cleaned_data["items"]), start=1):
            if not 3 <= len(cells) <= 5:
                raise LinesError(
                    "items", number, str(_("give code; name; unit of measure; decimals"))
                )
            code, name, measure, *rest = cells
            places = rest[0] if rest else "0"
            if not re.fullmatch(r"\d{1,2}", places):
                raise LinesError(
                    "items", number, str(_("decimal places are a whole number from 0"))
                )
            money = len(rest) > 1 and rest[1] == DonationItem.Kind.MONEY
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "kind": DonationItem.Kind.MONEY if money else DonationItem.Kind.IN_KIND,
                    "unit_of_measure": "" if money else measure,
                    "currency": measure if money else "",
                    "decimal_places": int(places),
                }
            )
        return rows


class VolunteerCallForm(PlainTextForm):
    quota = forms.IntegerField(label=_("Volunteers wanted (quota)"), min_value=1)
    at_quota = forms.ChoiceField(
        label=_("When the quota is reached"), choices=VolunteerCall.AtQuota.choices
    )
    opens_at = forms.DateTimeField(
        label=_("Opens"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the movement's time zone."),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    roles = forms.CharField(
        label=_("Roles"),
        widget=forms.Textarea(attrs=_LINES),
        required=False,
        help_text=_("One role a line: code; name."),
    )
    places = forms.CharField(
        label=_("Places"),
        widget=forms.Textarea(attrs=_LINES),
        required=False,
        help_text=_("Units that take volunteers, one a line: unit code; capacity; role code."),
    )
    min_age = forms.IntegerField(label=_("Youngest age"), min_value=0, required=False)
    max_age = forms.IntegerField(label=_("Oldest age"), min_value=0, required=False)
    asks_gender = forms.BooleanField(label=_("Ask volunteers their gender"), required=False)
    asks_age_band = forms.BooleanField(label=_("Ask volunteers their age band"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="call_%s", **kwargs)

    def place_rows(self) -> list[tuple[str, int, str]]:
        rows = []
        for number, cells in enumerate(_lines(self.cleaned_data["places"]), start=1):
            if len(cells) not in (2, 3) or not cells[1].isdigit():
                raise LinesError("places", number, str(_("give unit code; capacity (; role code)")))
            rows.append((cells[0], int(cells[1]), cells[2] if len(cells) == 3 else ""))
        return rows


class EnlistmentDriveForm(PlainTextForm):
    reporting_kind = forms.ChoiceField(
        label=_("Units that report"), help_text=_("Each unit of this kind reports every day.")
    )
    roles = forms.CharField(
        label=_("Roles"),
        widget=forms.Textarea(attrs=_LINES),
        help_text=_("One role a line: code; name — each is counted in persons."),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, auto_id="enlistment_%s", **kwargs)
        self.fields["reporting_kind"].choices = [(k.code, k.name) for k in kinds]

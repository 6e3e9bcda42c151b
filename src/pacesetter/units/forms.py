"""The forms of the units pages; every one is checked again by `units.actions`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from .actions import MAX_HEADCOUNT


class UnitEditForm(PlainTextForm):
    name = forms.CharField(max_length=200, label=_("Name"))
    kind = forms.CharField(
        max_length=50,
        label=_("Kind"),
        help_text=_("A word for what it is: province, site, team… New kinds are created."),
    )
    headcount = forms.IntegerField(
        min_value=0, max_value=MAX_HEADCOUNT, required=False, label=_("Headcount")
    )

    def clean_headcount(self) -> int:
        return self.cleaned_data.get("headcount") or 0


class UnitAddForm(UnitEditForm):
    code = forms.CharField(
        max_length=64,
        label=_("Code"),
        help_text=_("Short and unique across the installation; it never changes."),
    )
    field_order = ["code", "name", "kind", "headcount"]


class UnitMoveForm(PlainTextForm):
    parent = forms.CharField(
        max_length=64,
        label=_("New parent (code)"),
        help_text=_("The unit moves with everything under it; their totals move too."),
    )


class UnitUploadForm(PlainTextForm):
    file = forms.FileField(
        label=_("Units file"),
        help_text=_(
            "CSV (UTF-8) or XLSX with a header row: code, name, kind, and optionally "
            "parent_code and headcount. Rows may come in any order; all are saved or none."
        ),
    )

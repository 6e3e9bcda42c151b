"""Forms of the report pages. They collect input; `ledger.actions` validates and records it,
and its row errors are put back beside the fields they name (`add_row_errors`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm
from pacesetter.movements.models import Indicator
from pacesetter.units.models import Unit

# A unit list longer than this is a text field for the unit's code instead of a menu.
MAX_UNIT_CHOICES = 300


def new_key(kind: str) -> str:
    """An idempotency key for one rendered form: a resubmission of the same form (a double
    tap, a retry after a network drop) is replayed by the ingest, never counted again."""
    return f"web-{kind}:{uuid.uuid4().hex}"


class ReportForm(PlainTextForm):
    unit = forms.CharField(max_length=64)
    indicator = forms.ChoiceField()
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    quantity = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        units: Sequence[Unit] | None,
        indicators: Sequence[Indicator],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"] = forms.ChoiceField(
                choices=[(unit.code, f"{unit.name} ({unit.code})") for unit in units]
            )
        else:
            self.fields["unit"].help_text = "The unit's code, as on its page."
        self.fields["indicator"].choices = [
            (indicator.code, f"{indicator.name} ({indicator.measure})") for indicator in indicators
        ]
        measures = {indicator.code: indicator for indicator in indicators}
        if len(measures) == 1:
            only = next(iter(measures.values()))
            self.fields["quantity"].help_text = (
                f"In {only.measure}, up to {only.decimal_places} decimal places."
                if only.decimal_places
                else f"In {only.measure}, a whole number."
            )
        else:
            self.fields["quantity"].help_text = "In the indicator's unit of measure."


class UndoForm(PlainTextForm):
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Say why this entry is undone."},
    )
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)


class UploadForm(PlainTextForm):
    file = forms.FileField(
        help_text="CSV (UTF-8) or XLSX, header row first: unit, indicator, day, quantity; "
        "optionally member and idempotency_key."
    )


class VerificationForm(PlainTextForm):
    """A verifier's decision on one report; `ledger.verification.decide` checks the rest
    (a reason for a correction or rejection, the value for a correction)."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("confirm", _("Confirm: the figure is right")),
            ("correct", _("Correct it to another value")),
            ("reject", _("Reject it: it counts 0")),
        ],
        widget=forms.RadioSelect,
    )
    quantity = forms.CharField(
        label=_("Correct value"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Only for a correction: the value the report should have."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Required to correct or reject: what you found."),
    )


class QueueFiltersForm(PlainTextForm):
    unit = forms.CharField(
        label=_("Unit"),
        required=False,
        max_length=64,
        help_text=_("A unit's code: its subtree only."),
    )
    indicator = forms.ChoiceField(label=_("Indicator"), required=False)

    def __init__(self, *args, indicators: Sequence[Indicator], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", _("All indicators"))] + [
            (indicator.code, indicator.name) for indicator in indicators
        ]


class FlagRulesForm(PlainTextForm):
    """Each kind of plausibility flag: on or off, and the settings it reads (empty: the
    default, shown as the placeholder). Fields are named `<kind>-<setting>`."""

    def __init__(self, *args, rules, kinds, defaults, uses, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = []
        labels = {
            "threshold": _("Threshold"),
            "window_days": _("Window (days)"),
            "minimum": _("At least"),
        }
        for kind, label in kinds:
            rule, default = rules[kind], defaults[kind]
            names = [f"{kind}-enabled"]
            self.fields[f"{kind}-enabled"] = forms.BooleanField(
                label=_("On"), required=False, initial=rule.enabled
            )
            for setting in uses[kind]:
                value, fallback = getattr(rule, setting), getattr(default, setting)
                shown = format(value.normalize(), "f") if setting == "threshold" else value
                self.fields[f"{kind}-{setting}"] = forms.CharField(
                    label=labels[setting],
                    required=False,
                    max_length=20,
                    initial="" if value == fallback else shown,
                    widget=forms.TextInput(
                        attrs={
                            "inputmode": "decimal" if setting == "threshold" else "numeric",
                            "autocomplete": "off",
                            "placeholder": format(fallback.normalize(), "f")
                            if setting == "threshold"
                            else str(fallback),
                        }
                    ),
                )
                names.append(f"{kind}-{setting}")
            self.kinds.append((kind, label, [self[name] for name in names]))

    def rules(self) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for name, value in self.cleaned_data.items():
            kind, setting = name.split("-", 1)
            found.setdefault(kind, {})[setting] = value
        return found

"""Forms of the organiser's pages. They collect input; `movements.actions` validates it and
its row errors are put back beside the fields they name."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from .actions import PlanRow
from .models import Indicator, Movement


class MovementForm(PlainTextForm):
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=80,
        required=False,
        help_text="Its name in addresses; left empty, it is made from the title.",
    )
    call_text = forms.CharField(
        label="Call text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The call to the units, shown on the movement's page.",
    )
    organiser = forms.CharField(
        label="Organising unit",
        max_length=64,
        help_text="The code of the unit that calls the movement; its subtree is the default scope.",
    )
    scope = forms.CharField(
        label="Scope",
        required=False,
        max_length=2000,
        help_text="Codes of the units whose subtrees take part, separated by spaces or commas; "
        "empty for the organising unit's whole subtree.",
    )
    starts_on = forms.DateField(label="Starts on", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Ends on", widget=forms.DateInput(attrs={"type": "date"}))
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        initial="UTC",
        help_text="As in Asia/Pyongyang or Europe/Paris: the day a report belongs to is the "
        "day there.",
    )
    is_public = forms.BooleanField(
        label="Public: totals and the honour board readable without signing in",
        required=False,
    )
    rank_on_verified = forms.BooleanField(
        label=_("Rank on verified figures"),
        help_text=_(
            "Rankings, overtakings and the honour board count only reports a verifier has "
            "confirmed or corrected. Chosen before launch."
        ),
        required=False,
    )
    titles_on_verified = forms.BooleanField(
        label=_("Titles on verified figures"),
        help_text=_("Title evaluations count only verified reports."),
        required=False,
    )

    def scope_codes(self) -> list[str]:
        return [code for code in re.split(r"[\s,;]+", self.cleaned_data.get("scope") or "") if code]


class VerifiedOnlyForm(PlainTextForm):
    """The organiser's choice to rank and to judge titles on verified figures only."""

    rank_on_verified = MovementForm.base_fields["rank_on_verified"]
    titles_on_verified = MovementForm.base_fields["titles_on_verified"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "verified_%s")
        super().__init__(*args, **kwargs)


class IndicatorForm(PlainTextForm):
    code = forms.SlugField(max_length=64, help_text="Its name in files and the API, e.g. steel.")
    name = forms.CharField(max_length=200)
    unit_of_measure = forms.CharField(
        label="Unit of measure", max_length=32, help_text="t, flats, km, sacks, persons…"
    )
    currency = forms.CharField(
        max_length=3, required=False, help_text="ISO 4217 code, for money (KPW, EUR…)."
    )
    aggregation = forms.ChoiceField(choices=Indicator.Aggregation.choices)
    direction = forms.ChoiceField(choices=Indicator.Direction.choices)
    decimal_places = forms.IntegerField(label="Decimal places", min_value=0, initial=0)
    allow_negative = forms.BooleanField(label="Negative quantities allowed", required=False)
    decimal_comma = forms.BooleanField(
        label=_("Decimal comma in files separated by ';'"),
        help_text=_("As spreadsheets save them in many locales: 1,5 is one and a half."),
        required=False,
    )


class PeriodForm(PlainTextForm):
    name = forms.CharField(max_length=100, help_text="e.g. First quarter")
    starts_on = forms.DateField(label="Starts on", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Ends on", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        # Its own ids: the indicator form on the same page has a `name` too.
        kwargs.setdefault("auto_id", "period_%s")
        super().__init__(*args, **kwargs)


class GeneratePeriodsForm(PlainTextForm):
    every = forms.ChoiceField(
        label=_("Every"),
        choices=[
            ("day", _("day")),
            ("week", _("week")),
            ("month", _("month")),
            ("quarter", _("quarter")),
            ("year", _("year")),
        ],
        help_text=_("The first and last periods are cut at the movement's dates."),
    )
    week_starts = forms.ChoiceField(
        label=_("Weeks start on"),
        choices=[
            ("monday", _("Monday")),
            ("tuesday", _("Tuesday")),
            ("wednesday", _("Wednesday")),
            ("thursday", _("Thursday")),
            ("friday", _("Friday")),
            ("saturday", _("Saturday")),
            ("sunday", _("Sunday")),
        ],
        initial="monday",
        help_text=_("Used when the periods are weeks."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "generate_%s")
        super().__init__(*args, **kwargs)


class PlanForm(PlainTextForm):
    unit_code = forms.CharField(label="Unit code", max_length=64)
    indicator = forms.ChoiceField()
    period = forms.ChoiceField(required=False)
    planned = forms.CharField(max_length=40, required=False)
    rated_capacity = forms.CharField(label="Rated capacity", max_length=40, required=False)
    daily_assignment = forms.CharField(label="Daily assignment", max_length=40, required=False)
    base = forms.CharField(
        label="Base", max_length=40, required=False, help_text="A base-year level to grow from."
    )
    base_label = forms.CharField(
        label="Base label", max_length=64, required=False, help_text="e.g. 1946 level"
    )

    def __init__(self, *args, movement: Movement, **kwargs):
        super().__init__(*args, **kwargs)
        indicators = list(movement.indicators.all())
        self.fields["indicator"].choices = [(i.code, f"{i.name} ({i.measure})") for i in indicators]
        self.fields["period"].choices = [
            ("" if period.is_whole else period.name, period.name)
            for period in movement.periods.all()
        ]

    def plan_row(self) -> PlanRow:
        return PlanRow(**self.cleaned_data)


class PlanUploadForm(PlainTextForm):
    file = forms.FileField(
        label="Plans file",
        help_text="CSV (UTF-8) or XLSX with a header row: unit_code, indicator, and any of "
        "period, planned, rated_capacity, daily_assignment, base, base_label.",
    )


class SecondmentForm(PlainTextForm):
    """Persons of a home unit seconded to a brigade (`actions.second_persons`)."""

    brigade = forms.CharField(
        label=_("Brigade"),
        max_length=64,
        help_text=_("The code of the brigade: a unit formed for the movement, in its scope."),
    )
    home = forms.CharField(
        label=_("Home unit"),
        max_length=64,
        help_text=_("The code of the unit the persons come from."),
    )
    persons = forms.IntegerField(
        label=_("Persons"),
        min_value=1,
        max_value=1_000_000,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("How many; given again for the same brigade and home unit, it replaces."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("e.g. the shift they come from"),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "secondment_%s")
        super().__init__(*args, **kwargs)

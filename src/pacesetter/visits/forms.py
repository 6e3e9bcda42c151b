"""The visit forms: short enough to fill on a phone at the unit's gate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm


class DateInput(forms.DateInput):
    input_type = "date"


class VisitForm(PlainTextForm):
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DateInput)
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    findings = forms.CharField(
        label=_("Findings"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("what you saw and heard; plain text, lists with - at a line's start"),
    )
    i_visited = forms.BooleanField(label=_("I was there"), required=False, initial=True)
    visitors = forms.CharField(
        label=_("Other visitors with an account"),
        required=False,
        max_length=2000,
        help_text=_("their usernames, separated by commas"),
    )
    guest_names = forms.CharField(
        label=_("Visitors without an account"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("one name a line"),
    )
    follow_up = forms.CharField(label=_("A follow-up task"), required=False, max_length=2000)
    follow_up_owner = forms.CharField(
        label=_("Its owner (username)"), required=False, max_length=150
    )
    follow_up_due = forms.DateField(label=_("Due on"), required=False, widget=DateInput)


class FollowUpForm(PlainTextForm):
    what = forms.CharField(label=_("What is to be done"), max_length=2000)
    owner = forms.CharField(label=_("Owner (username)"), max_length=150)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)


class MarkForm(PlainTextForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class CoverageForm(forms.Form):
    """The coverage question, asked by GET: a kind, and a period — dates, or a movement's."""

    kind = forms.ChoiceField(label=_("Units of kind"))
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)
    period = forms.ChoiceField(label=_("Or a movement's period"), required=False)

    def __init__(self, *args, kinds=(), periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.name) for k in kinds]
        self.fields["period"].choices = [("", "—")] + [
            (str(p.pk), f"{p.movement.title}: {p.name}") for p in periods
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("the end comes before the start"))
        return data


class VisitsUploadForm(PlainTextForm):
    file = forms.FileField(
        label=_("Visits file"),
        help_text=_(
            "CSV (UTF-8) or XLSX with a header row: key, unit, visited_on, purpose, and "
            "optionally findings, visitors (usernames separated by ;), guest_names (names "
            "separated by ;) and movement. All rows are recorded or none; a row already "
            "recorded with its key is left as it is."
        ),
    )

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

    VOICES = 3  # voices collected on the spot, each a slot of the form

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(t.code, t.name) for t in topics]
        for n in range(1, self.VOICES + 1):
            self.fields[f"voice{n}_topic"] = forms.ChoiceField(
                label=_("Voice %(n)s: topic") % {"n": n}, required=False, choices=choices
            )
            self.fields[f"voice{n}_subject"] = forms.CharField(
                label=_("Voice %(n)s: subject") % {"n": n}, required=False, max_length=200
            )
            self.fields[f"voice{n}_text"] = forms.CharField(
                label=_("Voice %(n)s: what they ask for") % {"n": n},
                required=False,
                max_length=8000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"voice{n}_on_behalf_of"] = forms.CharField(
                label=_("Voice %(n)s: whose voice (their name)") % {"n": n},
                required=False,
                max_length=200,
            )
            self.fields[f"voice{n}_anonymous"] = forms.BooleanField(
                label=_("Voice %(n)s: anonymous") % {"n": n}, required=False
            )

    def voice_rows(self) -> list[tuple[int, dict]]:
        """The filled voice slots: (slot number, its values)."""
        data = self.cleaned_data
        rows = []
        for n in range(1, self.VOICES + 1):
            values = {
                name: data.get(f"voice{n}_{name}")
                for name in ("topic", "subject", "text", "on_behalf_of", "anonymous")
            }
            if any(values[k] for k in ("topic", "subject", "text", "on_behalf_of")):
                rows.append((n, values))
        return rows


class FollowUpForm(PlainTextForm):
    what = forms.CharField(label=_("What is to be done"), max_length=2000)
    owner = forms.CharField(label=_("Owner (username)"), max_length=150)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)


class MarkForm(PlainTextForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class CoverageForm(PlainTextForm):
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

"""The voice forms: short enough to fill on a phone."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm


class RaiseForm(PlainTextForm):
    topic = forms.ChoiceField(label=_("Topic"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(
        label=_("What you ask for"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachment = forms.FileField(
        label=_("A photo or a PDF (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,application/pdf"}),
    )
    anonymous = forms.BooleanField(
        label=_("Raise it anonymously"),
        required=False,
        help_text=_("only the unit that answers sees the text; nobody sees who you are"),
    )
    on_behalf_of = forms.CharField(
        label=_("On behalf of (the person's name)"),
        max_length=200,
        required=False,
        help_text=_("an official recording a voice heard from someone"),
    )

    def __init__(self, *args, topics=(), on_behalf=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [(t.code, t.name) for t in topics]
        if not on_behalf:
            del self.fields["on_behalf_of"]


class StepForm(PlainTextForm):
    note = forms.CharField(
        label=_("Note"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    assigned_to = forms.CharField(label=_("Assign to (user name)"), max_length=150, required=False)


class ImportForm(PlainTextForm):
    file = forms.FileField(
        label=_("A CSV or XLSX file"),
        help_text=_("columns: key, topic, unit, subject, text, person (or anonymous: yes)"),
    )


class TopicForm(PlainTextForm):
    code = forms.SlugField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    deadline_days = forms.IntegerField(label=_("Days to answer"), min_value=1, max_value=3660)
    route = forms.ChoiceField(label=_("Answered"))
    route_kind = forms.CharField(
        label=_("Unit kind (for the nearest unit of a kind)"), max_length=50, required=False
    )
    route_unit = forms.CharField(
        label=_("Unit code (for a named unit)"), max_length=64, required=False
    )
    public = forms.BooleanField(
        label=_("Show resolved voices publicly, with no names"), required=False
    )

    def __init__(self, *args, routes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].choices = list(routes)

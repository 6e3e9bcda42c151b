"""The publish and adopt forms (phone-friendly: few fields, choices from what the visitor may
act for)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from .actions import TEXT_MAX, TITLE_MAX
from .attachments import ACCEPT, CAPTION_MAX


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the action judges each (type by content, size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


ATTACHMENT_HELP = _("Pictures (PNG, JPEG, WebP) or PDF files.")


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
    more_indicators = forms.MultipleChoiceField(
        label=_("And also on"), required=False, widget=forms.CheckboxSelectMultiple
    )
    period = forms.ChoiceField(label=_("Over"))
    adapted_from = forms.ChoiceField(label=_("Adapted from"), required=False)
    attachments = MultipleFileField(
        label=_("Pictures and PDFs"), required=False, help_text=ATTACHMENT_HELP
    )

    def __init__(self, *args, units, indicators, periods, practices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        self.fields["indicator"].choices = [(i.code, i.name) for i in indicators]
        self.fields["more_indicators"].choices = [(i.code, i.name) for i in indicators]
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


class AttachmentForm(PlainTextForm):
    file = forms.FileField(
        label=_("Picture or PDF"),
        help_text=ATTACHMENT_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    caption = forms.CharField(
        label=_("Caption"),
        required=False,
        max_length=CAPTION_MAX,
        help_text=_("What the picture shows, read aloud to those who cannot see it."),
    )

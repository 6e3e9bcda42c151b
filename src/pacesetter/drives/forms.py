"""Forms of the drive pages. They only shape input; the actions validate and decide."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm

from . import domain
from .models import DonationEntry, VolunteerCall


class KeyedForm(PlainTextForm):
    """A form with an idempotency key made when the form is shown: submitting the same form
    twice (a double click, a retry after a timeout) records once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=60)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["idempotency_key"] = f"form:{uuid.uuid4().hex}"


class TargetForm(PlainTextForm):
    """The next named target of a donation drive: what an item's gifts buy, and its price."""

    item = forms.ChoiceField(label=_("Item whose gifts buy it"))
    name = forms.CharField(label=_("Name of the target"), max_length=200)
    price = forms.CharField(
        label=_("Price"), max_length=32, help_text=_("In the item's measure (money: its currency).")
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.code, str(i)) for i in items]


class GiftForm(KeyedForm):
    item = forms.ChoiceField()
    stage = forms.ChoiceField(
        choices=[
            (DonationEntry.Stage.RECEIVED, "Received"),
            (DonationEntry.Stage.PLEDGED, "Pledged"),
        ]
    )
    unit = forms.CharField(label="Receiving unit (code)", max_length=64)
    quantity = forms.CharField(max_length=32)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    donor_kind = forms.ChoiceField(
        choices=[("anonymous", "Anonymous"), ("member", "A member"), ("unit", "A unit")]
    )
    donor = forms.CharField(
        required=False, max_length=200, help_text="member id, unit code, or a name to print"
    )
    estimate = forms.CharField(
        required=False, max_length=32, label="Money estimate (optional, for gifts in kind)"
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.code, str(i)) for i in items]


class DistributionForm(KeyedForm):
    item = forms.ChoiceField()
    unit = forms.CharField(label="Distributing unit (code)", max_length=64)
    quantity = forms.CharField(max_length=32)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    recipient_unit = forms.CharField(label="Recipient unit (code)", required=False, max_length=64)
    recipient_name = forms.CharField(label="or recipient's name", required=False, max_length=200)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.code, str(i)) for i in items]


class SignUpForm(KeyedForm):
    """Only the fields the call asks for are on the form."""

    full_name = forms.CharField(label="Your name", max_length=200)
    contact = forms.CharField(
        label="Phone or e-mail",
        max_length=200,
        help_text="to tell you where you are placed; one sign-up per person",
    )
    unit = forms.ChoiceField(label="Where you live or work")

    def __init__(self, *args, call: VolunteerCall, units=(), roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "—")] + [(u.code, u.name) for u in units]
        if roles:
            self.fields["role"] = forms.ChoiceField(
                label="What you volunteer for",
                choices=[("", "—")] + [(r.code, r.name) for r in roles],
            )
        if call.asks_gender:
            self.fields["gender"] = forms.ChoiceField(
                choices=[("", "—")] + [(g, g.capitalize()) for g in domain.GENDERS]
            )
        if call.min_age is not None or call.max_age is not None or call.asks_age_band:
            self.fields["age"] = forms.IntegerField(
                min_value=1,
                max_value=129,
                help_text="used to check the call's age range"
                + ("; only your age band is kept" if call.asks_age_band else "; not kept"),
            )
        if call.skills:
            self.fields["skill"] = forms.ChoiceField(
                choices=[("", "—")] + [(s, s.capitalize()) for s in call.skills]
            )


class CodeForm(PlainTextForm):
    code = forms.CharField(label="Confirmation code", max_length=12)


class EnlistmentForm(KeyedForm):
    unit = forms.CharField(label="Reporting unit (code)", max_length=64)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        for role in roles:
            self.fields[f"count_{role.code}"] = forms.IntegerField(
                label=role.name, min_value=0, help_text="persons mobilised today; 0 if none"
            )

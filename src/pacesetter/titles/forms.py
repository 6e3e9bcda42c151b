"""Forms of the titles pages; every write still goes through `titles.actions`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pacesetter.core.forms import PlainTextForm
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from .actions import FACT_KINDS
from .domain import DISCIPLINE_LEVELS, INITIATIVE_SCOPES, RATINGS
from .models import RulePack


class PackForm(PlainTextForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
        label="Rule pack (YAML or JSON)",
        max_length=500_000,
        strip=False,
    )

    def clean_text(self) -> str:
        # Browsers send a textarea's lines with CRLF; keep the file's own line ends.
        return self.cleaned_data["text"].replace("\r\n", "\n")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = []  # RowErrors from the parser: line, path, message


class RunForm(PlainTextForm):
    year = forms.IntegerField(min_value=1900, max_value=2200, help_text="the year judged")
    scope = forms.CharField(
        max_length=64, label="Unit", help_text="code of the unit whose members or units are judged"
    )
    movement = forms.CharField(
        max_length=80,
        required=False,
        help_text="slug of the movement whose figures count (for titles judged on the ledger)",
    )
    period = forms.CharField(
        max_length=100,
        label=_("Period"),
        help_text=_("name of the movement's period judged, e.g. “week 3”"),
    )

    def __init__(self, *args, per_period: bool = False, **kwargs):
        """A title judged per period asks for the movement and its period, not the year."""
        super().__init__(*args, **kwargs)
        if per_period:
            del self.fields["year"]
            self.fields["movement"].required = True
        else:
            del self.fields["period"]

    def clean(self) -> dict:
        data = super().clean()
        name = (data.get("period") or "").strip()
        movement = data.get("movement")
        if "period" in self.fields and name and movement is not None:
            period = movement.periods.filter(name=name, is_whole=False).first()
            if period is None:
                self.add_error("period", _("No period %(name)r in this movement.") % {"name": name})
            data["period"] = period
        return data

    def clean_scope(self) -> Unit:
        code = self.cleaned_data["scope"].strip()
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(f"No unit with the code {code!r}.")
        return unit

    def clean_movement(self) -> Movement | None:
        slug = self.cleaned_data["movement"].strip()
        if not slug:
            return None
        movement = Movement.objects.filter(slug=slug).first()
        if movement is None:
            raise forms.ValidationError(f"No movement {slug!r}.")
        return movement


class RevokeForm(PlainTextForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    revoked_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class FactsUploadForm(PlainTextForm):
    kind = forms.ChoiceField(choices=[(k, k) for k in FACT_KINDS])
    file = forms.FileField(help_text="CSV (UTF-8, header first) or XLSX")


class FactForm(PlainTextForm):
    """One fact typed in: the subject, then the fields of its kind (the action checks them)."""

    kind = forms.ChoiceField(choices=[(k, k) for k in FACT_KINDS])
    member = forms.CharField(max_length=64, required=False, help_text="a person's member id")
    unit = forms.CharField(max_length=64, required=False, help_text="or a collective's unit code")
    year = forms.CharField(max_length=4, required=False, help_text="evaluations, judgements")
    rating = forms.ChoiceField(
        choices=[("", "—"), *((r, r) for r in RATINGS)], required=False, help_text="evaluations"
    )
    months_worked = forms.CharField(max_length=5, required=False, help_text="evaluations")
    name = forms.SlugField(
        max_length=80, required=False, label="Judgement", help_text="e.g. outstanding"
    )
    value = forms.ChoiceField(
        choices=[("", "—"), ("yes", "yes"), ("no", "no")], required=False, help_text="judgements"
    )
    level = forms.ChoiceField(
        choices=[("", "—"), *((d, d) for d in DISCIPLINE_LEVELS[1:])],
        required=False,
        help_text="discipline",
    )
    decided_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="discipline"
    )
    ends_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="discipline"
    )
    title = forms.CharField(max_length=300, required=False, help_text="initiatives")
    scope = forms.ChoiceField(
        choices=[("", "—"), *((s, s) for s in INITIATIVE_SCOPES[1:])],
        required=False,
        help_text="initiatives",
    )
    recognised_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="initiatives"
    )
    source = forms.CharField(
        max_length=200, help_text="where this comes from, e.g. “council minutes of 12 Jan 2025”"
    )

    def row(self) -> dict[str, str]:
        """The fields given, as the text row `record_facts` takes."""
        return {
            name: value.isoformat() if hasattr(value, "isoformat") else str(value)
            for name, value in self.cleaned_data.items()
            if name not in ("kind", "source") and value not in (None, "")
        }


class DecisionForm(PlainTextForm):
    """The awarding body's decision that makes an award final (every field required)."""

    number = forms.CharField(
        max_length=80, label=_("Decision number"), help_text=_("e.g. 125/QĐ-UBND")
    )
    decided_on = forms.DateField(
        label=_("Decision date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    awarding_body = forms.CharField(max_length=200, label=_("Awarding body"))
    signer_name = forms.CharField(max_length=200, label=_("Signed by (name)"))
    signer_position = forms.CharField(max_length=200, label=_("Signer's position"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = _("required before the award is final")


class AwardsUploadForm(PlainTextForm):
    """A file of past awards for one loaded pack, previewed before anything is imported."""

    pack = forms.ModelChoiceField(
        queryset=RulePack.objects.filter(current__isnull=False),
        to_field_name="slug",
        label=_("Rule pack"),
        help_text=_("the pack whose titles the file names"),
    )
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8, header first) or XLSX"))


class AttachmentForm(PlainTextForm):
    """A document for a nomination's dossier; the action checks its size and content."""

    kind = forms.ChoiceField(
        label=_("What it is"),
        choices=[
            ("report", _("the unit's achievement report")),
            ("supporting", _("a supporting document")),
        ],
    )
    file = forms.FileField(
        label=_("Document"),
        help_text=_("PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,.ods"}
        ),
    )


class WithdrawAttachmentForm(PlainTextForm):
    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=300)

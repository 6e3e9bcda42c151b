"""The base of every form of the site."""

from __future__ import annotations

from django import forms

from .text import refuse_control_characters


class PlainTextForm(forms.Form):
    """A form whose text fields refuse control characters (core.text), beside the field, as
    the API and the file imports refuse them. Django's CharField refuses only NUL."""

    def full_clean(self) -> None:
        # Here rather than in __init__: forms add and replace fields in their own __init__,
        # after this class's has run. The fields are this form's copies, not the class's.
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and refuse_control_characters not in (
                field.validators
            ):
                field.validators.append(refuse_control_characters)
        super().full_clean()

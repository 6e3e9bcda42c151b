"""core.forms: every form of the site refuses control characters beside the field."""

import importlib
import pkgutil

from django import forms

import pacesetter
from pacesetter.core.forms import PlainTextForm
from pacesetter.ledger.forms import ReportForm


def test_a_control_character_is_an_error_beside_its_field(db):
    form = ReportForm(
        {
            "unit": "W\x1b1",
            "indicator": "",
            "day": "2025-03-10",
            "quantity": "1\x00",
            "idempotency_key": "k\tey",
        },
        units=None,
        indicators=[],
    )
    assert not form.is_valid()
    assert form.errors["unit"] == [
        "contains the control character U+001B, which text may not hold; remove it."
    ]
    assert "quantity" in form.errors and "idempotency_key" not in form.errors


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_form_of_the_site_is_a_plain_text_form():
    for module in pkgutil.walk_packages(pacesetter.__path__, "pacesetter."):
        if module.name.endswith(("forms", "views")):
            importlib.import_module(module.name)
    ours = [f for f in _all_subclasses(forms.Form) if f.__module__.startswith("pacesetter.")]
    assert len(ours) > 20
    assert [form for form in ours if not issubclass(form, PlainTextForm)] == []

"""The council's minutes for an evaluation run: a one-document A4 PDF (WeasyPrint, as the
certificates) drawn from the recorded votes, one row per nomination — council size, present,
yes, no, abstain, the share of yes against the rule's threshold, and the outcome."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from . import selectors
from .models import EvaluationRun


def minutes_pdf(run: EvaluationRun) -> bytes:
    from weasyprint import HTML  # imported here: loading it costs ~0.5 s, pages don't need it

    _rule, version = selectors.rule_of(run)
    zone = run.movement.time_zone if run.movement else timezone.get_current_timezone_name()
    with timezone.override(zone):
        html = render_to_string(
            "titles/minutes.html",
            {
                "run": run,
                "version": version,
                "rows": selectors.minutes_of(run),
                "drawn_at": timezone.localtime(),
                "zone": zone,
            },
        )
    return HTML(string=html).write_pdf()

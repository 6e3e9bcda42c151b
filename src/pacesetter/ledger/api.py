"""The ledger API: record reports (one or up to 10,000), correct them, list and export them.

Writes go through `ledger.actions.record_reports`, the one ingest. Statuses:

- 201 when the call recorded at least one new report; 200 when every row was a replay of a
  report already recorded under the same idempotency key (nothing new was written). Either way
  the body lists every row with the id of its report and `created` or `replayed`.
- 409 problem+json when an idempotency key is reused for different content; 422 with every
  bad row otherwise. Nothing is recorded unless every row is good.
"""

from __future__ import annotations

import base64
import binascii
import csv
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Status

from pacesetter.accounts.permissions import Capability, current_actor, require, unit_filter
from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.core.problem import READ_REFUSALS, WRITE_REFUSALS
from pacesetter.movements.api import indicator_for_field, movement_or_404
from pacesetter.movements.models import Movement
from pacesetter.units.api import unit_for_field

from . import actions, flags, report_selectors
from .models import Report
from .schemas import (
    CorrectionIn,
    FlagRulesIn,
    FlagRulesOut,
    ReportFiltersIn,
    ReportIn,
    ReportOut,
    ReportPage,
    ReportsIn,
    ReportsRecorded,
)

router = Router(tags=["reports"])

MAX_PAGE = 1000
CURSOR_VERSION = "r1"


def _row(report: ReportIn) -> actions.ReportRow:
    return actions.ReportRow(
        unit=report.unit,
        indicator=report.indicator,
        day=report.day,
        quantity=report.quantity,
        member=report.member,
        idempotency_key=report.idempotency_key,
        corrects=report.corrects,
        reason=report.reason,
    )


def _recorded(result: actions.IngestResult) -> Status:
    body = {
        "created": result.created,
        "replayed": result.replayed,
        "results": [
            {"row": number, "id": pk, "status": status}
            for number, (pk, status) in enumerate(
                zip(result.report_ids, result.statuses, strict=True), start=1
            )
        ],
    }
    return Status(201 if result.created else 200, body)


@router.post(
    "/movements/{slug}/reports",
    response={201: ReportsRecorded, 200: ReportsRecorded, **WRITE_REFUSALS},
)
def record_reports(
    request: HttpRequest,
    slug: str,
    payload: ReportsIn,
):
    """Record one report (the body is the report) or many (`{"reports": [...]}`, up to
    10,000), all or none.

    201: at least one report was recorded; 200: every row replayed a report already recorded
    under its idempotency key (nothing new written). Both list each row's report id and
    `created` or `replayed`. 409: an idempotency key was used before for a different report.
    422: every bad row, with its field and what was expected. Nothing is recorded on a 4xx."""
    movement = movement_or_404(slug, with_organiser=False)
    result = actions.record_reports(
        movement=movement,
        rows=[_row(report) for report in payload.reports],
        source=Report.Source.API,
        entered_by=request.user,
    )
    return _recorded(result)


def _report_or_404(report_id: int, capability: Capability = Capability.VIEW) -> Report:
    """A report the caller may see (else 404), with `capability` on its unit (else 403)."""
    report = (
        Report.objects.select_related("movement", "movement__organiser", "unit")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise Http404(f"No report {report_id}.")
    require(current_actor(), capability, report.unit, report.movement)
    return report


@router.get("/reports/{report_id}", response={200: ReportOut, **READ_REFUSALS})
def get_report(request: HttpRequest, report_id: int):
    """One report with the ids of its corrections (a correction shows `corrects`)."""
    report = _report_or_404(report_id)
    return report_selectors.report_entries(movement=report.movement, ids=[report.pk])[0]


@router.post(
    "/reports/{report_id}/corrections", response={201: ReportOut, 200: ReportOut, **WRITE_REFUSALS}
)
def correct_report(request: HttpRequest, report_id: int, payload: CorrectionIn):
    """File a correction: a new entry bringing the report to `quantity` (0 reverses it), with
    a reason. The original stays. 201 with the correction; 200 when the same idempotency key
    was already used for this correction (nothing new recorded)."""
    report = _report_or_404(report_id, Capability.REPORT)
    # The ingest with one correction row — what `actions.correct_report` does — called
    # directly because the API answers differently for a replay, which that wrapper hides.
    result = actions.record_reports(
        movement=report.movement,
        rows=[
            actions.ReportRow(
                corrects=report.pk,
                quantity=payload.quantity,
                reason=payload.reason,
                idempotency_key=payload.idempotency_key,
            )
        ],
        source=Report.Source.API,
        entered_by=request.user,
    )
    (entry,) = report_selectors.report_entries(movement=report.movement, ids=[result.report_ids[0]])
    return Status(201 if result.created else 200, entry)


# --- reading the ledger --------------------------------------------------------------------


def _filters(movement: Movement, given: ReportFiltersIn) -> report_selectors.ReportFilters:
    if given.source and given.source not in Report.Source.values:
        raise ValidationFailed(
            f"Unknown source {given.source!r}.",
            errors=[RowError(1, "source", f"one of {', '.join(Report.Source.values)}", "invalid")],
        )
    return report_selectors.ReportFilters(
        unit=unit_for_field(given.unit, field="unit") if given.unit else None,
        include_subtree=given.subtree,
        indicator=indicator_for_field(movement, given.indicator) if given.indicator else None,
        day_from=given.day_from,
        day_to=given.day_to,
        source=given.source or None,
        visible=unit_filter(current_actor(), Capability.VIEW, movement),
    )


def encode_cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_VERSION}:{after_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The cursor is opaque to clients (they follow `next`); inside it is the last id seen."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, after = text.partition(":")
        if version != CURSOR_VERSION:
            raise ValueError(version)
        return int(after)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationFailed(
            "The cursor is not one this API gave.",
            errors=[
                RowError(1, "cursor", "use the `next` address of the previous page", "invalid")
            ],
        ) from None


@router.get("/movements/{slug}/reports", response={200: ReportPage, **READ_REFUSALS})
def list_reports(
    request: HttpRequest,
    slug: str,
    filters: Query[ReportFiltersIn],
    cursor: str | None = Query(None, description="From the previous page's `next`"),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
):
    """The movement's reports, oldest id first, corrections included (they show `corrects`),
    each with the ids of its corrections. Follow `next` until it is null."""
    movement = movement_or_404(slug)
    entries, more = report_selectors.report_page(
        movement=movement,
        filters=_filters(movement, filters),
        after_id=decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    next_url = None
    if more:
        query = request.GET.copy()
        query["cursor"] = encode_cursor(entries[-1].id)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"results": entries, "next": next_url}


CSV_COLUMNS = (
    "id",
    "unit",
    "indicator",
    "member",
    "day",
    "quantity",
    "source",
    "entered_by",
    "entered_at",
    "idempotency_key",
    "verification",
    "corrects",
    "corrections",
    "reason",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection).
    Only free text is passed here: quantities keep their sign."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


class _Line:
    """A file-like sink for csv.writer that hands back the line just written."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(entries: Iterator[report_selectors.LedgerEntry], zone: ZoneInfo) -> Iterator[str]:
    """Times in the movement's time zone, with their offset, as its pages show them."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for e in entries:
        yield writer.writerow(
            (
                e.id,
                _cell(e.unit),
                _cell(e.indicator),
                _cell(e.member),
                e.day.isoformat(),
                str(e.quantity),
                e.source,
                _cell(e.entered_by),
                e.entered_at.astimezone(zone).isoformat(),
                _cell(e.idempotency_key),
                e.verification,
                e.corrects or "",
                " ".join(str(pk) for pk in e.corrections),
                _cell(e.reason),
            )
        )


@router.get(
    "/movements/{slug}/reports.csv",
    response={200: None, **READ_REFUSALS},
    openapi_extra={
        "responses": {
            200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
        }
    },
)
def export_reports(request: HttpRequest, slug: str, filters: Query[ReportFiltersIn]):
    """The same reports as the list, as one streamed CSV file (UTF-8), however many there are."""
    movement = movement_or_404(slug)
    entries = report_selectors.iter_reports(movement=movement, filters=_filters(movement, filters))
    response = StreamingHttpResponse(
        _csv_lines(entries, ZoneInfo(movement.time_zone)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{movement.slug}-reports.csv"'
    return response


# --- plausibility flag rules -----------------------------------------------------------------


def _rules_out(movement: Movement) -> dict:
    return flags.rules_document(movement)


@router.get(
    "/movements/{slug}/flag-rules",
    response={200: FlagRulesOut, **READ_REFUSALS},
    tags=["flags"],
)
def get_flag_rules(request: HttpRequest, slug: str):
    """Every kind's plausibility rule, the defaults filled in where the movement set none."""
    return _rules_out(movement_or_404(slug, Capability.ORGANISE))


@router.put(
    "/movements/{slug}/flag-rules",
    response={200: FlagRulesOut, **WRITE_REFUSALS},
    tags=["flags"],
)
def set_flag_rules(request: HttpRequest, slug: str, payload: FlagRulesIn):
    """Set the rules of the kinds given (a setting left out is the kind's default); kinds
    left out keep theirs. Applies to reports recorded from then on."""
    movement = movement_or_404(slug, Capability.ORGANISE)
    given = payload.model_dump(exclude_unset=True)
    flags.set_flag_rules(
        movement=movement, rules={kind: spec for kind, spec in given.items() if spec is not None}
    )
    return _rules_out(movement)

"""Report pages: entering the day's figures from a phone, and uploading a file of reports with a
preview before anything is recorded. Both record through `ledger.actions` and nothing else.

Entry works as a plain form (POST, redirect, GET) and, with htmx, swaps the panel in place.
Every rendered form carries its own idempotency key, so a double tap or a resubmission after a
dropped connection is replayed by the ingest, never counted twice.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    Capability,
    can,
    can_see_movement,
    current_actor,
    require,
    unit_filter,
)
from pacesetter.core.errors import (
    ActionError,
    Conflict,
    NotAllowed,
    RowError,
    StateError,
    ValidationFailed,
)
from pacesetter.core.pages import add_row_errors
from pacesetter.core.tabular import TabularError, open_table
from pacesetter.core.uploads import Upload, drop_upload, keep_upload, refusal, stored_upload
from pacesetter.movements.models import Indicator, Movement
from pacesetter.movements.selectors import decimal_comma_codes, movement_today
from pacesetter.units.models import Unit, tree_order

from .actions import MAX_BATCH, IngestResult, ReportRow, correct_report, record_reports
from .forms import MAX_UNIT_CHOICES, ReportForm, UndoForm, UploadForm, new_key
from .management.commands.import_reports import (
    ALIASES,
    OPTIONAL,
    REQUIRED,
    _batches,
    _Pending,
)
from .models import Report, SubtreePeriodTotal
from .report_selectors import entries_on
from .verification_selectors import Verification, verifications_of

SESSION_UNITS = "report_units"  # movement id → the unit code last reported for
SESSION_UPLOADS = "report_uploads"  # upload token → {movement, name, suffix}
PREVIEW_ROWS = 200


def _overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _reporting(slug: str) -> tuple[Movement, list[str]]:
    """The movement and its scope paths, if the current actor may report somewhere in it
    (404 if they may not even see it, 403 if they see it but may not report)."""
    actor = current_actor()
    movement = get_object_or_404(Movement.objects.select_related("organiser"), slug=slug)
    scope_paths = list(movement.scope.values_list("path", flat=True)) or [movement.organiser.path]
    report_paths = actor.paths(Capability.REPORT, movement)
    if not any(_overlaps(scope, path) for scope in scope_paths for path in report_paths):
        if can_see_movement(actor, movement, scope_paths):
            raise NotAllowed("You may not enter reports in this movement.")
        raise Http404("No such movement.")
    if movement.status != Movement.Status.LAUNCHED:
        raise StateError(
            f"{movement.title} is {movement.get_status_display().lower()}: reports are "
            "accepted only while it is launched."
        )
    return movement, scope_paths


def _reporting_units(movement: Movement, scope_paths: list[str]) -> list[Unit] | None:
    """The active units of the scope the actor may report for, as menu choices; None when
    there are too many for a menu (the form then asks for a code)."""
    in_scope = Q()
    for path in scope_paths:
        in_scope |= Q(path__startswith=path)
    units = list(
        Unit.objects.filter(in_scope, unit_filter(current_actor(), Capability.REPORT, movement, ""))
        .filter(archived=False)
        .only("id", "code", "name", "path")
        .order_by(tree_order())[: MAX_UNIT_CHOICES + 1]
    )
    return None if len(units) > MAX_UNIT_CHOICES else units


# --- report entry ----------------------------------------------------------------------------


@dataclass
class _Entry:
    report: Report
    corrections: list[Report]
    effective_minor: int
    undo: UndoForm | None
    verification: Verification


def _entries(movement: Movement, unit: Unit | None, day: dt.date) -> list[_Entry]:
    if unit is None:
        return []
    lines = entries_on(movement=movement, unit=unit, day=day)
    verifications = verifications_of([line.report for line in lines])
    return [
        _Entry(
            line.report,
            line.corrections,
            line.effective_minor,
            UndoForm(initial={"idempotency_key": new_key("undo")})
            if line.effective_minor != 0
            else None,
            verifications[line.report.pk],
        )
        for line in lines
    ]


def _listed_unit(movement: Movement, code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not can(current_actor(), Capability.VIEW, unit, movement):
        return None
    return unit


def _entry_url(movement: Movement, *, unit: str, indicator: str, day: dt.date) -> str:
    query = urlencode({"unit": unit, "indicator": indicator, "day": day.isoformat()})
    return f"{reverse('report-entry', args=[movement.slug])}?{query}"


@login_required
def report_entry(request: HttpRequest, slug: str) -> HttpResponse:
    """Enter one figure: unit (remembered), indicator, day (today in the movement's time zone),
    quantity. Lists the unit's entries of that day with an undo for each."""
    movement, scope_paths = _reporting(slug)
    indicators = list(movement.indicators.all())
    units = _reporting_units(movement, scope_paths)
    remembered = request.session.get(SESSION_UNITS, {}).get(str(movement.pk))
    today = movement_today(movement)
    if request.method != "POST":
        code = request.GET.get("unit") or remembered
        day = _day(request.GET.get("day"), today)
        form = _fresh_form(
            units, indicators, unit=code, indicator=request.GET.get("indicator"), day=day
        )
        return _entry_page(request, movement, form, code, day)
    form = ReportForm(request.POST, units=units, indicators=indicators)
    code = request.POST.get("unit") or remembered
    day = _day(request.POST.get("day"), today)
    if not form.is_valid():
        return _entry_page(request, movement, form, code, day, status=422)
    data = form.cleaned_data
    try:
        result = record_reports(
            movement=movement,
            rows=[
                ReportRow(
                    unit=data["unit"],
                    indicator=data["indicator"],
                    day=data["day"],
                    quantity=data["quantity"],
                    idempotency_key=data["idempotency_key"],
                )
            ],
            source=Report.Source.WEB,
        )
    except (ValidationFailed, Conflict) as exc:
        add_row_errors(form, exc.errors, aliases={"unit_code": "unit"})
        if not exc.errors:
            form.add_error(None, exc.detail)
        if isinstance(exc, Conflict):
            # This form was recorded before with other values: sending it again is a new
            # report, so it gets a new key, and the person decides.
            form.data = form.data.copy()
            form.data["idempotency_key"] = new_key("report")
        return _entry_page(request, movement, form, code, day, status=422)
    request.session[SESSION_UNITS] = {
        **request.session.get(SESSION_UNITS, {}),
        str(movement.pk): data["unit"],
    }
    saved = _saved_message(result, data, indicators)
    if not request.htmx:
        messages.success(request, saved)
        return redirect(
            _entry_url(movement, unit=data["unit"], indicator=data["indicator"], day=data["day"])
        )
    form = _fresh_form(
        units, indicators, unit=data["unit"], indicator=data["indicator"], day=data["day"]
    )
    return _entry_page(request, movement, form, data["unit"], data["day"], saved=saved)


def _entry_page(
    request: HttpRequest,
    movement: Movement,
    form: ReportForm,
    code: str | None,
    day: dt.date,
    *,
    saved: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole page, or (for htmx) just its panel: the form and the day's entries."""
    unit = _listed_unit(movement, code)
    context = {
        "movement": movement,
        "form": form,
        "saved": saved,
        "problem": problem,
        "unit": unit,
        "day": day,
        "today": movement_today(movement),
        "entries": _entries(movement, unit, day),
    }
    if request.htmx:
        # htmx swaps only successful responses; errors are shown inside the panel.
        return render(request, "ledger/report_entry.html#entry-panel", context)
    return render(request, "ledger/report_entry.html", context, status=status)


def _day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _fresh_form(units, indicators, *, unit, indicator, day) -> ReportForm:
    return ReportForm(
        units=units,
        indicators=indicators,
        initial={
            "unit": unit,
            "indicator": indicator,
            "day": day,
            "idempotency_key": new_key("report"),
        },
    )


def _saved_message(result: IngestResult, data: dict, indicators: list[Indicator]) -> str:
    indicator = next(i for i in indicators if i.code == data["indicator"])
    what = (
        f"{data['quantity']} {indicator.measure} of {indicator.name} for {data['unit']} "
        f"on {data['day']:%-d %b %Y}"
    )
    if result.replayed:
        return f"Already saved: {what}. This form was sent twice; it counts once."
    return f"Saved: {what}."


@login_required
@require_POST
def undo_report(request: HttpRequest, slug: str, report_id: int) -> HttpResponse:
    """Undo an entry: file a correction to 0 with the reason given. The entry stays in the
    ledger with the correction beside it; resending the same undo form changes nothing."""
    movement, scope_paths = _reporting(slug)
    report = get_object_or_404(
        Report.objects.select_related("unit", "indicator"),
        pk=report_id,
        movement=movement,
        corrects__isnull=True,
    )
    require(current_actor(), Capability.REPORT, report.unit, movement)
    form = UndoForm(request.POST)
    saved = problem = None
    if form.is_valid():
        try:
            correct_report(
                report=report,
                quantity=0,
                reason=form.cleaned_data["reason"],
                source=Report.Source.WEB,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
            indicator = report.indicator
            saved = (
                f"Undone: {indicator.from_minor(report.quantity_minor)} {indicator.measure} of "
                f"{indicator.name}. The entry stays in the ledger, the correction beside it."
            )
        except ActionError as exc:
            problem = "; ".join(e.message for e in exc.errors) or exc.detail
    else:
        problem = " ".join(form.errors.get("reason", ["The undo was not sent."]))
    if request.htmx:
        units = _reporting_units(movement, scope_paths)
        fresh = _fresh_form(
            units,
            list(movement.indicators.all()),
            unit=report.unit.code,
            indicator=report.indicator.code,
            day=report.day,
        )
        return _entry_page(
            request, movement, fresh, report.unit.code, report.day, saved=saved, problem=problem
        )
    if saved:
        messages.success(request, saved)
    else:
        messages.error(request, problem)
    return redirect(
        _entry_url(movement, unit=report.unit.code, indicator=report.indicator.code, day=report.day)
    )


# --- bulk upload -----------------------------------------------------------------------------


def _parse(movement: Movement, upload: Upload) -> tuple[list[_Pending], str | None]:
    """The file's rows as the import command reads them (same columns, same idempotency keys:
    a file uploaded here and imported with `pacesetter import-reports` counts once), or the
    reason the file cannot be read."""
    try:
        with open_table(upload.path) as table:
            columns = table.columns(required=REQUIRED, optional=OPTIONAL, aliases=ALIASES)
            key_prefix = f"file:{table.fingerprint()[:16]}"
            pending: list[_Pending] = []
            commas = decimal_comma_codes(movement, table)
            for batch in _batches(table, columns, key_prefix, MAX_BATCH, decimal_comma=commas):
                pending.extend(batch)
                if len(pending) > settings.UPLOAD_MAX_ROWS:
                    return [], (
                        f"{upload.name}: more than {settings.UPLOAD_MAX_ROWS:,} rows. Split it, "
                        "or use `pacesetter import-reports` for large files."
                    )
    except TabularError as exc:
        return [], str(exc).replace(upload.path.name, upload.name)
    if not pending:
        return [], f"{upload.name}: the file has a header but no rows."
    return pending, None


@dataclass
class IndicatorChange:
    indicator: Indicator
    rows: int
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass
class Preview:
    rows: int = 0
    created: int = 0
    replayed: int = 0
    problem: str | None = None
    errors: dict[int, list[RowError]] = field(default_factory=dict)  # file row → errors
    changes: list[IndicatorChange] = field(default_factory=list)
    # With bad rows: what the good rows alone would add (for orientation; nothing is applied
    # until every row is good).
    good_rows_only: bool = False
    lines: list[tuple[_Pending, list[RowError]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.errors


class _Rollback(Exception):
    pass


def _totals(movement: Movement) -> dict[int, int]:
    """The movement's figures over the organiser's subtree for the whole period."""
    return dict(
        SubtreePeriodTotal.objects.filter(
            unit_id=movement.organiser_id, period__movement=movement, period__is_whole=True
        ).values_list("indicator_id", "quantity_minor")
    )


def _dry_run(movement: Movement, pending: list[_Pending]) -> tuple[IngestResult, dict[int, int]]:
    """Record the rows in a transaction that is rolled back: exactly what confirming would do
    (every check of the ingest), and the totals it would leave, with nothing kept."""
    try:
        with transaction.atomic():
            result = record_reports(
                movement=movement,
                rows=[p.row for p in pending],
                source=Report.Source.IMPORT,
                row_numbers=[p.number for p in pending],
            )
            raise _Rollback(result, _totals(movement))
    except _Rollback as done:
        return done.args[0], done.args[1]


def _preview(movement: Movement, pending: list[_Pending]) -> Preview:
    preview = Preview(rows=len(pending))
    indicators = {i.code: i for i in movement.indicators.all()}
    before = _totals(movement)
    applied = pending
    try:
        result, after = _dry_run(movement, pending)
    except (ValidationFailed, Conflict) as exc:
        if not exc.errors:
            preview.problem = exc.detail
            return preview
        for error in exc.errors:
            number = pending[error.row - 1].number
            preview.errors.setdefault(number, []).append(error)
        applied = [p for p in pending if p.number not in preview.errors]
        preview.good_rows_only = True
        try:
            result, after = _dry_run(movement, applied) if applied else (IngestResult(), before)
        except ActionError:
            result, after = IngestResult(), before
    except ActionError as exc:
        preview.problem = exc.detail
        return preview
    preview.created, preview.replayed = result.created, result.replayed
    per_indicator: dict[str, int] = {}
    for item in applied:
        per_indicator[item.row.indicator] = per_indicator.get(item.row.indicator, 0) + 1
    preview.changes = [
        IndicatorChange(
            indicator,
            per_indicator.get(code, 0),
            before.get(indicator.pk, 0),
            after.get(indicator.pk, 0),
        )
        for code, indicator in indicators.items()
        if per_indicator.get(code)
    ]
    bad_first = sorted(pending, key=lambda p: (p.number not in preview.errors, p.number))
    preview.lines = [(p, preview.errors.get(p.number, [])) for p in bad_first[:PREVIEW_ROWS]]
    return preview


@login_required
def report_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a CSV or XLSX file of reports; it is kept under var/uploads/ until confirmed."""
    movement, _ = _reporting(slug)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        refused = refusal(uploaded)
        if refused:
            form.add_error("file", refused)
        else:
            token = keep_upload(
                request, kind=SESSION_UPLOADS, movement_id=movement.pk, uploaded=uploaded
            )
            return redirect("report-upload-preview", slug=movement.slug, token=token)
    return render(
        request,
        "ledger/upload.html",
        {
            "movement": movement,
            "form": form,
            "max_rows": settings.UPLOAD_MAX_ROWS,
            "indicators": list(movement.indicators.all()),
        },
        status=422 if form.errors else 200,
    )


@login_required
def report_upload_preview(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET: the parsed rows, every bad row marked, and what confirming would change.
    POST: confirm — record every row or none."""
    movement, _ = _reporting(slug)
    upload = stored_upload(request, kind=SESSION_UPLOADS, movement_id=movement.pk, token=token)
    pending, problem = _parse(movement, upload)
    if problem is not None:
        drop_upload(request, kind=SESSION_UPLOADS, upload=upload)
        messages.error(request, problem)
        return redirect("report-upload", slug=movement.slug)
    if request.method == "POST":
        try:
            result = record_reports(
                movement=movement, rows=[p.row for p in pending], source=Report.Source.IMPORT
            )
        except ActionError:
            # Something changed since the preview (another upload, a closed movement): show
            # the preview again, as it is now. Nothing was recorded.
            status = 422
        else:
            drop_upload(request, kind=SESSION_UPLOADS, upload=upload)
            messages.success(
                request,
                f"{upload.name}: {result.created:,} reports recorded"
                + (
                    f", {result.replayed:,} were recorded before and count once"
                    if result.replayed
                    else ""
                )
                + ".",
            )
            return redirect("movement-detail", slug=movement.slug)
    else:
        status = 200
    preview = _preview(movement, pending)
    return render(
        request,
        "ledger/upload_preview.html",
        {"movement": movement, "upload": upload, "preview": preview},
        status=status,
    )


@login_required
def report_template(request: HttpRequest, slug: str) -> HttpResponse:
    """An empty CSV with the columns an upload takes (the upload page shows an example)."""
    movement, _ = _reporting(slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{movement.slug}-reports.csv"'
    writer = csv.writer(response)
    writer.writerow([*REQUIRED, *OPTIONAL])
    return response

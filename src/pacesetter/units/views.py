"""The units pages: the tree as the viewer may see it, and for those who manage units, adding,
editing, moving and archiving a unit and uploading a units file. Every change goes through
`units.actions`, as the API and `pacesetter import-units` do.

Each form works as a plain POST (redirect, or the page again with its errors) and, with htmx,
swaps the unit's panel in place: htmx swaps only successful responses, so the errors are shown
inside the panel."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    EVERYWHERE,
    Capability,
    can,
    current_actor,
    may_manage_people,
    require,
    unit_filter,
)
from pacesetter.accounts.selectors import grants_visible_to
from pacesetter.core.errors import ActionError, RowError
from pacesetter.core.pages import add_row_errors
from pacesetter.core.tabular import TabularError
from pacesetter.core.uploads import refusal

from . import actions, selectors
from .forms import UnitAddForm, UnitEditForm, UnitMoveForm, UnitUploadForm
from .models import Unit, tree_order
from .unit_files import read_unit_rows

UNITS_PER_PAGE = 50
# The add form shares its field names with the edit form on the unit's page: a prefix keeps
# their ids (and so their labels) apart.
ADD = "add"
# The action names the parent `parent_code` (the file's column); the forms call it `parent`.
FORM_FIELDS = {"parent_code": "parent"}


def _visible() -> object:
    return Unit.objects.filter(unit_filter(current_actor(), Capability.VIEW, field=""))


def _page(request: HttpRequest, units) -> object:
    return Paginator(units, UNITS_PER_PAGE).get_page(request.GET.get("page"))


@login_required
def units_index(request: HttpRequest) -> HttpResponse:
    """The top of each subtree the viewer may see."""
    return _index_page(request)


def _index_page(
    request: HttpRequest,
    *,
    add_form: UnitAddForm | None = None,
    upload_form: UnitUploadForm | None = None,
    file_errors: list[RowError] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = current_actor()
    paths = actor.paths(Capability.VIEW)
    tops = Unit.objects.select_related("kind")
    tops = tops.filter(parent__isnull=True) if EVERYWHERE in paths else tops.filter(path__in=paths)
    managed = actor.paths(Capability.MANAGE_UNITS)
    return render(
        request,
        "units/index.html",
        {
            "page": _page(request, tops.order_by(tree_order())),
            "may_manage": bool(managed),
            "may_add_root": EVERYWHERE in managed,
            "may_manage_people": may_manage_people(actor),
            "add_form": add_form or UnitAddForm(prefix=ADD),
            "upload_form": upload_form or UnitUploadForm(),
            "file_errors": file_errors or [],
        },
        status=status,
    )


@login_required
@require_POST
def units_add_root(request: HttpRequest) -> HttpResponse:
    """A new root: only an operator (who manages units everywhere) adds one."""
    if EVERYWHERE not in current_actor().paths(Capability.MANAGE_UNITS):
        return _index_page(request, status=403)
    form = UnitAddForm(request.POST, prefix=ADD)
    if form.is_valid():
        try:
            unit = actions.create_unit(parent=None, **form.cleaned_data)
        except ActionError as exc:
            _action_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": unit.name})
            return redirect("unit-page", code=unit.code)
    return _index_page(request, add_form=form, status=422)


@login_required
@require_POST
def units_upload(request: HttpRequest) -> HttpResponse:
    """Create or update units from a file, all rows or none; every bad row is listed by its
    row in the file."""
    if not current_actor().paths(Capability.MANAGE_UNITS):
        return _index_page(request, status=403)
    form = UnitUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _index_page(request, upload_form=form, status=422)
    uploaded = form.cleaned_data["file"]
    refused = refusal(uploaded)
    if refused:
        form.add_error("file", refused)
        return _index_page(request, upload_form=form, status=422)
    suffix = Path(uploaded.name).suffix.lower()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"units{suffix}"
        with path.open("wb") as target:
            for chunk in uploaded.chunks():
                target.write(chunk)
        try:
            numbered = read_unit_rows(path, max_rows=settings.UPLOAD_MAX_ROWS)
        except TabularError as exc:
            form.add_error("file", str(exc).replace(path.name, uploaded.name))
            return _index_page(request, upload_form=form, status=422)
    if not numbered:
        form.add_error("file", _("The file has no rows below its header."))
        return _index_page(request, upload_form=form, status=422)
    try:
        result = actions.import_units(
            rows=[row for _, row in numbered], row_numbers=[number for number, _ in numbered]
        )
    except ActionError as exc:
        if not exc.errors:
            form.add_error("file", exc.detail)
        else:
            form.add_error("file", _("Nothing was saved: correct the rows listed below."))
        file_errors = [
            RowError(numbered[e.row - 1][0], e.field, e.message, e.code)
            if 1 <= e.row <= len(numbered)
            else e
            for e in exc.errors
        ]
        return _index_page(request, upload_form=form, file_errors=file_errors, status=422)
    messages.success(
        request,
        _("%(created)d units created, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect("units-index")


def _unit(code: str) -> Unit:
    return get_object_or_404(_visible().select_related("kind", "parent"), code=code)


@login_required
def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    """A unit: where it sits, its units below (a page at a time), who holds a role on it,
    and for those who manage units here, the forms to change it."""
    return _unit_page(request, _unit(code))


def _unit_page(
    request: HttpRequest, unit: Unit, *, saved: str = "", status: int = 200, **forms
) -> HttpResponse:
    actor = current_actor()
    context = {
        "unit": unit,
        "ancestors": list(
            selectors.ancestors(unit).filter(unit_filter(actor, Capability.VIEW, field=""))
        ),
        "children": _page(request, selectors.children(unit).select_related("kind")),
        "holders": list(grants_visible_to(actor, unit=unit).filter(unit=unit)),
        "may_manage": can(actor, Capability.MANAGE_UNITS, unit),
        "may_grant": can(actor, Capability.GRANT, unit),
        "saved": saved,
        "edit_form": forms.get("edit_form")
        or UnitEditForm(
            initial={"name": unit.name, "kind": unit.kind.code, "headcount": unit.headcount}
        ),
        "add_form": forms.get("add_form") or UnitAddForm(prefix=ADD),
        "move_form": forms.get("move_form") or UnitMoveForm(),
    }
    if request.htmx:
        return render(request, "units/unit.html#unit-panel", context)
    return render(request, "units/unit.html", context, status=status)


def _action_errors(form, exc: ActionError) -> None:
    add_row_errors(form, exc.errors, aliases=FORM_FIELDS)
    if not exc.errors:
        form.add_error(None, exc.detail)


def _done(request: HttpRequest, unit: Unit, message: str) -> HttpResponse:
    if request.htmx:
        return _unit_page(request, unit, saved=message)
    messages.success(request, message)
    return redirect("unit-page", code=unit.code)


def _managed(code: str) -> Unit:
    unit = _unit(code)
    require(current_actor(), Capability.MANAGE_UNITS, unit)
    return unit


@login_required
@require_POST
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    unit = _managed(code)
    form = UnitEditForm(request.POST)
    if form.is_valid():
        try:
            unit = actions.update_unit(unit=unit, **form.cleaned_data)
        except ActionError as exc:
            _action_errors(form, exc)
        else:
            return _done(request, unit, _("Saved: %(name)s.") % {"name": unit.name})
    return _unit_page(request, unit, edit_form=form, status=422)


@login_required
@require_POST
def unit_add(request: HttpRequest, code: str) -> HttpResponse:
    unit = _managed(code)
    form = UnitAddForm(request.POST, prefix=ADD)
    if form.is_valid():
        try:
            child = actions.create_unit(parent=unit, **form.cleaned_data)
        except ActionError as exc:
            _action_errors(form, exc)
        else:
            return _done(
                request,
                unit,
                _("%(name)s was added under %(parent)s.")
                % {"name": child.name, "parent": unit.name},
            )
    return _unit_page(request, unit, add_form=form, status=422)


@login_required
@require_POST
def unit_move(request: HttpRequest, code: str) -> HttpResponse:
    unit = _managed(code)
    actor = current_actor()
    form = UnitMoveForm(request.POST)
    if form.is_valid():
        new_parent = _visible().filter(code=form.cleaned_data["parent"].strip()).first()
        if new_parent is None:
            form.add_error("parent", _("No unit with this code."))
        elif not can(actor, Capability.MANAGE_UNITS, new_parent):
            form.add_error(
                "parent", _("You may not manage units under %(code)s.") % {"code": new_parent.code}
            )
        else:
            try:
                unit = actions.move_unit(unit=unit, new_parent=new_parent)
            except ActionError as exc:
                form.add_error("parent", exc.detail)
            else:
                unit = _unit(unit.code)
                return _done(
                    request,
                    unit,
                    _("%(name)s is now under %(parent)s.")
                    % {"name": unit.name, "parent": new_parent.name},
                )
    return _unit_page(request, unit, move_form=form, status=422)


@login_required
@require_POST
def unit_archive(request: HttpRequest, code: str) -> HttpResponse:
    unit = actions.archive_unit(unit=_managed(code))
    return _done(
        request,
        unit,
        _(
            "%(name)s and the units under it are archived: their history stays, they take no "
            "new reports."
        )
        % {"name": unit.name},
    )

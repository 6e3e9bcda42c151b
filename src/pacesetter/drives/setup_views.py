"""The organiser's drive set-up page: make a draft movement a donation drive (items), a
volunteer call (quota, window, roles, places; its sign-up page is public when the movement
is) or a daily enlistment (roles). Reached from the movement's organise page; every write
goes through `drives.actions`, as the API does."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import Capability
from pacesetter.core.errors import ActionError, RowError
from pacesetter.core.pages import add_row_errors
from pacesetter.movements.api import movement_or_404
from pacesetter.movements.models import Movement
from pacesetter.units.models import UnitKind

from . import actions
from .setup_forms import (
    DonationDriveForm,
    EnlistmentDriveForm,
    LinesError,
    VolunteerCallForm,
    code_name_lines,
)

# Where the actions' row errors about typed lines go: the field of the form holding the lines.
ITEM_FIELDS = {"code", "name", "kind", "currency", "unit_of_measure", "decimal_places"}
ROLE_FIELDS = {"code", "name"}
PLACE_FIELDS = {"unit", "capacity", "role"}


def _kinds() -> list[UnitKind]:
    return list(UnitKind.objects.all())


def _page(request: HttpRequest, movement: Movement, status: int = 200, **forms) -> HttpResponse:
    kinds = [
        kind
        for kind, related in (
            ("donations", "donation_drive"),
            ("volunteers", "volunteer_call"),
            ("enlistment", "enlistment_drive"),
        )
        if hasattr(movement, related)
    ]
    with timezone.override(movement.time_zone):
        return render(
            request,
            "drives/set_up.html",
            {
                "movement": movement,
                "kinds": kinds,
                "is_draft": movement.status == Movement.Status.DRAFT,
                "donation_form": forms.get("donation_form") or DonationDriveForm(),
                "call_form": forms.get("call_form") or VolunteerCallForm(initial={"quota": 100}),
                "enlistment_form": forms.get("enlistment_form")
                or EnlistmentDriveForm(kinds=_kinds()),
            },
            status=status,
        )


@login_required
def set_up(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, movement_or_404(slug, Capability.ORGANISE))


def _put_errors(form, errors: list[RowError], lines: dict[str, str]) -> None:
    """An error about a typed line goes beside the lines' field, naming the line; the
    others beside their own field (or on the form)."""
    for error in errors:
        target = lines.get(error.field)
        if target:
            form.add_error(
                target,
                _("Line %(row)s, %(field)s: %(message)s")
                % {"row": error.row, "field": error.field, "message": error.message},
            )
        else:
            add_row_errors(form, [error])


def _run(request, movement, form, form_name: str, lines: dict[str, str], act) -> HttpResponse:
    """Run `act()` for a valid form and go to the drive's page; otherwise show the set-up
    page again with the errors beside their fields (422)."""
    if form.is_valid():
        try:
            done, page = act()
        except LinesError as exc:
            form.add_error(
                exc.field, _("Line %(row)s: %(message)s") % {"row": exc.number, "message": exc}
            )
        except ActionError as exc:
            # The refused drive was rolled back, but the movement object still holds it.
            movement.refresh_from_db()
            _put_errors(form, exc.errors, lines)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            messages.success(request, done)
            return redirect(page, slug=movement.slug)
    return _page(request, movement, 422, **{form_name: form})


@login_required
@require_POST
def donation_drive_create(request: HttpRequest, slug: str) -> HttpResponse:
    movement = movement_or_404(slug, Capability.ORGANISE)
    form = DonationDriveForm(request.POST)

    def act():
        actions.create_donation_drive(
            movement=movement,
            items=[actions.ItemSpec(**row) for row in form.item_rows()],
            estimate_currency=form.cleaned_data["estimate_currency"],
        )
        return _("The donation drive is set up."), "drives-donations"

    return _run(request, movement, form, "donation_form", dict.fromkeys(ITEM_FIELDS, "items"), act)


@login_required
@require_POST
def volunteer_call_create(request: HttpRequest, slug: str) -> HttpResponse:
    movement = movement_or_404(slug, Capability.ORGANISE)
    form = VolunteerCallForm(request.POST)

    def act():
        data = form.cleaned_data
        roles = code_name_lines(data["roles"])
        places = [actions.PlaceSpec(*row) for row in form.place_rows()]
        actions.create_volunteer_call(
            movement=movement,
            quota=data["quota"],
            at_quota=data["at_quota"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            min_age=data["min_age"],
            max_age=data["max_age"],
            asks_gender=data["asks_gender"],
            asks_age_band=data["asks_age_band"],
            roles=roles,
            places=places,
        )
        return _("The volunteer call is set up."), "drives-volunteers"

    lines = dict.fromkeys(ROLE_FIELDS, "roles") | dict.fromkeys(PLACE_FIELDS, "places")
    # The form's date-times are read in the movement's time zone.
    with timezone.override(movement.time_zone):
        return _run(request, movement, form, "call_form", lines, act)


@login_required
@require_POST
def enlistment_drive_create(request: HttpRequest, slug: str) -> HttpResponse:
    movement = movement_or_404(slug, Capability.ORGANISE)
    form = EnlistmentDriveForm(request.POST, kinds=_kinds())

    def act():
        actions.create_enlistment_drive(
            movement=movement,
            reporting_kind=form.cleaned_data["reporting_kind"],
            roles=code_name_lines(form.cleaned_data["roles"]),
        )
        return _("The daily enlistment is set up."), "drives-enlistment"

    return _run(
        request, movement, form, "enlistment_form", dict.fromkeys(ROLE_FIELDS, "roles"), act
    )

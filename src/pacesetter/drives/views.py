"""Drive pages: donations (overview, gifts, distributions, PDF receipts), volunteer calls
(live counts, the public sign-up page and its confirmation, managing sign-ups) and daily
enlistment (days with missing vs zero, coverage, the day's return). Every write goes
through `drives.actions`."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pacesetter.accounts.permissions import (
    Capability,
    can,
    can_see_movement,
    current_actor,
    movement_filter,
    require,
)
from pacesetter.core.errors import ActionError, NotAllowed
from pacesetter.core.pages import add_row_errors
from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.figures import charts
from pacesetter.movements.api import movement_or_404
from pacesetter.movements.models import Movement
from pacesetter.movements.selectors import movement_today
from pacesetter.units import selectors as unit_selectors
from pacesetter.units.models import Unit, tree_order

from . import actions, selectors
from .forms import CodeForm, DistributionForm, EnlistmentForm, GiftForm, SignUpForm, TargetForm
from .models import DonationEntry, SignUp
from .receipts import receipt_pdf

# Long lists a slice at a time with "Show more": the latest donation entries first, the
# largest holdings first; the sign-ups in the order they came, the queue a manager works
# through.
ENTRIES_SHOWN = 10
SIGNUPS_SHOWN = 10


def sign_in_unless_public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A drive's pages are open to all when its movement is public; for any other a visitor
    who is not signed in is sent to sign in (as every private page does), before anything
    about the movement is looked at."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and not (
            Movement.objects.filter(slug=slug, is_public=True).exists()
        ):
            return redirect_to_login(request.get_full_path())
        return view(request, slug, *args, **kwargs)

    return wrapped


def _movement(slug: str, related: str) -> tuple[Movement, list[str]]:
    """The movement and its scope paths, after checking the actor may see it (404 if not,
    so a private movement's existence does not leak)."""
    movement = get_object_or_404(Movement.objects.select_related("organiser", related), slug=slug)
    actor = current_actor()
    scope = list(movement.scope.values_list("path", flat=True))
    if not can_see_movement(actor, movement, scope):
        raise Http404("No such drive.")
    if not hasattr(movement, related):
        raise Http404("This movement has no such drive.")
    return movement, scope


def _unit(request: HttpRequest, movement: Movement, scope: list[str]) -> Unit:
    """The unit the page is about (?unit=CODE, the organiser by default): in the scope, and
    visible to the actor unless the movement is public."""
    code = request.GET.get("unit", "").strip()
    if not code:
        unit = movement.organiser
    else:
        unit = get_object_or_404(Unit, code=code)
        if not any(unit.path.startswith(p) or p.startswith(unit.path) for p in scope):
            raise Http404("That unit is not in this drive's scope.")
    if not movement.is_public:
        require(current_actor(), Capability.VIEW, unit, movement)
    return unit


def _breadcrumbs(movement: Movement, unit: Unit) -> list[tuple[Unit, bool]]:
    """The unit's ancestors, each with whether `_unit` would let the reader open it: an
    ancestor the reader may not see (of a movement that is not public) is named, not linked."""
    actor = current_actor()
    return [
        (ancestor, movement.is_public or can(actor, Capability.VIEW, ancestor, movement))
        for ancestor in unit_selectors.ancestors(unit)
    ]


def drives_home(request: HttpRequest) -> HttpResponse:
    actor = current_actor()
    drives = selectors.drives_list(movement_filter(actor))
    return render(request, "drives/home.html", {"drives": drives})


# --- donations --------------------------------------------------------------------------------


@sign_in_unless_public
def donations(request: HttpRequest, slug: str) -> HttpResponse:
    movement, scope = _movement(slug, "donation_drive")
    unit = _unit(request, movement, scope)
    actor = current_actor()
    drive = movement.donation_drive
    items = list(drive.items.all())
    may_record = movement.status == Movement.Status.LAUNCHED and can(
        actor, Capability.REPORT, unit, movement
    )
    if wants_more(request, "entries"):
        return render(
            request,
            "drives/donations.html#entry-rows",
            {"movement": movement, "entries": _entries(request, drive, unit)},
        )
    if wants_more(request, "balances"):
        return render(
            request,
            "drives/donations.html#balance-rows",
            {"balances": _balances(request, drive, unit)},
        )
    # Prefixed: the two forms share field names, and ids must be unique on the page.
    today = movement_today(movement)
    gift_form = GiftForm(items=items, initial={"unit": unit.code, "day": today}, prefix="gift")
    distribution_form = DistributionForm(
        items=items, initial={"unit": unit.code, "day": today}, prefix="distribution"
    )
    if request.method == "POST":
        if not may_record:
            require(actor, Capability.REPORT, unit, movement)
        kind = request.POST.get("form")
        if kind == "distribution":
            distribution_form = DistributionForm(request.POST, items=items, prefix="distribution")
            form, row = distribution_form, _distribution_row(distribution_form)
        else:
            gift_form = GiftForm(request.POST, items=items, prefix="gift")
            form, row = gift_form, _gift_row(gift_form)
        if row is not None:
            try:
                result = actions.record_donations(drive=drive, rows=[row], source="web")
            except ActionError as exc:
                add_row_errors(
                    form,
                    exc.errors or [],
                    aliases={
                        "donor_member": "donor",
                        "donor_unit": "donor",
                        "recipient": "recipient_name",
                    },
                )
                if not exc.errors:
                    form.add_error(None, exc.detail)
            else:
                entry_id = result.entry_ids[0]
                url = reverse("drives-donations", args=[slug]) + f"?unit={unit.code}"
                if kind == "distribution":
                    messages.success(request, _("Recorded."))
                else:  # the page says "Recorded." itself, beside the donor's receipt
                    url += f"&entry={entry_id}"
                return redirect(url)
    entry_id = request.GET.get("entry", "")
    return render(
        request,
        "drives/donations.html",
        {
            "movement": movement,
            "drive": drive,
            "unit": unit,
            "overview": selectors.donation_overview(drive=drive, unit=unit),
            "balances": _balances(request, drive, unit),
            "entries": _entries(request, drive, unit),
            "breadcrumbs": _breadcrumbs(movement, unit),
            "may_record": may_record,
            "gift_form": gift_form,
            "distribution_form": distribution_form,
            "new_entry": int(entry_id) if entry_id.isdigit() and request.method == "GET" else None,
            "targets": selectors.donation_targets(drive=drive),
            "may_name_targets": _may_name_targets(movement),
        },
    )


def _may_name_targets(movement: Movement) -> bool:
    return movement.status != Movement.Status.CLOSED and can(
        current_actor(), Capability.ORGANISE, movement.organiser, movement
    )


@sign_in_unless_public
def donation_targets(request: HttpRequest, slug: str) -> HttpResponse:
    """A donation drive's named targets: each reached, the day it was, and the progress
    toward the next; its organisers name the next one here."""
    movement, _scope = _movement(slug, "donation_drive")
    drive = movement.donation_drive
    items = list(drive.items.all())
    may_name = _may_name_targets(movement)
    form = TargetForm(items=items)
    if request.method == "POST":
        if not may_name:
            # 403 (or 404 to one who cannot see it); an organiser of a closed movement is
            # answered by the action, on the form.
            movement_or_404(slug, Capability.ORGANISE)
        form = TargetForm(request.POST, items=items)
        if form.is_valid():
            try:
                actions.add_donation_targets(
                    drive=drive,
                    targets=[actions.TargetSpec(**form.cleaned_data)],
                )
            except ActionError as exc:
                add_row_errors(form, exc.errors or [])
                if not exc.errors:
                    form.add_error(None, exc.detail)
            else:
                messages.success(request, _("Target added."))
                return redirect("drives-donation-targets", slug)
    return render(
        request,
        "drives/targets.html",
        {
            "movement": movement,
            "drive": drive,
            "unit": None,
            "breadcrumbs": [],
            "targets": selectors.donation_targets(drive=drive),
            "may_name": may_name,
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )


def _entries(request: HttpRequest, drive, unit: Unit):
    return slice_of(
        request,
        lambda offset, limit: selectors.recent_entries(
            drive=drive, unit=unit, offset=offset, limit=limit
        ),
        param="entries",
        size=ENTRIES_SHOWN,
    )


def _balances(request: HttpRequest, drive, unit: Unit):
    return slice_of(
        request,
        lambda offset, limit: selectors.balances(
            drive=drive, unit=unit, offset=offset, limit=limit
        ),
        param="balances",
        size=ENTRIES_SHOWN,
    )


def _gift_row(form: GiftForm) -> actions.DonationRow | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    donor = data["donor"].strip()
    return actions.DonationRow(
        item=data["item"],
        stage=data["stage"],
        unit=data["unit"],
        quantity=data["quantity"],
        day=data["day"],
        donor_member=donor if data["donor_kind"] == "member" else "",
        donor_unit=donor if data["donor_kind"] == "unit" else "",
        donor_name=donor if data["donor_kind"] == "anonymous" else "",
        estimate=data["estimate"] or None,
        idempotency_key=data["idempotency_key"],
    )


def _distribution_row(form: DistributionForm) -> actions.DonationRow | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return actions.DonationRow(
        item=data["item"],
        stage=DonationEntry.Stage.DISTRIBUTED,
        unit=data["unit"],
        quantity=data["quantity"],
        day=data["day"],
        recipient_unit=data["recipient_unit"],
        recipient_name=data["recipient_name"],
        idempotency_key=data["idempotency_key"],
    )


@sign_in_unless_public
def receipt(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    """A donor's receipt as PDF: for whoever may see the receiving unit, or anyone for a
    public drive (it names only what the donor gave and the receiving unit)."""
    movement, _scope = _movement(slug, "donation_drive")
    entry = selectors.receipt_entry(drive=movement.donation_drive, entry_id=entry_id)
    if entry is None:
        raise Http404("No such receipt.")
    if not movement.is_public:
        require(current_actor(), Capability.VIEW, entry.unit, movement)
    response = HttpResponse(receipt_pdf(entry), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{entry.receipt_number}.pdf"'
    return response


# --- volunteer calls --------------------------------------------------------------------------


@sign_in_unless_public
def volunteers(request: HttpRequest, slug: str) -> HttpResponse:
    movement, scope = _movement(slug, "volunteer_call")
    unit = _unit(request, movement, scope)
    call = movement.volunteer_call
    overview = selectors.call_overview(call=call, unit=unit)
    actor = current_actor()
    may_manage = can(actor, Capability.PLAN, unit, movement)
    status = request.GET.get("status", "")
    status = status if status in SignUp.Status.values else ""
    signups = (
        slice_of(
            request,
            lambda offset, limit: selectors.signups_for_unit(
                call=call, unit=unit, status=status, offset=offset, limit=limit
            ),
            param="signups",
            size=SIGNUPS_SHOWN,
        )
        if may_manage
        else None
    )
    if signups is not None and wants_more(request, "signups"):
        return render(
            request,
            "drives/volunteers.html#signup-rows",
            {"movement": movement, "signups": signups, "places": overview.places},
        )
    days = [(day, count) for day, count in overview.by_day]
    chart = (
        charts.daily_chart(
            daily=[(d, count) for d, count in days],
            start=days[0][0],
            # One day past the last, so the last day's bar is drawn inside the frame.
            end=days[-1][0] + dt.timedelta(days=1),
            label="Sign-ups per day",
        )
        if days
        else None
    )
    return render(
        request,
        "drives/volunteers.html",
        {
            "movement": movement,
            "call": call,
            "unit": unit,
            "overview": overview,
            "chart": chart,
            "breadcrumbs": _breadcrumbs(movement, unit),
            "may_manage": may_manage,
            "status": status,
            "statuses": SignUp.Status.choices,
            "signups": signups,
            "places": overview.places,
        },
    )


def sign_up(request: HttpRequest, slug: str) -> HttpResponse:
    """The public sign-up page of an open call: no account needed, CSRF-protected, one
    sign-up per person; a retried submission lands on the same confirmation."""
    movement = get_object_or_404(
        Movement.objects.select_related("volunteer_call", "organiser"), slug=slug
    )
    actor = current_actor()
    scope = list(movement.scope.values_list("path", flat=True))
    if not hasattr(movement, "volunteer_call") or not can_see_movement(actor, movement, scope):
        raise Http404("No such call.")
    call = movement.volunteer_call
    now = timezone.now()
    is_open = movement.status == Movement.Status.LAUNCHED and call.opens_at <= now < call.closes_at
    units = list(
        Unit.objects.filter(archived=False, path__startswith=movement.organiser.path)
        .order_by(tree_order())
        .only("code", "name")[:500]
    )
    roles = list(call.roles.all())
    form = SignUpForm(request.POST or None, call=call, units=units, roles=roles)
    if request.method == "POST" and is_open and form.is_valid():
        data = form.cleaned_data
        row = actions.SignUpRow(
            unit=data["unit"],
            full_name=data["full_name"],
            contact=data["contact"],
            role=data.get("role", ""),
            gender=data.get("gender", ""),
            age=data.get("age"),
            skill=data.get("skill", ""),
            idempotency_key=data["idempotency_key"],
        )
        try:
            result = actions.sign_up(call=call, rows=[row], source="web")
        except ActionError as exc:
            add_row_errors(form, exc.errors or [], aliases={"call": "__all__"})
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            return redirect("drives-signed-up", code=result.codes[0])
    return render(
        request,
        "drives/sign_up.html",
        {"movement": movement, "call": call, "form": form, "is_open": is_open},
        status=422 if request.method == "POST" and form.errors else 200,
    )


def signed_up(request: HttpRequest, code: str) -> HttpResponse:
    """The confirmation a person keeps: the code, the call, the status. Only the code
    unlocks it; it shows nothing beyond what the person gave."""
    signup = selectors.signup_by_code(code)
    if signup is None:
        raise Http404("No sign-up with this code.")
    return render(request, "drives/signed_up.html", {"signup": signup})


def find_sign_up(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.GET or None)
    if form.is_valid():
        signup = selectors.signup_by_code(form.cleaned_data["code"])
        if signup is not None:
            return redirect("drives-signed-up", code=signup.code)
        form.add_error("code", "No sign-up with this code.")
    return render(request, "drives/find_sign_up.html", {"form": form})


@require_POST
@sign_in_unless_public
def manage_signup(request: HttpRequest, slug: str) -> HttpResponse:
    """Accept, place, mark serving or completed, or withdraw one sign-up (unit heads and
    organisers of the volunteer's unit, or of the place's)."""
    movement, _scope = _movement(slug, "volunteer_call")
    call = movement.volunteer_call
    code = request.POST.get("code", "")
    target = request.POST.get("status", "")
    back = request.POST.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):  # "//host" is off-site
        back = reverse("drives-volunteers", args=[slug])
    try:
        if target == "placed":
            place = request.POST.get("place", "")
            actions.place_volunteers(
                call=call,
                rows=[actions.PlacementRow(code, int(place) if place.isdigit() else 0)],
            )
        elif target == "accepted":
            actions.accept_signups(call=call, codes=[code])
        else:
            actions.change_signup_status(call=call, codes=[code], status=target)
    except NotAllowed:
        raise  # a refusal is a 403 page, not a message on the page one may not act on
    except ActionError as exc:
        messages.error(request, "; ".join(e.message for e in exc.errors) or exc.detail)
    else:
        messages.success(request, f"{code}: {target.replace('_', ' ')}.")
    return redirect(back)


# --- daily enlistment -------------------------------------------------------------------------


@sign_in_unless_public
def enlistment(request: HttpRequest, slug: str) -> HttpResponse:
    movement, scope = _movement(slug, "enlistment_drive")
    unit = _unit(request, movement, scope)
    drive = movement.enlistment_drive
    actor = current_actor()
    roles = list(drive.roles.all())
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = None
    if day is not None and not movement.starts_on <= day <= movement.ends_on:
        day = None
    may_report = movement.status == Movement.Status.LAUNCHED and can(
        actor, Capability.REPORT, unit, movement
    )
    form = EnlistmentForm(
        roles=roles,
        initial={
            "unit": unit.code if unit.kind_id == drive.reporting_kind_id else "",
            "day": movement_today(movement),
        },
    )
    if request.method == "POST":
        require(actor, Capability.REPORT, unit, movement)
        form = EnlistmentForm(request.POST, roles=roles)
        if form.is_valid():
            data = form.cleaned_data
            row = actions.EnlistmentRow(
                unit=data["unit"],
                day=data["day"],
                counts={r.code: data[f"count_{r.code}"] for r in roles},
                idempotency_key=data["idempotency_key"],
            )
            try:
                actions.report_enlistment(drive=drive, rows=[row], source="web")
            except ActionError as exc:
                add_row_errors(form, exc.errors or [])
                if not exc.errors:
                    form.add_error(None, exc.detail)
            else:
                messages.success(request, f"Return of {data['unit']} recorded.")
                reported_day = data["day"] or movement_today(movement)
                return redirect(
                    reverse("drives-enlistment", args=[slug])
                    + f"?unit={unit.code}&day={reported_day.isoformat()}"
                )
    overview = selectors.enlistment_overview(drive=drive, unit=unit, day=day)
    return render(
        request,
        "drives/enlistment.html",
        {
            "movement": movement,
            "drive": drive,
            "unit": unit,
            "overview": overview,
            "roles": roles,
            "breadcrumbs": _breadcrumbs(movement, unit),
            "may_report": may_report,
            "form": form,
        },
    )

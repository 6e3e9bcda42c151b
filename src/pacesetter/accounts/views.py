"""A person's account (their roles and API tokens) and the roles on a unit's subtree."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pacesetter.core.errors import ActionError
from pacesetter.core.pages import add_row_errors
from pacesetter.core.pagination import slice_of, wants_more
from pacesetter.movements.models import Movement
from pacesetter.units.models import Unit

from . import actions, selectors
from .forms import GrantForm, PersonEditForm, PersonForm, TokenForm
from .models import Grant
from .permissions import (
    Capability,
    current_actor,
    may_manage_people,
    movement_filter,
    require,
    unit_filter,
)

# The roles on a subtree in the tree's order, a slice at a time with "Show more": a
# province's page is not every grant of its thousands of units at once.
GRANTS_SHOWN = 50
PEOPLE_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """My roles, my API tokens, and a form to create one (its key shown once)."""
    actor = current_actor()
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = actions.create_token(
                user=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.expires_at(),
            )
        except ActionError as exc:
            form.add_error(None, exc.detail)
        else:
            form = TokenForm()
            messages.success(request, f"Token “{token.name}” created. Copy its key now.")
    grants = (
        Grant.objects.filter(user=request.user, withdrawn_at__isnull=True)
        .select_related("unit", "movement")
        .order_by("unit__path", "role")
    )
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": list(selectors.tokens_of(user=request.user)),
            "grants": grants,
            "may_audit": bool(actor.paths(Capability.AUDIT)),
            "may_manage_people": may_manage_people(actor),
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(selectors.tokens_of(user=request.user), pk=token_id)
    actions.revoke_token(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("account")


@login_required
@require_http_methods(["GET", "POST"])
def unit_roles(request: HttpRequest, code: str) -> HttpResponse:
    """Who holds which role on this unit and below; grant and withdraw (for granters)."""
    actor = current_actor()
    unit = get_object_or_404(
        Unit.objects.filter(unit_filter(actor, Capability.VIEW, field="")), code=code
    )
    require(actor, Capability.GRANT, unit)
    grants = slice_of(
        request,
        lambda offset, limit: selectors.grants_visible_to(actor, unit=unit)[
            offset : offset + limit
        ],
        param="page",
        size=GRANTS_SHOWN,
    )
    if request.method == "GET" and wants_more(request, "page"):
        return render(request, "accounts/unit_roles.html#grant-rows", {"grants": grants})
    movements = Movement.objects.filter(movement_filter(actor)).distinct().order_by("title")
    form = GrantForm(request.POST or None, movements=movements)
    if request.method == "POST" and form.is_valid():
        user = (
            get_user_model()
            .objects.filter(username=form.cleaned_data["username"], is_active=True)
            .first()
        )
        if user is None:
            form.add_error("username", "No active user by this name.")
        else:
            try:
                actions.grant_role(
                    user=user,
                    role=form.cleaned_data["role"],
                    unit=unit,
                    movement=form.cleaned_data["movement"],
                )
            except ActionError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, f"{user.get_username()} now holds the role.")
                return redirect("unit-roles", code=unit.code)
    return render(
        request,
        "accounts/unit_roles.html",
        {
            "unit": unit,
            "form": form,
            "grants": grants,
        },
    )


@login_required
@require_POST
def withdraw_grant(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = selectors.grants_visible_to(current_actor()).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("No such grant.")
    actions.withdraw_grant(grant=grant)
    messages.success(request, "The role was withdrawn.")
    return redirect("unit-roles", code=grant.unit.code)


def _organiser() -> None:
    """The people pages are for organisers and operators; for anyone else they do not exist."""
    if not may_manage_people(current_actor()):
        raise Http404("No such page.")


def set_password_link(request: HttpRequest, user) -> str:
    uidb64, token = selectors.set_password_path(user)
    return request.build_absolute_uri(reverse("password_reset_confirm", args=(uidb64, token)))


@login_required
@require_http_methods(["GET", "POST"])
def people(request: HttpRequest) -> HttpResponse:
    """People with a role where the organiser may grant, and those they created; a form to add
    someone (with a password, or a one-time set-password link shown here once)."""
    _organiser()
    form = PersonForm(request.POST or None)
    created = link = None
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_user(**form.cleaned_data)
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            form = PersonForm()
            if not created.has_usable_password():
                link = set_password_link(request, created)
    page = Paginator(selectors.people_visible_to(current_actor()), PEOPLE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/people.html",
        {"form": form, "page": page, "created": created, "link": link},
        status=422 if form.errors else 200,
    )


def _person(username: str):
    person = selectors.people_visible_to(current_actor()).filter(username=username).first()
    if person is None:
        raise Http404("No such person here.")
    return person


@login_required
@require_POST
def person_deactivate(request: HttpRequest, username: str) -> HttpResponse:
    _organiser()
    person = actions.deactivate_user(user=_person(username))
    messages.success(request, _("%(name)s can no longer sign in.") % {"name": person.username})
    return redirect("people")


@login_required
@require_POST
def person_reactivate(request: HttpRequest, username: str) -> HttpResponse:
    _organiser()
    person = actions.reactivate_user(user=_person(username))
    messages.success(request, _("%(name)s can sign in again.") % {"name": person.username})
    return redirect("people")


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, username: str) -> HttpResponse:
    """Change a person's name and email. With HTMX the form's panel is swapped in place, its
    row errors beside the fields; saved, it says so there (without HTMX: back to the list)."""
    _organiser()
    person = _person(username)
    form = PersonEditForm(
        request.POST or None, initial={"full_name": person.first_name, "email": person.email}
    )
    saved = ""
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.update_user(
                user=person, name=form.cleaned_data["full_name"], email=form.cleaned_data["email"]
            )
        except ActionError as exc:
            add_row_errors(form, exc.errors)
            if not exc.errors:
                form.add_error(None, exc.detail)
        else:
            saved = _("Saved: %(name)s.") % {"name": person.first_name or person.username}
            if not request.htmx:
                messages.success(request, saved)
                return redirect("people")
            form = PersonEditForm(initial={"full_name": person.first_name, "email": person.email})
    context = {"person": person, "form": form, "saved": saved}
    if request.htmx:
        return render(request, "accounts/person_edit.html#person-panel", context)
    return render(request, "accounts/person_edit.html", context, status=422 if form.errors else 200)

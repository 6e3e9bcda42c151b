"""The only write path for API tokens and role grants."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from pacesetter.audit.actions import audited, note
from pacesetter.core.errors import NotAllowed, RowError, StateError, ValidationFailed

from .models import ApiToken, Grant, Role, TokenScope
from .permissions import Capability, can_grant, current_actor, may_manage_people
from .selectors import created_by

KEY_PREFIX = "ps_"
# Recording every use would turn each read into a write; a minute's precision is enough to see
# which tokens are alive.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@audited("accounts.create_token")
def create_token(
    *,
    user,
    name: str,
    expires_at: dt.datetime | None = None,
    scope: str = TokenScope.READ,
) -> tuple[ApiToken, str]:
    """Issue a token for `user`; returns it with its plain key, which is shown only this once.
    The scope (read, report, or the user's full rights) narrows what the token may do; it never
    gives more than the user has.

    Guarantees: the key is `ps_<prefix>_<secret>` with 256 random bits in the secret; only its
    SHA-256 hash and the 8-character prefix are stored; an expiry, if given, is in the future.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "A token needs a name.", errors=[RowError(1, "name", "a name is required", "required")]
        )
    if len(name) > 100:
        raise ValidationFailed(
            "The name is too long.",
            errors=[RowError(1, "name", "at most 100 characters", "too_long")],
        )
    if scope not in TokenScope.values:
        raise ValidationFailed(
            "Unknown token scope.",
            errors=[RowError(1, "scope", f"one of {', '.join(TokenScope.values)}", "invalid")],
        )
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(
            "The expiry is in the past.",
            errors=[RowError(1, "expires_at", "must be in the future", "invalid")],
        )
    # token_urlsafe(6) is exactly 8 characters; the prefix only helps a person recognise a key.
    prefix = secrets.token_urlsafe(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_prefix=prefix,
        key_hash=hash_key(key),
        created_at=now,
        expires_at=expires_at,
        scope=scope,
    )
    return token, key


@audited("accounts.revoke_token")
def revoke_token(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good. Idempotent: revoking twice keeps the first revocation time."""
    note(before=token)
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def record_token_use(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Note that the token was used, at most once per LAST_USED_PRECISION (one UPDATE)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@audited("accounts.grant_role")
def grant_role(*, user, role: str, unit, movement=None) -> Grant:
    """Give `user` the `role` on `unit`'s subtree (for one movement, or all when None).

    Guarantees: the current actor may grant this role here (GRANT on the unit or above; only
    organisers make organisers and council members), never to themselves; at most one standing
    grant per user × role × unit × movement (a repeat answers the standing grant).
    """
    actor = current_actor()
    if role not in Role.values:
        raise ValidationFailed(
            "Unknown role.",
            errors=[RowError(1, "role", f"one of {', '.join(Role.values)}", "invalid")],
        )
    if not actor.is_system and actor.user is not None and actor.user.pk == user.pk:
        raise NotAllowed("Nobody grants roles to themselves.")
    if not can_grant(actor, role, unit, movement):
        raise NotAllowed(f"You may not grant the role {Role(role).label} on {unit}.")
    standing = Grant.objects.filter(
        user=user, role=role, unit=unit, movement=movement, withdrawn_at__isnull=True
    ).first()
    if standing is not None:
        return standing
    return Grant.objects.create(
        user=user,
        role=role,
        unit=unit,
        movement=movement,
        granted_by=actor.user if actor.is_authenticated and not actor.is_system else None,
    )


@audited("accounts.withdraw_grant")
def withdraw_grant(*, grant: Grant) -> Grant:
    """Withdraw a standing grant; the row stays, with who withdrew it and when.

    Guarantees: only someone who could give this grant withdraws it, never its holder."""
    actor = current_actor()
    if grant.withdrawn_at is not None:
        raise StateError("This grant was already withdrawn.")
    if not actor.is_system and actor.user is not None and actor.user.pk == grant.user_id:
        raise NotAllowed("Nobody withdraws their own roles; ask the person who granted them.")
    if not can_grant(actor, grant.role, grant.unit, grant.movement_id):
        raise NotAllowed("You may not withdraw this grant.")
    note(before=grant)
    grant.withdrawn_at = timezone.now()
    grant.withdrawn_by = actor.user if actor.is_authenticated and not actor.is_system else None
    grant.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return grant


def _may_deactivate(actor, user) -> bool:
    """An organiser switches off only people whose every standing role lies in their own
    subtree (switching off someone who also works elsewhere would cut off the others), and
    who hold a role there or were created by them. Operators only are switched off by
    operators."""
    if actor.is_system or actor.is_operator:
        return True
    if user.is_superuser or not may_manage_people(actor):
        return False
    mine = actor.paths(Capability.GRANT)
    theirs = list(
        Grant.objects.filter(user=user, withdrawn_at__isnull=True).values_list(
            "unit__path", flat=True
        )
    )
    if not all(any(path.startswith(p) for p in mine) for path in theirs):
        return False
    return bool(theirs) or user.pk in created_by(actor)


@audited("accounts.create_user")
def create_user(*, username: str, full_name: str, email: str = "", password: str | None = None):
    """Create an active person account. With `password` they sign in with it; without, the
    account has no usable password until they follow a set-password link (see
    `selectors.set_password_path`), which works once.

    Guarantees: only organisers and operators create people; the username is free and valid,
    the email valid if given, the password passes the site's password rules; every problem is
    listed at once, by field."""
    actor = current_actor()
    if not may_manage_people(actor):
        raise NotAllowed(_("Only organisers add people."))
    User = get_user_model()
    username, full_name, email = username.strip(), full_name.strip(), email.strip()
    errors: list[RowError] = []
    if not username:
        errors.append(RowError(1, "username", _("a username is required"), "required"))
    else:
        try:
            User.username_validator(username)
        except DjangoValidationError as exc:
            errors.append(RowError(1, "username", " ".join(exc.messages), "invalid"))
        if len(username) > 150:
            errors.append(RowError(1, "username", _("at most 150 characters"), "too_long"))
        elif User.objects.filter(username__iexact=username).exists():
            errors.append(RowError(1, "username", _("this username is already taken"), "duplicate"))
    errors.extend(_person_errors(full_name, email))
    # A name is not always a first and a last word: it is kept whole, in Django's first_name.
    user = User(username=username, first_name=full_name[:150], email=email, is_active=True)
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            errors.extend(RowError(1, "password", message, "invalid") for message in exc.messages)
    if errors:
        raise ValidationFailed(_("The person could not be added."), errors=errors)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def _person_errors(full_name: str, email: str) -> list[RowError]:
    errors: list[RowError] = []
    if not full_name:
        errors.append(RowError(1, "full_name", _("a name is required"), "required"))
    elif len(full_name) > 150:
        errors.append(RowError(1, "full_name", _("at most 150 characters"), "too_long"))
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.append(RowError(1, "email", _("not an email address"), "invalid"))
        if len(email) > 254:
            errors.append(RowError(1, "email", _("at most 254 characters"), "too_long"))
    return errors


@audited("accounts.update_user")
def update_user(*, user, name: str | None = None, email: str | None = None):
    """Change a person's name and email (None leaves one as it is; an empty email removes it).

    Guarantees: only someone who may change this person's account does (an organiser for
    people whose every role lies in their subtree or whom they created, an operator for
    anyone; never an organiser for an operator); the name is not empty, the email valid;
    every problem is listed at once, by field; the audit row keeps the name and email
    before. Emails are not unique in this product (Django's user model does not make them
    so, and a family may share one), so none is refused for being someone else's."""
    actor = current_actor()
    own = not actor.is_system and actor.user is not None and actor.user.pk == user.pk
    if not (may_manage_people(actor) and (own or _may_deactivate(actor, user))):
        raise NotAllowed(_("You may not change this person's account."))
    full_name = user.first_name if name is None else name.strip()
    new_email = user.email if email is None else email.strip()
    errors = _person_errors(full_name, new_email)
    if errors:
        raise ValidationFailed(_("The person could not be changed."), errors=errors)
    note(before={"name": user.first_name, "email": user.email})
    user.first_name, user.email = full_name, new_email
    user.save(update_fields=["first_name", "email"])
    return user


def _set_active(user, active: bool):
    actor = current_actor()
    if not actor.is_system and actor.user is not None and actor.user.pk == user.pk:
        raise NotAllowed(_("Nobody switches their own account on or off."))
    if not _may_deactivate(actor, user):
        raise NotAllowed(_("You may not change this person's account."))
    note(before=user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user


@audited("accounts.deactivate_user")
def deactivate_user(*, user):
    """Switch a person's account off: they can no longer sign in, their sessions and tokens
    stop working (inactive users are anonymous), their roles and history stay."""
    return _set_active(user, False)


@audited("accounts.reactivate_user")
def reactivate_user(*, user):
    """Switch a deactivated account back on, with the roles it still holds."""
    return _set_active(user, True)


@audited("accounts.set_password")
def set_password(*, user, password: str):
    """Give a person a password without asking them (the command line's `set-password`, for
    an operator who created people from a setup file).

    Guarantees: only the system (a command run without `--as`) and operators set someone
    else's password; the password passes the site's password rules; the audit row names the
    person, never the password or its hash."""
    actor = current_actor()
    if not (actor.is_system or actor.is_operator):
        raise NotAllowed(_("Only an operator sets another person's password."))
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("The password was refused."),
            errors=[RowError(1, "password", message, "invalid") for message in exc.messages],
        ) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user

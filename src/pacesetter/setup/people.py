"""The `people:` section of a setup file: who may sign in and which roles they hold.

    people:
      - username: amina
        name: Amina Diallo
        email: amina@example.org      # optional
        active: true                  # the default; false switches the account off
        grants:
          - {role: organiser, unit: BT}
          - {role: reporter, unit: BT-N}

Applying it is declarative, like the rest of the file, and goes through the accounts'
actions, so the acting person's rights are checked as on the people and roles pages (an
organiser creates people and grants only within their own subtree):

- a person the file names and the database lacks is created, with no usable password (files
  never carry passwords): apply prints the one-time set-password link the people page gives,
  and `pacesetter set-password` gives one on the command line;
- a grant the file gives and the person lacks is granted;
- a standing grant of a listed person on a unit the file covers (a unit of its `units:`
  section, or one any of its grants names) that the file does not give is withdrawn. Grants
  on other units, grants for one movement only, and people the file does not list are left
  alone: a file speaks only for the units it names. (So a file that drops someone's last
  role on a unit it names nowhere else withdraws nothing: withdraw that one on the roles
  page, or keep the unit in `units:`. Withdrawing too little is the safe mistake; an export
  names only the units it writes, and must not strip roles elsewhere when applied.)
- `active: false` switches an account off, `active: true` back on; people are never deleted;
- an existing person's name, and their email when the file gives one, become the file's
  (through `update_user`, with a change line); a file without `email` leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.urls import reverse

from pacesetter.accounts import actions as account_actions
from pacesetter.accounts.models import Grant, Role
from pacesetter.accounts.selectors import set_password_path
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, SetupReader, at
from pacesetter.setup.creating import Refused, step
from pacesetter.units.models import Unit

PERSON_KEYS = {"username": str, "name": str, "email": str, "active": bool, "grants": list}
GRANT_KEYS = {"role": str, "unit": str}


@dataclass
class PersonSpec:
    username: str
    name: str
    email: str
    active: bool
    place: str
    grants: list[tuple[str, str]] = field(default_factory=list)  # (role, unit code)


def read_people(reader: SetupReader, node: yaml.Node, place: str = "people") -> list[PersonSpec]:
    """The section's people, each checked for form; problems go to the reader."""
    people: list[PersonSpec] = []
    seen: dict[str, str] = {}
    for number, item in enumerate(reader.items(node, place), start=1):
        here = f"{place}[{number}]"
        found = reader.mapping(item, here, set(PERSON_KEYS))
        reader.required(item, found, here, ("username", "name"))
        values = {
            name: reader.scalar(found[name], at(here, name), kind)
            for name, kind in PERSON_KEYS.items()
            if name in found and kind is not list
        }
        username = (values.get("username") or "").strip()
        if username and username.lower() in seen:
            reader.problem(
                found["username"],
                at(here, "username"),
                f"{username!r} is listed twice (also at {seen[username.lower()]})",
            )
        seen.setdefault(username.lower(), here)
        person = PersonSpec(
            username=username,
            name=(values.get("name") or "").strip(),
            email=(values.get("email") or "").strip(),
            active=values.get("active", True) is not False,
            place=here,
        )
        if "grants" in found:
            for index, grant in enumerate(reader.items(found["grants"], at(here, "grants")), 1):
                where = at(here, f"grants[{index}]")
                parts = reader.mapping(grant, where, set(GRANT_KEYS))
                reader.required(grant, parts, where, GRANT_KEYS)
                role = (
                    reader.scalar(parts["role"], at(where, "role"), str) if "role" in parts else ""
                )
                unit = (
                    reader.scalar(parts["unit"], at(where, "unit"), str) if "unit" in parts else ""
                )
                if role and role not in Role.values:
                    reader.problem(
                        parts["role"], at(where, "role"), f"one of {', '.join(Role.values)}"
                    )
                if role and unit:
                    if (role, unit) in person.grants:
                        reader.problem(grant, where, f"{role} on {unit} is given twice")
                    else:
                        person.grants.append((role, unit))
        people.append(person)
    return people


def _run(lines: dict[str, int], place: str, act):
    return step(MovementSetup(lines=lines), place, act)


def _refuse(lines: dict[str, int], place: str, message: str) -> None:
    raise Refused([SetupProblem(lines.get(place, 1), place, message)])


def apply_people(
    people: list[PersonSpec],
    *,
    unit_codes: set[str],
    lines: dict[str, int],
    changes: list[str],
    dry_run: bool,
) -> None:
    """Make the listed people, their accounts' state and their grants what the file says;
    each change through an action (which checks the actor's rights and audits it)."""
    if not people:
        return
    users = get_user_model()
    named = {code for person in people for _, code in person.grants}
    units = {u.code: u for u in Unit.objects.filter(code__in=named | unit_codes)}
    covered = {units[code].pk for code in named | unit_codes if code in units}
    existing = {
        u.username.lower(): u
        for u in users.objects.filter(username__in=[p.username for p in people])
    }
    for person in people:
        user = (
            existing.get(person.username.lower())
            or users.objects.filter(username__iexact=person.username).first()
        )
        if user is None:
            user = _run(
                lines,
                person.place,
                lambda person=person: account_actions.create_user(
                    username=person.username, full_name=person.name, email=person.email
                ),
            )
            line = f"create person {person.username} ({person.name})"
            if not dry_run:
                uidb64, token = set_password_path(user)
                line += "; set-password link: " + reverse(
                    "password_reset_confirm", args=(uidb64, token)
                )
            changes.append(line)
        else:
            _apply_name_and_email(person, user, lines, changes)
        if user.is_active != person.active:
            verb = "reactivate" if person.active else "deactivate"
            changes.append(f"{verb} person {person.username}")
            act = (
                account_actions.reactivate_user
                if person.active
                else account_actions.deactivate_user
            )
            _run(lines, at(person.place, "active"), lambda act=act, user=user: act(user=user))
        _apply_grants(person, user, units, covered, lines, changes)


def _apply_name_and_email(
    person: PersonSpec, user: Any, lines: dict[str, int], changes: list[str]
) -> None:
    """An existing person's name, and email when the file gives one, become the file's."""
    name = person.name if person.name != user.first_name else None
    email = person.email if person.email and person.email != user.email else None
    if name is None and email is None:
        return
    said = []
    if name is not None:
        said.append(f"name {user.first_name!r} → {name!r}")
    if email is not None:
        said.append(f"email {user.email!r} → {email!r}")
    changes.append(f"change person {person.username}: {', '.join(said)}")
    step(
        MovementSetup(lines=lines),
        person.place,
        lambda: account_actions.update_user(user=user, name=name, email=email),
        fields={"full_name": "name"},
    )


def _apply_grants(
    person: PersonSpec,
    user: Any,
    units: dict[str, Unit],
    covered: set[int],
    lines: dict[str, int],
    changes: list[str],
) -> None:
    standing = {
        (g.role, g.unit.code): g
        for g in Grant.objects.filter(
            user=user, movement__isnull=True, withdrawn_at__isnull=True
        ).select_related("unit")
    }
    for index, (role, code) in enumerate(person.grants, start=1):
        where = at(person.place, f"grants[{index}]")
        unit = units.get(code)
        if unit is None:
            _refuse(lines, at(where, "unit"), f"no unit with code {code!r}")
        if (role, code) in standing:
            continue
        changes.append(f"grant {person.username} the role {role} on {code}")
        _run(
            lines,
            where,
            lambda role=role, unit=unit: account_actions.grant_role(
                user=user, role=role, unit=unit
            ),
        )
    wanted = set(person.grants)
    for (role, code), grant in sorted(standing.items()):
        if (role, code) in wanted or grant.unit_id not in covered:
            continue
        changes.append(f"withdraw {person.username}'s role {role} on {code}")
        _run(
            lines,
            at(person.place, "grants"),
            lambda grant=grant: account_actions.withdraw_grant(grant=grant),
        )


def people_document(unit_ids: set[int]) -> list[dict[str, Any]]:
    """The people holding a standing grant (for every movement) on one of the units, each
    as the `people:` section writes them, with those grants."""
    grants = (
        Grant.objects.filter(unit_id__in=unit_ids, movement__isnull=True, withdrawn_at__isnull=True)
        .select_related("user", "unit")
        .order_by("user__username", "unit__path", "role")
    )
    people: dict[str, dict[str, Any]] = {}
    for grant in grants:
        user = grant.user
        person = people.setdefault(
            user.username,
            {
                "username": user.username,
                "name": user.first_name,
                **({"email": user.email} if user.email else {}),
                **({} if user.is_active else {"active": False}),
                "grants": [],
            },
        )
        person["grants"].append({"role": grant.role, "unit": grant.unit.code})
    return list(people.values())

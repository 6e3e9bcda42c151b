"""The drives of a movement in a setup file: made through the drives' actions when the file
names one the movement lacks, refused when it would change one (a drive cannot change once
created), and written back by `export` (`drive_documents`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from pacesetter.drives.models import (
    DonationDrive,
    DonationItem,
    EnlistmentDrive,
    EnlistmentRole,
    VolunteerCall,
)
from pacesetter.movements.models import Movement
from pacesetter.movements.setup_file import MovementSetup, SetupProblem, at
from pacesetter.setup.creating import DRIVE_NAMES, MADE_NAMES, Refused, create_drives, in_zone


def apply_drives(setup: MovementSetup, movement: Movement, changes: list[str]) -> None:
    """A drive the file names and the movement lacks is made (while a draft: the action
    refuses it after); one it has is left alone when the file says what is stored."""
    stored = drive_documents(movement)
    for name in DRIVE_NAMES:
        spec = getattr(setup, name)
        if spec is None or name not in stored:
            continue
        wanted = _drive_shape(name, spec, movement)
        for key, now in stored[name].items():
            if key != "targets" and wanted.get(key) != now:
                place = at(setup.prefix, at(name, key))
                raise Refused(
                    [
                        SetupProblem(
                            setup.lines.get(place, 1),
                            place,
                            "a drive cannot change once created "
                            f"({key} {_plain(now)!r} → {_plain(wanted.get(key))!r})",
                        )
                    ]
                )
    for name in create_drives(setup, movement):
        changes.append(f"add {MADE_NAMES[name]} to {movement.slug}")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _item_shape(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("kind") or "in_kind"
    shape = {"code": item.get("code"), "name": item.get("name"), "kind": kind}
    if kind == "money":
        shape["currency"] = (item.get("currency") or "").upper()
    else:
        shape["unit_of_measure"] = (item.get("unit_of_measure") or "").strip()
    shape["decimal_places"] = item.get("decimal_places") or 0
    return shape


def _drive_shape(name: str, spec: dict[str, Any], movement: Movement) -> dict[str, Any]:
    """What the file says of a drive, with its defaults, in the shape `drive_documents`
    gives the stored one (moments as aware datetimes)."""
    roles = [{"code": r.get("code"), "name": r.get("name")} for r in spec.get("roles", [])]
    if name == "donation_drive":
        return {
            "estimate_currency": (spec.get("estimate_currency") or "").strip().upper(),
            "items": [_item_shape(item) for item in spec.get("items", [])],
        }
    if name == "enlistment":
        return {"reporting_kind": spec.get("reporting_kind"), "roles": roles}
    shape = {
        "quota": spec.get("quota"),
        "opens_at": in_zone(spec["opens_at"], movement) if spec.get("opens_at") else None,
        "closes_at": in_zone(spec["closes_at"], movement) if spec.get("closes_at") else None,
        "at_quota": spec.get("at_quota") or "close",
        "min_age": spec.get("min_age"),
        "max_age": spec.get("max_age"),
        "skills": [s.strip() for s in spec.get("skills") or [] if s and s.strip()],
        "asks_gender": bool(spec.get("asks_gender")),
        "asks_age_band": bool(spec.get("asks_age_band")),
        "roles": roles,
        "places": sorted(
            (
                {
                    "unit": (p.get("unit") or "").strip(),
                    "capacity": p.get("capacity"),
                    **({"role": p["role"]} if p.get("role") else {}),
                }
                for p in spec.get("places", [])
            ),
            key=lambda p: (p["unit"], p.get("role", "")),
        ),
    }
    return shape


def drive_documents(movement: Movement) -> dict[str, dict[str, Any]]:
    """The movement's drives, each as a setup file gives it (moments as aware datetimes)."""
    documents: dict[str, dict[str, Any]] = {}
    drive = DonationDrive.objects.filter(movement=movement).first()
    if drive is not None:
        documents["donation_drive"] = {
            "estimate_currency": drive.estimate_currency,
            "items": [
                _item_shape(
                    {
                        "code": item.code,
                        "name": item.name,
                        "kind": item.kind,
                        "unit_of_measure": item.unit_of_measure,
                        "currency": item.pledged_indicator.currency,
                        "decimal_places": item.decimal_places,
                    }
                )
                for item in drive.items.select_related("pledged_indicator")
            ],
            # Named once, never changed: a file gives them back as they were named.
            "targets": [
                {
                    "item": target.item.code,
                    "name": target.name,
                    "price": str(target.item.quantity(target.price_minor)),
                }
                for target in drive.targets.select_related("item").order_by(
                    "item__position", "item_id", "position"
                )
            ],
        }
    call = VolunteerCall.objects.filter(movement=movement).first()
    if call is not None:
        zone = zoneinfo.ZoneInfo(movement.time_zone)
        documents["volunteer_call"] = {
            "quota": call.quota,
            "opens_at": call.opens_at.astimezone(zone),
            "closes_at": call.closes_at.astimezone(zone),
            "at_quota": call.at_quota,
            "min_age": call.min_age,
            "max_age": call.max_age,
            "skills": list(call.skills),
            "asks_gender": call.asks_gender,
            "asks_age_band": call.asks_age_band,
            "roles": [{"code": r.code, "name": r.name} for r in call.roles.all()],
            "places": sorted(
                (
                    {
                        "unit": p.unit.code,
                        "capacity": p.capacity,
                        **({"role": p.role.code} if p.role_id else {}),
                    }
                    for p in call.places.select_related("unit", "role")
                ),
                key=lambda p: (p["unit"], p.get("role", "")),
            ),
        }
    enlistment = EnlistmentDrive.objects.filter(movement=movement).first()
    if enlistment is not None:
        documents["enlistment"] = {
            "reporting_kind": enlistment.reporting_kind.code,
            "roles": [{"code": r.code, "name": r.name} for r in enlistment.roles.all()],
        }
    return documents


def drive_indicator_ids(movement: Movement) -> set[int]:
    """The indicators the movement's drives made (a setup file lists them under the drive,
    not under `indicators`)."""
    ids: set[int] = set()
    for item in DonationItem.objects.filter(drive__movement=movement):
        ids |= {
            item.pledged_indicator_id,
            item.received_indicator_id,
            item.distributed_indicator_id,
        }
    for call in VolunteerCall.objects.filter(movement=movement):
        ids |= {call.signups_indicator_id, call.placements_indicator_id}
    ids |= set(
        EnlistmentRole.objects.filter(drive__movement=movement).values_list(
            "indicator_id", flat=True
        )
    )
    return ids

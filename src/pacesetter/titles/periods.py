"""Which period a run of a title judged per period may judge (read-only checks for the
actions and the forms)."""

from __future__ import annotations

import datetime as dt

from pacesetter.core.errors import RowError, ValidationFailed
from pacesetter.movements.models import Movement, Period

from . import domain


def period_refused(rule: domain.TitleRule, period: Period) -> str:
    """Why `period` cannot be judged for a title judged per period ("" when it can)."""
    if period.is_whole:
        return "the whole movement is not one of its periods; choose a period"
    start, end = period.starts_on, period.ends_on
    if rule.judged == "per_week" and (start.weekday() != 0 or period.days != 7):
        return (
            f"{rule.name} is judged per calendar week (Monday to Sunday); {period.name} is not one"
        )
    next_month = (end + dt.timedelta(days=1)).day == 1
    if rule.judged == "per_month" and (
        start.day != 1 or not next_month or start.month != end.month
    ):
        return f"{rule.name} is judged per calendar month; {period.name} is not one"
    return ""


def judged_period(
    rule: domain.TitleRule, period: Period | None, movement: Movement | None
) -> Period | None:
    """The period a run judges: required for a title judged per period, refused otherwise."""
    if not rule.per_period:
        if period is not None:
            raise ValidationFailed(
                f"{rule.name} is judged per year, not per period.",
                errors=[RowError(row=1, field="period", message="leave empty for this title")],
            )
        return None
    if period is None or movement is None:
        raise ValidationFailed(
            f"{rule.name} is judged for each period of the movement: choose the movement and the period.",
            errors=[
                RowError(row=1, field="period" if movement else "movement", message="required")
            ],
        )
    refused = (
        f"{period.name} is a period of another movement"
        if period.movement_id != movement.pk
        else period_refused(rule, period)
    )
    if refused:
        raise ValidationFailed(
            refused[:1].upper() + refused[1:] + ".",
            errors=[RowError(row=1, field="period", message=refused)],
        )
    return period

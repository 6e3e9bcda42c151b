"""The only write path of drives: donation drives and their ledger of gifts, volunteer calls
and sign-ups, daily enlistment returns, one module per subject.

Every bulk action validates all rows and then applies all or none; the single-row forms are
the bulk actions with one row. Drive totals reach the movement's ledger through
`ledger.actions.record_reports`, so they roll up, rank and earn titles like any figure.
"""

from ._shared import MAX_KEY_LENGTH
from .calls import (
    PlacementRow,
    PlaceSpec,
    accept_signups,
    add_call_places,
    change_signup_status,
    create_volunteer_call,
    place_volunteers,
    post_to_ledger,
)
from .donations import (
    MAX_DONATION_ROWS,
    DonationResult,
    DonationRow,
    ItemSpec,
    create_donation_drive,
    record_donations,
)
from .enlistment import (
    MAX_ENLISTMENT_ROWS,
    EnlistmentResult,
    EnlistmentRow,
    create_enlistment_drive,
    report_enlistment,
)
from .signups import MAX_SIGNUP_ROWS, POST_EVERY, SignUpResult, SignUpRow, sign_up
from .targets import MAX_TARGETS, TargetSpec, add_donation_targets

__all__ = [
    "MAX_DONATION_ROWS",
    "MAX_ENLISTMENT_ROWS",
    "MAX_KEY_LENGTH",
    "MAX_SIGNUP_ROWS",
    "MAX_TARGETS",
    "POST_EVERY",
    "DonationResult",
    "DonationRow",
    "EnlistmentResult",
    "EnlistmentRow",
    "ItemSpec",
    "PlaceSpec",
    "PlacementRow",
    "SignUpResult",
    "SignUpRow",
    "TargetSpec",
    "accept_signups",
    "add_call_places",
    "add_donation_targets",
    "change_signup_status",
    "create_donation_drive",
    "create_enlistment_drive",
    "create_volunteer_call",
    "place_volunteers",
    "post_to_ledger",
    "record_donations",
    "report_enlistment",
    "sign_up",
]

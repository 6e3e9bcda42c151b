"""Text a person could have typed: no control characters.

PostgreSQL cannot store NUL in a text column at all, and SQLite stores it silently, so the
same request was a 422 on one database and a stored row on the other. The other control
characters store fine but are invisible: two unit names that look equal would differ, and a
key with a backspace in it cannot be typed again. So every text that comes in — an API body or
query string, a file's cell, a form field — is refused if it holds one, with the row and field
to fix, on every database alike.

Tab, line feed and carriage return are allowed everywhere: a call text or a note spans lines,
and a cell pasted from a spreadsheet may end in a tab; none of them is invisible in the sense
above. Refused: the rest of C0 (U+0000–U+001F), DEL (U+007F) and the C1 controls
(U+0080–U+009F), which in practice only appear in text decoded with the wrong encoding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from .errors import RowError

CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character `text` holds, or None."""
    found = CONTROL_CHARACTER.search(text)
    return found.group() if found else None


def control_character_message(character: str) -> str:
    return gettext(
        "contains the control character U+%(code)04X, which text may not hold; remove it."
    ) % {"code": ord(character)}


def control_character_errors(data: Any, *, path: tuple[str | int, ...] = ()) -> Iterator[RowError]:
    """A row error for every string in decoded JSON `data` that holds a control character.

    Rows and fields are named as the API's validation errors name them: the first list index
    on the way is the row (counted from 1), what follows it is the field; a single object is
    row 1.
    """
    if isinstance(data, str):
        character = control_character(data)
        if character is not None:
            row, field = _row_and_field(path)
            yield RowError(row, field, control_character_message(character), "control_character")
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from control_character_errors(value, path=(*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from control_character_errors(value, path=(*path, index))


def _row_and_field(path: tuple[str | int, ...]) -> tuple[int, str]:
    for index, part in enumerate(path):
        if isinstance(part, int):
            rest = path[index + 1 :]
            return part + 1, ".".join(str(p) for p in rest) or "body"
    return 1, ".".join(str(p) for p in path) or "body"


def refuse_control_characters(value: Any) -> None:
    """A form field validator: text with a control character is not valid."""
    if isinstance(value, str) and (character := control_character(value)) is not None:
        raise ValidationError(control_character_message(character), code="control_character")

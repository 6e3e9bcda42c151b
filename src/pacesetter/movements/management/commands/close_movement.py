"""`pacesetter close-movement SLUG`: launched → closed, as the organise page's button and
`POST /api/v1/movements/SLUG/close` do; the movement becomes read-only, its figures stay."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from pacesetter.accounts.permissions import Capability, current_actor, require_on_movement
from pacesetter.core.errors import ActionError
from pacesetter.movements import actions
from pacesetter.movements.models import Movement


class Command(BaseCommand):
    help = "Close a launched movement: it takes no more reports; its figures stay as they are."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the movement's slug")

    def handle(self, *args: Any, slug: str, **options: Any) -> None:
        movement = Movement.objects.filter(slug=slug).select_related("organiser").first()
        if movement is None:
            raise CommandError(f"No movement {slug!r}.")
        scope = list(movement.scope.values_list("path", flat=True)) or [movement.organiser.path]
        try:
            require_on_movement(current_actor(), Capability.ORGANISE, movement, scope)
            actions.close_movement(movement=movement)
        except ActionError as exc:
            raise CommandError(exc.detail) from None
        except Http404:
            raise CommandError(f"No movement {slug!r}.") from None
        self.stdout.write(f"closed   {movement.slug}")

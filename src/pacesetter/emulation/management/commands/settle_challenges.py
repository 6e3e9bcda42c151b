"""`pacesetter settle-challenges`: what the clock decides about challenges — unanswered ones
expire at their answer-by day, running ones finish when their period has ended. Run daily
(cron or a timer); running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pacesetter.core.tabular import console_for
from pacesetter.emulation.actions import settle_challenges


class Command(BaseCommand):
    help = "Expire unanswered challenges and finish those whose period has ended."

    def handle(self, *args: Any, **options: Any) -> None:
        console = console_for(self.stdout)
        changed = settle_challenges()
        for challenge in changed:
            console.print(f"challenge {challenge.pk}: {challenge.get_status_display()}")
        console.print(f"{len(changed)} challenge(s) changed.")

from django.core.management.base import BaseCommand

from pacesetter.demo.movements import load_demo


class Command(BaseCommand):
    help = "Load the demo movements (the figures table of the brief). Running it twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--without",
            action="append",
            default=[],
            metavar="SLUG",
            help="Leave out this drive or movement (repeatable), e.g. volunteers-1950 and its 740,000 "
            "sign-ups when a quick demo is enough.",
        )

    def handle(self, *args, **options):
        result = load_demo(without=frozenset(options["without"]))
        for slug in result.created:
            self.stdout.write(f"loaded   {slug}")
        for slug in result.existing:
            self.stdout.write(f"present  {slug}")
        self.stdout.write(f"demo login: {result.login}")

from django.core.management.base import BaseCommand

from pacesetter.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo movements (the figures table of the brief). Running it twice changes nothing."

    def handle(self, *args, **options):
        result = load_demo()
        for slug in result.created:
            self.stdout.write(f"loaded   {slug}")
        for slug in result.existing:
            self.stdout.write(f"present  {slug}")
        self.stdout.write(f"demo login: {result.login}")

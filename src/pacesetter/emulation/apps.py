from django.apps import AppConfig


class EmulationConfig(AppConfig):
    name = "pacesetter.emulation"
    label = "emulation"

    def ready(self) -> None:
        from pacesetter.ledger.signals import reports_recorded
        from pacesetter.units.signals import unit_moved

        from . import actions

        reports_recorded.connect(
            actions._on_reports_recorded, dispatch_uid="emulation.standings", weak=False
        )
        # After the ledger's own receiver (its app is ready first): it shifts the totals.
        unit_moved.connect(actions._on_unit_moved, dispatch_uid="emulation.moved", weak=False)

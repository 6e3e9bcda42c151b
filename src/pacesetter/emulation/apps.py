from django.apps import AppConfig


class EmulationConfig(AppConfig):
    name = "pacesetter.emulation"
    label = "emulation"

    def ready(self) -> None:
        from pacesetter.ledger.signals import reports_recorded, verification_decided
        from pacesetter.units.signals import unit_moved

        from .actions import receivers

        reports_recorded.connect(
            receivers._on_reports_recorded, dispatch_uid="emulation.standings", weak=False
        )
        verification_decided.connect(
            receivers._on_verification_decided, dispatch_uid="emulation.verified", weak=False
        )
        # After the ledger's own receiver (its app is ready first): it shifts the totals.
        unit_moved.connect(receivers._on_unit_moved, dispatch_uid="emulation.moved", weak=False)

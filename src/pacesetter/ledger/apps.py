from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "pacesetter.ledger"
    label = "ledger"

    def ready(self) -> None:
        from pacesetter.units.signals import unit_moved

        from . import aggregates

        def shift(sender, *, unit, old_ancestor_ids, new_ancestor_ids, **kwargs):
            aggregates.shift_subtree(
                unit=unit, old_ancestor_ids=old_ancestor_ids, new_ancestor_ids=new_ancestor_ids
            )

        unit_moved.connect(shift, dispatch_uid="ledger.shift_subtree", weak=False)

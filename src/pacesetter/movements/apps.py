from django.apps import AppConfig


class MovementsConfig(AppConfig):
    name = "pacesetter.movements"
    label = "movements"

    def ready(self) -> None:
        from pacesetter.units.signals import unit_moved

        from . import plan_totals

        def shift(sender, *, unit, old_ancestor_ids, new_ancestor_ids, **kwargs):
            plan_totals.shift_subtree(
                unit=unit, old_ancestor_ids=old_ancestor_ids, new_ancestor_ids=new_ancestor_ids
            )

        unit_moved.connect(shift, dispatch_uid="movements.shift_plans", weak=False)

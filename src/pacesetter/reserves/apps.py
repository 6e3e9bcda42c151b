from django.apps import AppConfig


class ReservesConfig(AppConfig):
    name = "pacesetter.reserves"
    label = "reserves"
    verbose_name = "Reserves"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pacesetter.core.facts import register_initiatives
        from pacesetter.units.signals import unit_moved

        from . import receivers, selectors

        # A verified reserve is a recognised initiative, a fact for the title engine.
        register_initiatives("reserves", selectors.recognised_initiatives)

        def shift(sender, *, unit, old_ancestor_ids, new_ancestor_ids, **kwargs):
            receivers.shift_subtree(
                unit=unit, old_ancestor_ids=old_ancestor_ids, new_ancestor_ids=new_ancestor_ids
            )

        unit_moved.connect(shift, dispatch_uid="reserves.shift_subtree", weak=False)

from django.apps import AppConfig


class VoicesConfig(AppConfig):
    name = "pacesetter.voices"
    label = "voices"
    verbose_name = "Voices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pacesetter.units.signals import unit_moved

        from . import receivers

        def shift(sender, *, unit, old_ancestor_ids, new_ancestor_ids, **kwargs):
            receivers.shift_subtree(
                unit=unit, old_ancestor_ids=old_ancestor_ids, new_ancestor_ids=new_ancestor_ids
            )

        unit_moved.connect(shift, dispatch_uid="voices.shift_subtree", weak=False)

from django.apps import AppConfig


class DrivesConfig(AppConfig):
    name = "pacesetter.drives"
    label = "drives"
    verbose_name = "Drives"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pacesetter.units.signals import unit_moved

        from .actions import receivers

        def shift(sender, *, unit, old_ancestor_ids, new_ancestor_ids, **kwargs):
            receivers._shift_subtree(
                unit=unit, old_ancestor_ids=old_ancestor_ids, new_ancestor_ids=new_ancestor_ids
            )

        unit_moved.connect(shift, dispatch_uid="drives.shift_subtree", weak=False)

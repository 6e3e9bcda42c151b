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

        from django.db.models.signals import m2m_changed

        from pacesetter.core.locks import tree_lock

        def members_changed(sender, *, instance, action, reverse, pk_set, **kwargs):
            """A block's members changed (by `units.actions` or any other write of the
            membership table through the ORM): its daily totals are rebuilt in the same
            transaction, alone (no ingest credits blocks from the old members meanwhile)."""
            if reverse:  # unit.blocks.…: the blocks are the other side
                if action == "pre_clear":
                    instance._blocks_cleared = list(
                        aggregates.MEMBERSHIP.objects.filter(unit_id=instance.pk).values_list(
                            "block_id", flat=True
                        )
                    )
                    return
                blocks = (
                    getattr(instance, "_blocks_cleared", [])
                    if action == "post_clear"
                    else pk_set or ()
                )
            else:
                blocks = [instance.pk]
            if action in ("post_add", "post_remove", "post_clear") and blocks:
                tree_lock(exclusive=True)
                aggregates.rebuild_block(blocks)

        m2m_changed.connect(
            members_changed,
            sender=aggregates.MEMBERSHIP,
            dispatch_uid="ledger.rebuild_block",
            weak=False,
        )

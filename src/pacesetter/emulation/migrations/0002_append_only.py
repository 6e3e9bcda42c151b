"""Overtaking events, standing snapshots and challenge results are append-only at the
database: UPDATE and DELETE are refused (and TRUNCATE on PostgreSQL), whoever asks."""

from django.db import migrations

from pacesetter.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("emulation", "0001_initial")]
    operations = [
        append_only("emulation_overtakingevent", "history is never rewritten"),
        append_only("emulation_standingsnapshot", "a past day keeps its ranking"),
        append_only("emulation_challengeresult", "a result stays in the record"),
    ]

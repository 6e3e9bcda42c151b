from django.db import migrations

from pacesetter.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("titles", "0001_initial")]

    operations = [
        append_only("titles_packrevision", "load a new revision of the pack"),
        append_only("titles_vote", "a vote is cast once"),
        append_only("titles_award", "revoke the award with a new revocation"),
        append_only("titles_revocation", "a revocation is final"),
    ]

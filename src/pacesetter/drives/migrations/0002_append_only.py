from django.db import migrations

from pacesetter.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("drives", "0001_initial")]
    operations = [
        append_only("drives_donationentry", "record a new entry (a distribution, or a receipt)")
    ]

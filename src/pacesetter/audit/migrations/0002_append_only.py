from django.db import migrations

from pacesetter.core.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [append_only("audit_auditevent", "the audit trail keeps every event")]

# Squashed from 0003–0008 (decision 008): each of those restated the whole list
# of verbs as the column's choices, and 0008 dropped the choices again, so
# together they leave the column a plain CharField without choices. `replaces`
# stays as long as installations may hold those six migrations as applied.

from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ("audit", "0003_alter_event_verb"),
        ("audit", "0004_alter_event_verb"),
        ("audit", "0005_signing_certificate_verbs"),
        ("audit", "0006_signature_request_verbs"),
        ("audit", "0007_signature_code_verbs"),
        ("audit", "0008_verb_without_choices"),
    ]

    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="verb",
            field=models.CharField(max_length=64, verbose_name="what"),
        ),
    ]

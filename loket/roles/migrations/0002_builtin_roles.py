from django.db import migrations

from loket.roles.builtin import sync_builtin_roles


def seed(apps, schema_editor):
    sync_builtin_roles(apps.get_model("roles", "Role"))


class Migration(migrations.Migration):
    dependencies = [("roles", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

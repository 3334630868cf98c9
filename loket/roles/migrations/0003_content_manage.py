from django.db import migrations

from loket.roles.builtin import sync_builtin_roles


def sync(apps, schema_editor):
    # Owner (and Administrator) gain content.manage.
    sync_builtin_roles(apps.get_model("roles", "Role"))


class Migration(migrations.Migration):
    dependencies = [("roles", "0002_builtin_roles")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

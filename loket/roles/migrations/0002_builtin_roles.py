from django.db import migrations

from loket.access import BUILTIN_FIRM_ROLES


def seed(apps, schema_editor):
    Role = apps.get_model("roles", "Role")
    for key, (name, capabilities) in BUILTIN_FIRM_ROLES.items():
        Role.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "scope": "firm",
                "capabilities": sorted(capabilities),
                "builtin": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("roles", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

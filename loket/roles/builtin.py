"""Keep the Role table's built-in rows in step with loket.access."""

from typing import Any

from loket.access import BUILTIN_FIRM_ROLES


def sync_builtin_roles(role_model: Any) -> None:
    """Create or update every built-in role; takes the model so that migrations
    can pass their historical one."""
    for key, (name, capabilities) in BUILTIN_FIRM_ROLES.items():
        role_model.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "scope": "firm",
                "capabilities": sorted(capabilities),
                "builtin": True,
            },
        )

"""Keep the Role table's built-in rows in step with loket.access."""

from typing import Any

from loket.access import BUILTIN_ROLES


def sync_builtin_roles(role_model: Any) -> None:
    """Create or update every built-in role; takes the model so that migrations
    can pass their historical one."""
    for key, builtin in BUILTIN_ROLES.items():
        role_model.objects.update_or_create(
            key=key,
            defaults={
                "name": builtin.name,
                "scope": builtin.scope,
                "audience": builtin.audience,
                "capabilities": sorted(builtin.capabilities),
                "builtin": True,
            },
        )

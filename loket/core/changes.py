from typing import Any

from django.db import models


def apply_changes(
    instance: models.Model, changes: dict[str, Any]
) -> dict[str, list[Any]]:
    """Set `changes` on `instance` and return {field: [old, new]} for those that
    really changed, ready for a history event's data."""
    diff: dict[str, list[Any]] = {}
    for field, new in changes.items():
        old = getattr(instance, field)
        if old != new:
            setattr(instance, field, new)
            diff[field] = [_plain(old), _plain(new)]
    return diff


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(getattr(value, "uuid", value.pk))
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)

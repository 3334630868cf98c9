"""Templates read capabilities one at a time, as with Django's `perms`."""

import pytest
from django.template import Context, Template

from loket.access import Capability, Held, UnknownCapability


def _render(source: str, caps: Held) -> str:
    return Template(source).render(Context({"caps": caps}))


def test_a_held_capability_reads_true_by_its_name() -> None:
    caps = Held({Capability.FILES_CREATE})
    assert caps.files_create is True
    assert caps.entity_edit is False
    assert _render("{% if caps.files_create %}yes{% endif %}", caps) == "yes"
    assert _render("{% if caps.entity_edit %}yes{% endif %}", caps) == ""


def test_a_misspelt_capability_raises_instead_of_hiding_a_control() -> None:
    caps = Held({Capability.FILES_CREATE})
    with pytest.raises(UnknownCapability):
        caps.files_creat  # noqa: B018
    with pytest.raises(UnknownCapability):
        _render("{% if caps.files_creat %}yes{% endif %}", caps)


def test_held_is_still_a_set_of_strings() -> None:
    caps = Held({Capability.ACTIVITIES_VIEW_ALL})
    assert "activities.view_all" in caps
    assert caps.activities_view_all is True
    assert caps == frozenset({"activities.view_all"})

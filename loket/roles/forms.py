from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from loket.access import CAPABILITY_LABELS, ENTITY_CAPABILITIES, Capability
from loket.accounts.models import User
from loket.groups.models import Group
from loket.roles.models import Role


def _capability_choices(scope: str | None) -> list[tuple[str, StrOrPromise]]:
    return [
        (capability.value, CAPABILITY_LABELS[capability])
        for capability in Capability
        if scope != Role.Scope.ENTITY or capability in ENTITY_CAPABILITIES
    ]


class _CapabilitiesMixin:
    """Draws the capability checkboxes in two groups: on an entity, firm-wide."""

    def capability_groups(self) -> list[tuple[StrOrPromise, list[BoundWidget]]]:
        widgets = list(self["capabilities"].subwidgets)  # type: ignore[index]
        on_entity = [w for w in widgets if w.data["value"] in ENTITY_CAPABILITIES]
        firm = [w for w in widgets if w.data["value"] not in ENTITY_CAPABILITIES]
        groups = [(_("On an entity"), on_entity), (_("Firm-wide"), firm)]
        return [(label, items) for label, items in groups if items]


class RoleForm(_CapabilitiesMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scope = forms.ChoiceField(
        label=_("Applies to"),
        choices=Role.Scope.choices,
        initial=Role.Scope.ENTITY,
        widget=forms.RadioSelect,
        help_text=_(
            "An entity role is given on one entity; a firm role applies to the "
            "whole firm and holds any capability."
        ),
    )
    audience = forms.ChoiceField(
        label=_("Given to"),
        choices=Role.Audience.choices,
        initial=Role.Audience.STAFF,
        widget=forms.RadioSelect,
    )
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"),
        choices=_capability_choices(None),
        widget=forms.CheckboxSelectMultiple,
    )


class EditRoleForm(_CapabilitiesMixin, forms.Form):
    """A custom role's name, description and capabilities; its scope and
    audience stay as they are, since assignments depend on them."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, role: Role, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": role.name,
                "description": role.description,
                "capabilities": role.capabilities,
            },
        )
        super().__init__(*args, **kwargs)
        field = self.fields["capabilities"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _capability_choices(role.scope)


class FirmAssignmentForm(forms.Form):
    """A role given firm-wide to a staff member or a staff group."""

    principal = forms.ChoiceField(label=_("Staff member or staff group"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(
        self,
        *args: Any,
        roles: list[Role],
        staff: list[User],
        groups: list[Group],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._roles = {str(role.uuid): role for role in roles}
        self._principals: dict[str, User | Group] = {
            f"user:{person.uuid}": person for person in staff
        } | {f"group:{group.uuid}": group for group in groups}
        principal = self.fields["principal"]
        assert isinstance(principal, forms.ChoiceField)
        principal.choices = [
            ("", "—"),
            (
                _("Staff members"),
                [(f"user:{p.uuid}", f"{p} <{p.email}>") for p in staff],
            ),
            (_("Staff groups"), [(f"group:{g.uuid}", g.name) for g in groups]),
        ]
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [("", "—")] + [(str(r.uuid), r.display_name) for r in roles]

    def clean_principal(self) -> User | Group:
        return self._principals[self.cleaned_data["principal"]]

    def clean_role(self) -> Role:
        return self._roles[self.cleaned_data["role"]]

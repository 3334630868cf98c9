from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loket.entities.models import Entity

ENTITY_FIELDS = [
    "name",
    "client_number",
    "type",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
    "notes",
]


class EntityForm(forms.Form):
    """An entity's details. A plain form, not a ModelForm: the action compares
    the entity's old values with the new ones, so the form must not set them."""

    def __init__(self, *args: Any, entity: Entity | None = None, **kwargs: Any):
        if entity is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(entity, name) for name in ENTITY_FIELDS}
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.fields.update(forms.fields_for_model(Entity, fields=ENTITY_FIELDS))
        self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["notes"].widget.attrs["rows"] = 4

    def clean_client_number(self) -> str:
        number: str = self.cleaned_data["client_number"]
        if number:
            taken = Entity.objects.filter(client_number__iexact=number)
            if self.entity is not None:
                taken = taken.exclude(pk=self.entity.pk)
            if taken.exists():
                raise forms.ValidationError(
                    _("Another entity has this client number."), code="duplicate"
                )
        return number

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import User
from loket.groups.models import Group


class MemberField(forms.ModelMultipleChoiceField[User]):
    """Members ticked by UUID, labelled with name and e-mail address."""

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} · {obj.email}" if obj.full_name else obj.email


class GroupForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    members = MemberField(
        label=_("Members"),
        queryset=User.objects.none(),
        to_field_name="uuid",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        candidates: QuerySet[User],
        group: Group | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.group = group
        members = self.fields["members"]
        assert isinstance(members, MemberField)
        members.queryset = candidates

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = Group.objects.filter(kind=self.kind, name__iexact=name)
        if self.group is not None:
            clash = clash.exclude(pk=self.group.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("There is already a group with this name."), code="duplicate_name"
            )
        return name

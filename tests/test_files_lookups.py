"""The files' fetch helpers (loket/files/lookups.py), shared by the pages and
the API, and the files' rules in the access package (loket/access/files.py)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity
from loket.files import actions
from loket.files.lookups import (
    UnknownUpload,
    get_file_for_user,
    get_files_entity_for_user,
    get_finished_upload,
    get_trashed_file_for_user,
    get_version_for_user,
)
from loket.files.models import FileVersion, Upload
from tests.files_support import add, finished_upload, pdf, stored

pytestmark = pytest.mark.django_db


def test_a_file_out_of_scope_is_404_and_without_the_capability_403(
    entity: Entity, staff_owner: User, staff_reader: User, outsider: User
) -> None:
    file = add(entity, staff_owner)
    with pytest.raises(Http404):
        get_file_for_user(outsider, file.uuid)
    with pytest.raises(PermissionDenied):
        get_file_for_user(staff_reader, file.uuid, need=Capability.CONTENT_DELETE)
    found, caps = get_file_for_user(staff_owner, file.uuid, need=Capability.FILES_VIEW)
    assert found == file
    assert caps == access.entity_capabilities(staff_owner, entity)


def test_an_entity_whose_files_one_does_not_see_is_404(
    entity: Entity, entity_admin: User, staff_owner: User
) -> None:
    # The Entity Administrator sees every entity, but not its files.
    assert get_entity_for_user(entity_admin, entity.uuid)[0] == entity
    with pytest.raises(Http404):
        get_files_entity_for_user(entity_admin, entity.uuid)
    assert get_files_entity_for_user(staff_owner, entity.uuid)[0] == entity


def test_the_trash_is_for_those_who_manage_the_content(
    entity: Entity, staff_owner: User, staff_reader: User
) -> None:
    file = add(entity, staff_owner)
    actions.delete_file(file, actor=staff_owner)
    with pytest.raises(Http404):
        get_file_for_user(staff_owner, file.uuid)
    with pytest.raises(PermissionDenied):
        get_trashed_file_for_user(staff_reader, file.uuid)
    assert get_trashed_file_for_user(staff_owner, file.uuid)[0] == file


def test_a_version_of_another_file_is_404(entity: Entity, staff_owner: User) -> None:
    one = add(entity, staff_owner, "een.pdf", pdf("1"))
    two = add(entity, staff_owner, "twee.pdf", pdf("2"))
    version = one.versions.get()
    found, _caps = get_version_for_user(staff_owner, version.uuid, file_uuid=one.uuid)
    assert found == version
    with pytest.raises(Http404):
        get_version_for_user(staff_owner, version.uuid, file_uuid=two.uuid)


def test_only_ones_own_finished_upload_is_found(
    entity: Entity, contact: User, group_contact: User
) -> None:
    upload = finished_upload(contact, entity)
    assert get_finished_upload(contact, upload.uuid) == upload
    assert get_finished_upload(contact, str(upload.uuid)) == upload
    for user, value in [(group_contact, upload.uuid), (contact, "not-a-uuid")]:
        with pytest.raises(UnknownUpload) as unknown:
            get_finished_upload(user, value)
        assert unknown.value.message_dict == {"upload": ["There is no such upload."]}
    Upload.objects.filter(pk=upload.pk).update(completed_at=None)
    with pytest.raises(ValidationError) as unfinished:
        get_finished_upload(contact, upload.uuid)
    assert not isinstance(unfinished.value, UnknownUpload)
    assert unfinished.value.message_dict == {
        "upload": ["The upload has not finished yet."]
    }


def test_who_may_upload_limit_and_restore(
    entity: Entity, staff_owner: User, contact: User, viewer_contact: User
) -> None:
    file = add(entity, contact, content=pdf("1"))
    actions.add_version(file, actor=contact, blob=stored(pdf("2")))
    file.refresh_from_db()
    older, current = file.versions.order_by("number")
    caps = {
        user: access.entity_capabilities(user, entity)
        for user in (staff_owner, contact, viewer_contact)
    }
    assert [access.may_upload(caps[user]) for user in caps] == [True, True, False]
    # Its creator and whoever manages the content.
    assert [access.may_limit(user, file, caps[user]) for user in caps] == [
        True,
        True,
        False,
    ]
    assert access.may_restore_version(caps[contact], file, older)
    assert not access.may_restore_version(caps[contact], file, current)
    assert not access.may_restore_version(caps[viewer_contact], file, older)
    older.scan = FileVersion.Scan.INFECTED
    assert not access.may_restore_version(caps[contact], file, older)


def test_a_clash_with_a_file_one_cannot_see_is_kept_beside_it(
    entity: Entity, staff_owner: User, contact: User
) -> None:
    hidden = add(entity, staff_owner, limited=True)
    caps = access.entity_capabilities(contact, entity)
    assert access.clash_answer(contact, entity, caps, hidden, "version") == "copy"
    assert access.clash_answer(contact, entity, caps, None, "ask") == "ask"
    mine = add(entity, contact, "eigen.pdf", pdf("eigen"), limited=True)
    assert access.clash_answer(contact, entity, caps, mine, "version") == "version"

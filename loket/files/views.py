"""The Files pages: an entity's Files tab and trash, a file's page with its
versions, downloads, and the buttons that change files and folders.

Every change is a plain POST answered with a redirect (the upload widget's
commit views answer with the fragment it puts in the page instead)."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from loket import access
from loket.access import Capability
from loket.accounts.models import User
from loket.core.http import act_and_report, signed_in_user
from loket.entities.lookups import get_entity_for_user
from loket.entities.models import Entity
from loket.entities.tabs import entity_page
from loket.files import actions, scanning, storage, uploads
from loket.files.forms import (
    CommitForm,
    FolderForm,
    MoveForm,
    NameForm,
    UploadForm,
    VersionUploadForm,
)
from loket.files.lookups import (
    UnknownUpload,
    clashing_file,
    get_file_for_user,
    get_files_entity_for_user,
    get_finished_upload,
    get_folder_for_user,
    get_trashed_file_for_user,
    get_trashed_folder_for_user,
    get_version_for_user,
)
from loket.files.models import File, FileVersion, Folder, Upload
from loket.files.tree import Tree, tree_of

PAGE_SIZE = 100
VERSIONS_SHOWN = 100


# Where to go after a button.


def tab_url(entity: Entity, folder: Folder | None = None) -> str:
    url = reverse("entities:files", args=[entity.uuid])
    return f"{url}?folder={folder.uuid}" if folder is not None else url


def trash_url(entity: Entity) -> str:
    return reverse("files:trash", args=[entity.uuid])


def _next(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


def _report_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# The Files tab.


def listing(
    request: HttpRequest,
    user: User,
    entity: Entity,
    caps: frozenset[str],
    tree: Tree,
    folder: Folder | None,
) -> dict[str, Any]:
    """What the tab's list shows for `folder`: its folders, then a page of its
    files. A fixed number of queries, whatever the number of items."""
    files = (
        access.visible_files(user, entity, caps=caps)
        .filter(folder=folder)
        .select_related("current_version__uploaded_by")
        .order_by("name", "pk")
    )
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "entity": entity,
        "caps": caps,
        "folder": folder,
        "breadcrumbs": tree.path(folder),
        "folders": tree.children(folder),
        "page": page,
        "here": tab_url(entity, folder),
        "user_pk": user.pk,
        # The rows' Change menu holds renaming and moving, and the trash.
        "may_change": Capability.ENTITY_EDIT in caps
        or Capability.CONTENT_DELETE in caps,
    }


def files_tab(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The entity's Files tab (`?folder=<uuid>` opens a folder)."""
    user = signed_in_user(request)
    entity, caps = get_entity_for_user(user, entity_uuid, need=Capability.FILES_VIEW)
    context = entity_page(user, entity, "files", caps)
    tree = tree_of(entity)
    folder = tree.get(request.GET.get("folder"))
    context |= listing(request, user, entity, caps, tree, folder)
    context["upload_form"] = UploadForm(initial={"folder": folder and folder.uuid})
    return render(request, "entities/files.html", context)


def _upload(user: User, upload_uuid: UUID) -> Upload:
    """The user's finished upload to commit: someone else's is a 404."""
    try:
        return get_finished_upload(user, upload_uuid)
    except UnknownUpload:
        raise Http404 from None


def _commit_refused(error: ValidationError) -> JsonResponse:
    if isinstance(error, actions.NameClash):
        detail = " ".join(error.messages)
        return JsonResponse({"clash": True, "detail": detail}, status=409)
    return JsonResponse({"detail": " ".join(error.messages)}, status=400)


@require_POST
def commit(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """The upload widget's commit: a finished resumable upload becomes a file
    in the folder. Answers with the refreshed list (201), a clash to ask about
    (409, JSON) or why it was refused (400, JSON)."""
    user = signed_in_user(request)
    entity, caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.FILES_CREATE
    )
    form = CommitForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": _("The upload could not be added.")}, status=400)
    tree = tree_of(entity)
    folder = tree.get(form.cleaned_data["folder"])
    try:
        upload = _upload(user, form.cleaned_data["upload"])
        clash = clashing_file(entity, folder, upload.filename)
        on_clash = access.clash_answer(
            user, entity, caps, clash, form.cleaned_data["on_clash"]
        )
        actions.add_upload(
            entity, actor=user, upload=upload, folder=folder, on_clash=on_clash
        )
    except ValidationError as error:
        return _commit_refused(error)
    context = listing(request, user, entity, caps, tree, folder)
    return render(request, "files/_listing.html", context, status=201)


@require_POST
def upload(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    """A plain upload (one small file, no JavaScript needed)."""
    user = signed_in_user(request)
    entity, caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.FILES_CREATE
    )
    form = UploadForm(request.POST, request.FILES)
    tree = tree_of(entity)
    folder = tree.get(request.POST.get("folder"))
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect(tab_url(entity, folder))
    received = form.cleaned_data["file"]
    try:
        name = uploads.check_upload(received.name or "", received.size)
        blob = storage.store_stream(received, name)
    except ValidationError as error:
        _report_errors(request, error)
        return redirect(tab_url(entity, folder))
    clash = clashing_file(entity, folder, name)
    on_clash = access.clash_answer(
        user, entity, caps, clash, form.cleaned_data["on_clash"]
    )
    try:
        version = actions.add_file(
            entity, actor=user, blob=blob, name=name, folder=folder, on_clash=on_clash
        )
    except ValidationError as error:
        storage.delete_blob(blob.blob)
        _report_errors(request, error)
    else:
        messages.success(
            request, _("“%(name)s” has been uploaded.") % {"name": version.file.name}
        )
    return redirect(tab_url(entity, folder))


# The trash.


def trash(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    entity, caps = get_entity_for_user(
        user, entity_uuid, need=Capability.CONTENT_MANAGE
    )
    context = entity_page(user, entity, "files", caps)
    folders, files = actions.trash_of(entity)
    context |= {
        "trashed_folders": folders.order_by("-deleted_at", "name"),
        "page": Paginator(
            files.order_by("-deleted_at", "name", "pk"), PAGE_SIZE
        ).get_page(request.GET.get("page")),
    }
    return render(request, "files/trash.html", context)


@require_POST
def empty_trash(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    entity, _caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.CONTENT_MANAGE
    )
    removed, kept = actions.empty_trash(entity, actor=user)
    messages.success(
        request,
        ngettext(
            "%(count)s file has been removed for good.",
            "%(count)s files have been removed for good.",
            removed,
        )
        % {"count": removed},
    )
    if kept:
        messages.error(
            request,
            ngettext(
                "%(count)s file is attached to a request and stays in the trash.",
                "%(count)s files are attached to a request and stay in the trash.",
                kept,
            )
            % {"count": kept},
        )
    return redirect(trash_url(entity))


@require_POST
def restore(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, _caps = get_trashed_file_for_user(user, file_uuid)
    return act_and_report(
        request,
        lambda: actions.restore_file(file, actor=user),
        _("“%(name)s” has been restored.") % {"name": file.name},
        trash_url(file.entity),
    )


@require_POST
def purge(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, _caps = get_trashed_file_for_user(user, file_uuid)
    return act_and_report(
        request,
        lambda: actions.purge_file(file, actor=user),
        _("“%(name)s” has been removed for good.") % {"name": file.name},
        trash_url(file.entity),
    )


# A file's page and its buttons.


def _detail_context(user: User, file: File, caps: frozenset[str]) -> dict[str, Any]:
    versions = file.versions.select_related("uploaded_by", "restored_from").order_by(
        "-number"
    )[:VERSIONS_SHOWN]
    signatures = scanning.quarantine_signatures(versions)
    for version in versions:
        version.signature = signatures.get(version.pk, "")  # type: ignore[attr-defined]
        restorable = access.may_restore_version(caps, file, version)
        version.restorable = restorable  # type: ignore[attr-defined]
    return {
        "file": file,
        "caps": caps,
        "versions": versions,
        "breadcrumbs": tree_of(file.entity).path(file.folder),
        "can_request_signature": access.may_request_signature(user, caps, file),
    }


def detail(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, caps = get_file_for_user(user, file_uuid)
    context = entity_page(user, file.entity, "files", caps)
    context |= _detail_context(user, file, caps)
    if access.may_limit(user, file, caps):
        shared = set(file.shared_with.values_list("pk", flat=True))
        context["people"] = [
            (person, person.pk in shared)
            for person in access.people_to_share_with(file).exclude(
                pk=file.created_by_id
            )
        ]
        context["may_limit"] = True
    context["rename_form"] = NameForm(initial={"name": file.name})
    context["version_form"] = VersionUploadForm()
    return render(request, "files/detail.html", context)


@require_POST
def version_commit(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    """The upload widget's commit on a file's page: the finished upload becomes
    the file's new version. Answers with the refreshed versions list (201)."""
    user = signed_in_user(request)
    file, caps = get_file_for_user(user, file_uuid, need=Capability.FILES_CREATE)
    form = CommitForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"detail": _("The upload could not be added.")}, status=400)
    try:
        upload = _upload(user, form.cleaned_data["upload"])
        actions.add_version_from_upload(file, actor=user, upload=upload)
    except ValidationError as error:
        return _commit_refused(error)
    file.refresh_from_db()
    context = _detail_context(user, file, caps)
    return render(request, "files/_versions.html", context, status=201)


@require_POST
def version_upload(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    """A new version by a plain upload (no JavaScript needed)."""
    user = signed_in_user(request)
    file, _caps = get_file_for_user(user, file_uuid, need=Capability.FILES_CREATE)
    form = VersionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect(file)
    received = form.cleaned_data["file"]
    try:
        name = uploads.check_upload(received.name or "", received.size)
        blob = storage.store_stream(received, name)
    except ValidationError as error:
        _report_errors(request, error)
        return redirect(file)
    try:
        version = actions.add_version(file, actor=user, blob=blob, name=name)
    except ValidationError as error:
        storage.delete_blob(blob.blob)
        _report_errors(request, error)
    else:
        messages.success(
            request,
            _("Version %(number)s has been added.") % {"number": version.number},
        )
    return redirect(file)


@require_POST
def restore_version(request: HttpRequest, version_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    version, _caps = get_version_for_user(
        user, version_uuid, need=Capability.FILES_CREATE
    )
    file = version.file
    return act_and_report(
        request,
        lambda: actions.restore_version(version, actor=user),
        _("Version %(number)s is the current version again.")
        % {"number": version.number},
        file.get_absolute_url(),
    )


@require_POST
def rename(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, _caps = get_file_for_user(user, file_uuid, need=Capability.ENTITY_EDIT)
    form = NameForm(request.POST)
    then = _next(request, file.get_absolute_url())
    if not form.is_valid():
        messages.error(request, _("Enter a name."))
        return redirect(then)
    old = file.name
    return act_and_report(
        request,
        lambda: actions.rename_file(file, actor=user, name=form.cleaned_data["name"]),
        _("“%(old)s” has been renamed.") % {"old": old},
        then,
    )


def move(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, caps = get_file_for_user(user, file_uuid, need=Capability.ENTITY_EDIT)
    tree = tree_of(file.entity)
    choices = [("", _("Top folder")), *tree.choices()]
    initial = {"folder": str(file.folder.uuid) if file.folder else ""}
    form = MoveForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        target = tree.get(form.cleaned_data["folder"])
        try:
            actions.move_file(file, actor=user, folder=target)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("“%(name)s” has been moved.") % {"name": file.name}
            )
            return redirect(tab_url(file.entity, target))
    context = entity_page(user, file.entity, "files", caps) | {
        "item": file,
        "form": form,
        "back": file.get_absolute_url(),
    }
    status = 400 if form.errors else 200
    return render(request, "files/move.html", context, status=status)


@require_POST
def delete(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, _caps = get_file_for_user(user, file_uuid, need=Capability.CONTENT_DELETE)
    return act_and_report(
        request,
        lambda: actions.delete_file(file, actor=user),
        _("“%(name)s” has been moved to the trash.") % {"name": file.name},
        tab_url(file.entity, file.folder),
    )


@require_POST
def set_limited(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, caps = get_file_for_user(user, file_uuid)
    access.require(access.may_limit(user, file, caps))
    limited = request.POST.get("limited") == "1"
    done = (
        _("Only the people it is shared with can see this file now.")
        if limited
        else _("Everyone who sees this entity's files can see this file now.")
    )
    return act_and_report(
        request,
        lambda: actions.set_limited(file, actor=user, limited=limited),
        done,
        file.get_absolute_url(),
    )


def _people(file: File, uuids: list[str]) -> list[User]:
    wanted = set()
    for value in uuids:
        try:
            wanted.add(UUID(value))
        except ValueError as error:
            raise ValidationError(_("Choose people from the list.")) from error
    found: QuerySet[User] = access.people_to_share_with(file).filter(uuid__in=wanted)
    people = list(found)
    if len(people) != len(wanted):
        raise ValidationError(_("Choose people from the list."))
    return people


@require_POST
def share(request: HttpRequest, file_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    file, caps = get_file_for_user(user, file_uuid)
    access.require(access.may_limit(user, file, caps))

    def act() -> None:
        people = _people(file, request.POST.getlist("people"))
        actions.share_file(file, actor=user, users=people)

    return act_and_report(
        request,
        act,
        _("The people it is shared with have been saved."),
        file.get_absolute_url(),
    )


# Downloads.


def _serve(request: HttpRequest, user: User, version: FileVersion) -> HttpResponseBase:
    if not version.is_available:
        context = {"version": version, "file": version.file}
        return render(request, "files/unavailable.html", context, status=403)
    actions.record_download(version, actor=user)
    return storage.download_response(version)


def download(request: HttpRequest, file_uuid: UUID) -> HttpResponseBase:
    """The current version of a file."""
    user = signed_in_user(request)
    file, _caps = get_file_for_user(user, file_uuid)
    version = file.current_version
    if version is None:
        raise Http404
    version.file = file
    return _serve(request, user, version)


def version_download(request: HttpRequest, version_uuid: UUID) -> HttpResponseBase:
    user = signed_in_user(request)
    version, _caps = get_version_for_user(user, version_uuid)
    return _serve(request, user, version)


# Folders.


@require_POST
def folder_create(request: HttpRequest, entity_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    entity, _caps = get_files_entity_for_user(
        user, entity_uuid, need=Capability.FILES_CREATE
    )
    tree = tree_of(entity)
    form = FolderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a name for the folder."))
        return redirect(tab_url(entity, tree.get(request.POST.get("parent"))))
    parent = tree.get(form.cleaned_data["parent"])
    try:
        folder = actions.create_folder(
            entity, actor=user, name=form.cleaned_data["name"], parent=parent
        )
    except ValidationError as error:
        _report_errors(request, error)
        return redirect(tab_url(entity, parent))
    messages.success(
        request, _("The folder “%(name)s” has been created.") % {"name": folder.name}
    )
    return redirect(tab_url(entity, folder))


@require_POST
def folder_rename(request: HttpRequest, folder_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    folder, _caps = get_folder_for_user(user, folder_uuid, need=Capability.ENTITY_EDIT)
    form = NameForm(request.POST)
    then = _next(request, tab_url(folder.entity, folder.parent))
    if not form.is_valid():
        messages.error(request, _("Enter a name for the folder."))
        return redirect(then)
    old = folder.name
    return act_and_report(
        request,
        lambda: actions.rename_folder(
            folder, actor=user, name=form.cleaned_data["name"]
        ),
        _("The folder “%(old)s” has been renamed.") % {"old": old},
        then,
    )


def folder_move(request: HttpRequest, folder_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    folder, caps = get_folder_for_user(user, folder_uuid, need=Capability.ENTITY_EDIT)
    tree = tree_of(folder.entity)
    choices = [("", _("Top folder")), *tree.choices(exclude=tree.below(folder))]
    initial = {"folder": str(folder.parent.uuid) if folder.parent else ""}
    form = MoveForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        target = tree.get(form.cleaned_data["folder"])
        try:
            actions.move_folder(folder, actor=user, parent=target)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The folder “%(name)s” has been moved.") % {"name": folder.name},
            )
            return redirect(tab_url(folder.entity, folder))
    context = entity_page(user, folder.entity, "files", caps) | {
        "item": folder,
        "form": form,
        "back": tab_url(folder.entity, folder.parent),
    }
    status = 400 if form.errors else 200
    return render(request, "files/move.html", context, status=status)


@require_POST
def folder_delete(request: HttpRequest, folder_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    folder, _caps = get_folder_for_user(
        user, folder_uuid, need=Capability.CONTENT_DELETE
    )
    return act_and_report(
        request,
        lambda: actions.delete_folder(folder, actor=user),
        _("The folder “%(name)s” and what is in it have been moved to the trash.")
        % {"name": folder.name},
        tab_url(folder.entity, folder.parent),
    )


@require_POST
def folder_restore(request: HttpRequest, folder_uuid: UUID) -> HttpResponse:
    user = signed_in_user(request)
    folder, _caps = get_trashed_folder_for_user(user, folder_uuid)
    return act_and_report(
        request,
        lambda: actions.restore_folder(folder, actor=user),
        _("The folder “%(name)s” has been restored.") % {"name": folder.name},
        trash_url(folder.entity),
    )
